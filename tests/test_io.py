"""grukit.io: atomic writes, JSON and safetensors round trips, and the error texts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import torch

from grukit.io import (
    CorruptFileError,
    atomic_write_bytes,
    atomic_write_text,
    is_plain_file_name,
    open_regular_file,
    read_exactly,
    read_json,
    write_json,
)
from grukit.tensor_files import load_tensor_metadata, load_tensors, save_tensors


def test_atomic_write_replaces_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "a.bin"
    atomic_write_bytes(path, b"first")
    atomic_write_bytes(path, b"second")
    assert path.read_bytes() == b"second"
    atomic_write_text(tmp_path / "b.txt", "héllo")
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "héllo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt"]


def test_atomic_write_uses_normal_permissions(tmp_path):
    path = atomic_write_bytes(tmp_path / "a.bin", b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_write_failure_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    write_json(path, {"old": 1})

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_json(path, {"new": 2})
    monkeypatch.undo()
    assert read_json(path) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_write_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory '.*missing' does not exist"):
        atomic_write_bytes(tmp_path / "missing" / "a.bin", b"x")
    with pytest.raises(TypeError, match="`data` must be bytes, got str"):
        atomic_write_bytes(tmp_path / "a.bin", "text")
    with pytest.raises(TypeError, match="`text` must be a str, got bytes"):
        atomic_write_text(tmp_path / "a.txt", b"x")


def test_json_round_trip_sorted_keys(tmp_path):
    path = tmp_path / "c.json"
    obj = {"b": [1, 2.5, None, True], "a": {"z": "ü", "y": (1, 2)}, "e": 1e-300}
    write_json(path, obj)
    text = path.read_text(encoding="utf-8")
    assert text.index('"a"') < text.index('"b"') < text.index('"e"')
    assert text.endswith("\n")
    assert read_json(path) == {"a": {"y": [1, 2], "z": "ü"}, "b": [1, 2.5, None, True], "e": 1e-300}


@pytest.mark.parametrize(
    ("obj", "error", "message"),
    [
        ({"loss": [1.0, float("nan")]}, ValueError, r"nan at \['loss'\]\[1\] as JSON: JSON has no"),
        (float("inf"), ValueError, "inf at the top level"),
        ({1: "a"}, TypeError, "keys must be strings, got int 1"),
        ({"w": torch.ones(1)}, TypeError, r"torch.Tensor at \['w'\] as JSON"),
    ],
)
def test_write_json_refuses_what_json_cannot_hold(tmp_path, obj, error, message):
    path = tmp_path / "x.json"
    with pytest.raises(error, match=message):
        write_json(path, obj)
    assert not path.exists()


def test_read_json_errors(tmp_path):
    missing = tmp_path / "run" / "config.json"
    with pytest.raises(FileNotFoundError, match=r"model file '.*config.json' does not exist"):
        read_json(missing, description="model file")
    path = tmp_path / "config.json"
    path.write_text('{\n  "a": 1,\n  "b": [1, 2\n', encoding="utf-8")  # truncated
    with pytest.raises(
        CorruptFileError,
        match=re.escape(f"model file '{path}' is corrupt (invalid JSON at line 4, column 1): "),
    ) as info:
        read_json(path, description="model file")
    assert info.value.path == path
    assert isinstance(info.value, ValueError)
    path.write_bytes(b"")
    with pytest.raises(CorruptFileError, match="is corrupt \\(empty file; was it truncated"):
        read_json(path)
    path.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(CorruptFileError, match="JSON file '.*' is corrupt \\(not UTF-8 text"):
        read_json(path)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        read_json(tmp_path)


def test_tensors_round_trip_with_metadata(tmp_path):
    base = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    tensors = {
        "w": base.t(),  # non-contiguous
        "tied": base,  # shares storage with "w"
        "i": torch.tensor([1, -2], dtype=torch.int64),
        "u": torch.tensor([0, 255], dtype=torch.uint8),
        "h": torch.randn(2, 2).to(torch.bfloat16),
    }
    path = save_tensors(tmp_path / "t.safetensors", tensors, metadata={"epoch": "3"})
    loaded = load_tensors(path)
    assert set(loaded) == set(tensors)
    for name, tensor in tensors.items():
        assert loaded[name].dtype == tensor.dtype
        assert torch.equal(loaded[name], tensor)
    assert load_tensor_metadata(path) == {"epoch": "3"}
    save_tensors(path, {"x": torch.zeros(1)})
    assert load_tensor_metadata(path) == {}


def test_save_tensors_argument_errors(tmp_path):
    path = tmp_path / "t.safetensors"
    with pytest.raises(TypeError, match=r"`tensors\['a'\]` must be a torch.Tensor"):
        save_tensors(path, {"a": [1, 2]})
    with pytest.raises(TypeError, match="tensor names must be strings, got int 3"):
        save_tensors(path, {3: torch.zeros(1)})
    with pytest.raises(TypeError, match="`metadata` must be a mapping of str to str"):
        save_tensors(path, {"a": torch.zeros(1)}, metadata={"epoch": 3})
    assert not path.exists()


def test_load_tensors_truncated_and_garbage(tmp_path):
    path = tmp_path / "weights.safetensors"
    save_tensors(path, {"w": torch.randn(16, 16)})
    data = path.read_bytes()
    expected = re.escape(f"model weights '{path}' is corrupt")
    for cut in (len(data) - 10, 50, 4):  # inside the tensor data, inside the header, the prefix
        path.write_bytes(data[:cut])
        with pytest.raises(CorruptFileError, match=expected) as info:
            load_tensors(path, description="model weights")
        assert info.value.path == path
        if cut < 60:  # the header itself is damaged (metadata reading stops after the header)
            with pytest.raises(CorruptFileError, match="corrupt"):
                load_tensor_metadata(path)
    path.write_bytes(b"this is not a safetensors file at all, just some text")
    with pytest.raises(CorruptFileError, match=r"\(not a safetensors file, or truncated"):
        load_tensors(path)
    path.write_bytes((20).to_bytes(8, "little") + b"{not json at all!!!}")
    with pytest.raises(CorruptFileError, match="unreadable safetensors header"):
        load_tensors(path)
    with pytest.raises(FileNotFoundError, match="tensor file '.*nope.safetensors' does not exist"):
        load_tensors(tmp_path / "nope.safetensors")


def test_json_file_is_standard_json(tmp_path):
    path = write_json(tmp_path / "x.json", {"a": 0.1}, indent=None)
    assert json.loads(path.read_text()) == {"a": 0.1}
    assert path.read_text() == '{"a": 0.1}\n'


def test_import_grukit_io_does_not_import_torch():
    code = "import sys, grukit.io; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("name", "plain"),
    [("model.safetensors", True), (".hidden.json", True), ("", False), (".", False),
     ("..", False), ("../x", False), ("a/b", False), ("/etc/passwd", False), ("a\\b", False),
     ("a\0b", False), (None, False), (3, False)],
)  # fmt: skip
def test_is_plain_file_name(name, plain):
    assert is_plain_file_name(name) is plain


def test_open_regular_file_yields_the_size_and_refuses_the_rest(tmp_path):
    path = atomic_write_bytes(tmp_path / "a.bin", b"12345")
    with open_regular_file(path, description="test file") as (handle, size):
        assert size == 5 and read_exactly(handle, size, path, "test file") == b"12345"
    with pytest.raises(FileNotFoundError, match="test file '.*nothing' does not exist"):
        open_regular_file(tmp_path / "nothing", description="test file").__enter__()
    with pytest.raises(IsADirectoryError, match="is a directory, not a file"):
        open_regular_file(tmp_path, description="test file").__enter__()
    if os.name == "posix":
        (tmp_path / "link").symlink_to(path)
        with pytest.raises(CorruptFileError, match="'.*link' is a symbolic link, not a regular"):
            open_regular_file(tmp_path / "link", description="test file").__enter__()
        os.mkfifo(tmp_path / "fifo")  # refused from lstat: never opened, so nothing blocks
        with pytest.raises(CorruptFileError, match="is a FIFO, socket or device, not a regular"):
            open_regular_file(tmp_path / "fifo", description="test file").__enter__()
        with pytest.raises(CorruptFileError, match="is a FIFO, socket or device"):
            open_regular_file("/dev/zero", description="test file").__enter__()
