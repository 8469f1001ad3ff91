"""The public surface: a sorted ``__all__`` whose every name resolves, and a quick import."""

import subprocess
import sys

import grukit


def test_all_is_sorted_and_resolves():
    assert list(grukit.__all__) == sorted(grukit.__all__)
    for name in grukit.__all__:
        assert getattr(grukit, name) is not None, name


def test_unknown_attribute_raises_attribute_error():
    try:
        grukit.NoSuchThing  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_grukit_does_not_import_torch():
    code = "import sys, grukit; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_version_matches_metadata():
    from importlib.metadata import version

    assert grukit.__version__ == version("grukit")
