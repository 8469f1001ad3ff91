"""Reading Keras files safely: no HDF5 links followed, zip bombs refused, damaged files named.

Every hostile or damaged file is built here, in ``tmp_path``, from the committed ``two_grus``
fixture (a Functional model with GRU layers ``encoder`` (group ``layers/gru``, kernel (3, 18)) and
``decoder`` (``layers/gru_1``)).
"""

from __future__ import annotations

import json
import shutil
import struct
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import grukit
from grukit.interop import from_keras
from grukit.io import CorruptFileError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFIG = json.loads((FIXTURES / "two_grus.json").read_text())
KERNEL = "layers/gru/cell/vars/0"
LIMITS = "grukit.interop._keras_files."  # the caps, lowered by tests to keep files small


def _keras_archive(path: Path, config: bytes, weights: bytes | None, **options) -> Path:
    """A ``.keras`` zip holding ``config.json`` and (unless None) ``model.weights.h5``."""
    with zipfile.ZipFile(path, "w", **options) as archive:
        archive.writestr("metadata.json", b'{"keras_version": "3.15.1"}')
        archive.writestr("config.json", config)
        if weights is not None:
            archive.writestr("model.weights.h5", weights)
    return path


def _weights_copy(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "two_grus.weights.h5", tmp_path / "model.weights.h5"))


