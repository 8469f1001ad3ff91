"""Without numba the fused engine's names still load and say why it cannot run; with numba its
package imports neither numba nor PyTorch until a name is used."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_without_numba_the_names_explain_and_refuse():
    output = run_python(
        """
        import sys
        sys.modules["numba"] = None  # as if numba were not installed

        import pytest

        from grukit.engines import fused

        assert fused.is_available() is False
        assert fused.unsupported_reason(layer_norm=False) == (
            "the fused engine needs numba, which is not installed"
        )
        with pytest.raises(NotImplementedError, match="needs numba"):
            fused.gru_layer(None, None, None, None, None, None, reset_after=True)
        with pytest.raises(NotImplementedError, match="needs numba"):
            fused.FusedStepper()
        assert fused.FusedGRUFunction is None
        fused.release_memory()  # nothing kept: does nothing
        assert sorted(fused.__all__) == fused.__all__ and "gru_layer" in dir(fused)
        print("numba" in sys.modules and sys.modules["numba"] is not None)
        """
    )
    assert output.strip() == "False"


def test_importing_the_package_loads_no_kernels():
    output = run_python(
        """
        import sys

        from grukit.engines import fused

        print(fused.is_available(), "numba" in sys.modules, "torch" in sys.modules)
        """
    )
    assert output.split() == ["True", "False", "False"]