def _kernel_elsewhere(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """Another HDF5 file holding a kernel the weight file may try to pull in."""
    kernel = np.full((3, 18), 7.0, dtype=np.float32)
    with h5py.File(tmp_path / "elsewhere.h5", "w") as other:
        other["kernel"] = kernel
    return tmp_path / "elsewhere.h5", kernel


def _external_link(weights: h5py.File, elsewhere: Path) -> None:
    del weights[KERNEL]
    weights[KERNEL] = h5py.ExternalLink(str(elsewhere), "/kernel")


def _soft_link(weights: h5py.File, elsewhere: Path) -> None:
    del weights[KERNEL]
    weights["stash"] = np.full((3, 18), 7.0, dtype=np.float32)
    weights[KERNEL] = h5py.SoftLink("/stash")


def _external_storage(weights: h5py.File, elsewhere: Path) -> None:
    raw = elsewhere.with_suffix(".bin")
    raw.write_bytes(np.full((3, 18), 7.0, dtype=np.float32).tobytes())
    del weights[KERNEL]
    weights.create_dataset(KERNEL, shape=(3, 18), dtype="<f4", external=[(str(raw), 0, 216)])


def _virtual_dataset(weights: h5py.File, elsewhere: Path) -> None:
    layout = h5py.VirtualLayout(shape=(3, 18), dtype="<f4")
    layout[:] = h5py.VirtualSource(str(elsewhere), "kernel", shape=(3, 18))
    del weights[KERNEL]
    weights.create_virtual_dataset(KERNEL, layout)


def _link_off_the_gru_path(weights: h5py.File, elsewhere: Path) -> None:
    weights["layers/input_layer/extra"] = h5py.ExternalLink(str(elsewhere), "/kernel")


UNSAFE_HDF5 = {
    "external-link": (_external_link, r"layers/gru/cell/vars/0 is an external link to .*elsewhere"),
    "soft-link": (_soft_link, r"layers/gru/cell/vars/0 is a soft link to /stash"),
    "external-storage": (_external_storage, r"vars/0 stores its data in external file\(s\)"),
    "virtual-dataset": (_virtual_dataset, r"vars/0 is a virtual dataset"),
    "link-anywhere": (_link_off_the_gru_path, r"input_layer/extra is an external link"),
}


@pytest.mark.parametrize("container", ["weights.h5", "keras"])
@pytest.mark.parametrize("case", sorted(UNSAFE_HDF5))
def test_weight_files_that_reach_outside_themselves_are_refused(tmp_path, case, container):
    make, match = UNSAFE_HDF5[case]
    elsewhere, _ = _kernel_elsewhere(tmp_path)
    weights_path = _weights_copy(tmp_path)
    with h5py.File(weights_path, "r+") as weights:
        make(weights, elsewhere)
    if container == "keras":
        source = _keras_archive(
            tmp_path / "model.keras", json.dumps(CONFIG).encode(), weights_path.read_bytes()
        )
        options = {}
    else:
        source, options = weights_path, {"config": CONFIG}
    with pytest.raises(CorruptFileError, match=match) as info:
        from_keras(source, layer="encoder", factory=grukit.GRU, **options)
    assert str(source) in str(info.value) and "\n" not in str(info.value)
    assert info.value.path == source


def test_hard_link_cycles_are_walked_once(tmp_path):
    """A group linked into itself is legal HDF5: the walk ends and the weights still load."""
    weights_path = _weights_copy(tmp_path)
    with h5py.File(weights_path, "r+") as weights:
        weights["layers/input_layer/loop"] = weights["layers"]
    gru = from_keras(weights_path, layer="encoder", config=CONFIG, factory=grukit.GRU)
    assert gru.hidden_size == 6


# ----------------------------------------------------------------------------- zip bombs


def _forge_uncompressed_size(path: Path, name: str, size: int) -> None:
    """Rewrite the uncompressed size of entry ``name`` in both zip headers (no data written)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # local file header
    offset = data.find(b"PK\x01\x02")
    while offset != -1:  # central directory records
        name_length = struct.unpack_from("<H", data, offset + 28)[0]
        if data[offset + 46 : offset + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, offset + 24, size)
        offset = data.find(b"PK\x01\x02", offset + 4)
    path.write_bytes(bytes(data))


def test_declared_sizes_over_the_cap_are_refused_before_extraction(tmp_path):
    """A 3 GiB weights entry (declared in the zip directory) is refused, nothing extracted."""
    weights = (FIXTURES / "two_grus.weights.h5").read_bytes()
    source = _keras_archive(
        tmp_path / "bomb.keras",
        json.dumps(CONFIG).encode(),
        weights,
        compression=zipfile.ZIP_DEFLATED,
    )
    _forge_uncompressed_size(source, "model.weights.h5", 3 * 2**30)
    with pytest.raises(CorruptFileError, match=r"model.weights.h5 declares 3.0 GiB uncompressed"):
        from_keras(source, layer="encoder", factory=grukit.GRU)


def test_a_highly_compressed_entry_over_the_cap_is_refused(tmp_path, monkeypatch):
    """8 MiB of zeros in 8 KiB of zip, under a 1 MiB cap (the real cap is 2 GiB)."""
    monkeypatch.setattr(LIMITS + "MAX_WEIGHTS_BYTES", 2**20)
    source = _keras_archive(
        tmp_path / "zeros.keras",
        json.dumps(CONFIG).encode(),
        bytes(8 * 2**20),
        compression=zipfile.ZIP_DEFLATED,
    )
    assert source.stat().st_size < 100_000
    with pytest.raises(CorruptFileError, match=r"declares 8.0 MiB uncompressed .* 1.0 MiB"):
        from_keras(source, factory=grukit.GRU)


def test_a_config_entry_over_its_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(LIMITS + "MAX_CONFIG_BYTES", 1000)
    source = _keras_archive(
        tmp_path / "big.keras",
        json.dumps(CONFIG).encode(),
        (FIXTURES / "two_grus.weights.h5").read_bytes(),
    )
    with pytest.raises(CorruptFileError, match=r"entry config.json declares .* more than"):
        from_keras(source, layer="encoder", factory=grukit.GRU)


def test_an_understated_size_stops_at_the_declared_size(tmp_path):
    """A directory that declares less than the data holds: reading stops there (CRC error)."""
    source = _keras_archive(
        tmp_path / "short.keras",
        json.dumps(CONFIG).encode(),
        (FIXTURES / "two_grus.weights.h5").read_bytes(),
        compression=zipfile.ZIP_DEFLATED,
    )
    _forge_uncompressed_size(source, "model.weights.h5", 100)
    with pytest.raises(CorruptFileError, match=r"entry model.weights.h5: BadZipFile: Bad CRC"):
        from_keras(source, layer="encoder", factory=grukit.GRU)


def test_arrays_over_the_cap_are_refused_before_reading(tmp_path, monkeypatch):
    """A compressed HDF5 dataset can declare far more than its file holds: its size is checked."""
    monkeypatch.setattr(LIMITS + "MAX_WEIGHTS_BYTES", 100)
    with pytest.raises(CorruptFileError, match=r"GRU weights read exceed 100 bytes"):
        from_keras(
            FIXTURES / "two_grus.weights.h5", layer="encoder", config=CONFIG, factory=grukit.GRU
        )
