"""Damaged Keras files and malformed configs give one clear error naming the file or `config`.

Each damaged file is built here, in ``tmp_path``, from the committed ``two_grus`` fixture.
"""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import h5py
import pytest

import grukit
from grukit.interop import load_keras
from grukit.io import CorruptFileError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFIG_TEXT = (FIXTURES / "two_grus.json").read_bytes()
CONFIG = json.loads(CONFIG_TEXT)
WEIGHTS = (FIXTURES / "two_grus.weights.h5").read_bytes()


def _archive(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _changed(change) -> bytes:
    config = copy.deepcopy(CONFIG)
    change(config)
    return json.dumps(config).encode()


def _encoder(config):
    return config["config"]["layers"][1]


def _bad_crc(path: Path) -> Path:
    _archive(path, {"config.json": CONFIG_TEXT, "model.weights.h5": WEIGHTS})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("config.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10] ^= 0x20  # one flipped bit in the stored config text
    path.write_bytes(bytes(data))
    return path


def _weights_with(change) -> bytes:
    def build(path: Path) -> Path:
        weights = path.with_suffix(".h5")
        weights.write_bytes(WEIGHTS)
        with h5py.File(weights, "r+") as handle:
            change(handle)
        return _archive(
            path, {"config.json": CONFIG_TEXT, "model.weights.h5": weights.read_bytes()}
        )

    return build


def _entries(**entries: bytes):
    return lambda path: _archive(path, {name.replace("_", "."): v for name, v in entries.items()})


def _vars_as_dataset(handle):
    del handle["layers/gru/cell/vars"]
    handle["layers/gru/cell/vars"] = [1.0, 2.0]


def _odd_variable_name(handle):
    handle["layers/gru/cell/vars/kernel"] = handle["layers/gru/cell/vars/0"][()]


def _text_variable(handle):
    del handle["layers/gru/cell/vars/0"]
    handle["layers/gru/cell/vars/0"] = "not a kernel"


CORRUPT_ARCHIVES = {
    "bad-crc": (_bad_crc, r"entry config.json: BadZipFile: Bad CRC-32"),
    "bad-json": (
        _entries(config_json=b'{"class_name": ', model_weights_h5=WEIGHTS),
        r"entry config.json: invalid JSON",
    ),
    "config-a-list": (
        _entries(config_json=b"[1, 2]", model_weights_h5=WEIGHTS),
        r"entry config.json: JSON must be an object, got a list",
    ),
    "layers-a-dict": (
        _entries(
            config_json=_changed(lambda c: c["config"].update(layers={"a": 1})),
            model_weights_h5=WEIGHTS,
        ),
        r"config\['config'\]\['layers'\] must be a list",
    ),
    "layer-a-list": (
        _entries(
            config_json=_changed(lambda c: c["config"]["layers"].__setitem__(1, ["GRU"])),
            model_weights_h5=WEIGHTS,
        ),
        r"config\['config'\]\['layers'\]\[1\] must be an object, got a list",
    ),
    "units-a-string": (
        _entries(
            config_json=_changed(lambda c: _encoder(c)["config"].update(units="6")),
            model_weights_h5=WEIGHTS,
        ),
        r"\['units'\]` must be a positive integer, got '6'",
    ),
    "non-hdf5-weights": (
        _entries(config_json=CONFIG_TEXT, model_weights_h5=b"hello " * 100),
        r"entry model.weights.h5: not a readable HDF5 file",
    ),
    "truncated-weights": (
        _entries(config_json=CONFIG_TEXT, model_weights_h5=WEIGHTS[: len(WEIGHTS) // 2]),
        r"entry model.weights.h5: (not a readable HDF5 file|unreadable HDF5 data)",
    ),
    "missing-weights": (
        _entries(config_json=CONFIG_TEXT),
        r"no model.weights.h5 entry: a Keras 3 .keras archive holds config.json and",
    ),
    "missing-config": (_entries(model_weights_h5=WEIGHTS), r"no config.json entry"),
    "vars-a-dataset": (_weights_with(_vars_as_dataset), r"/layers/gru/cell/vars is not a group"),
    "odd-variable": (_weights_with(_odd_variable_name), r"vars holds .*'kernel'.*not 0, 1, 2"),
    "text-variable": (_weights_with(_text_variable), r"vars/0 is not an array of floats"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT_ARCHIVES))
def test_corrupt_keras_archives_raise_corrupt_file_error(tmp_path, case):
    build, match = CORRUPT_ARCHIVES[case]
    path = build(tmp_path / "model.keras")
    with pytest.raises(CorruptFileError, match=match) as info:
        load_keras(path, factory=grukit.GRU)
    message = str(info.value)
    assert message.startswith(f"Keras file {str(path)!r} is corrupt (") and "\n" not in message
    assert info.value.path == path


def _weights_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "model.weights.h5"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("weights", "config", "match", "culprit"),
    [
        (WEIGHTS[:1000], CONFIG, r"(not a readable HDF5 file|unreadable HDF5 data)", "weights"),
        (b"\x89HDF\r\n\x1a\n" + bytes(100), CONFIG, r"not a readable HDF5 file", "weights"),
        (b"not hdf5 at all", CONFIG, r"neither a .keras archive nor an HDF5", "weights"),
        (WEIGHTS, b"[1, 2, 3]", r"JSON must be an object, got a list", "config"),
        (WEIGHTS, b"{oops", r"invalid JSON", "config"),
        (WEIGHTS, b'{"class_name": "Functional", "config": []}', r"must be an object", "config"),
    ],
    ids=[
        "truncated-hdf5",
        "hdf5-signature-only",
        "not-hdf5",
        "config-list",
        "config-bad-json",
        "config-inner-list",
    ],
)
def test_corrupt_weight_files_and_config_files_are_named(tmp_path, weights, config, match, culprit):
    weights_path = _weights_file(tmp_path, weights)
    if isinstance(config, bytes):
        config_path = tmp_path / "model.json"
        config_path.write_bytes(config)
        config = config_path
    with pytest.raises(CorruptFileError, match=match) as info:
        load_keras(weights_path, config=config, factory=grukit.GRU)
    expected = weights_path if culprit == "weights" else config
    assert info.value.path == expected and str(expected) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ("[1, 2]", r"`config` JSON must be an object, got a list"),
        ('{"class_name": ', r"`config` is not valid JSON"),
        ({"class_name": "Functional", "config": []}, r"`config` is not a Keras model config: "),
        ({"class_name": "Functional", "config": {"layers": 3}}, r"\['layers'\] must be a list"),
        ({"class_name": "Functional", "config": {"layers": [7]}}, r"\[0\] must be an object"),
        (_changed(lambda c: _encoder(c).update(class_name=5)), r"\['class_name'\] must be a str"),
        (_changed(lambda c: _encoder(c)["config"].update(name=["x"])), r"\['name'\] must be a str"),
        (_changed(lambda c: _encoder(c)["config"].update(use_bias="false")), r"'use_bias'\]`"),
        (_changed(lambda c: _encoder(c)["config"].update(units=None)), r"positive integer"),
        (_changed(lambda c: _encoder(c)["config"].update(recurrent_dropout="0.1")), r"dropout"),
    ],
    ids=[
        "json-list",
        "bad-json",
        "inner-list",
        "layers-int",
        "layer-int",
        "class-int",
        "name-list",
        "use-bias-str",
        "units-none",
        "dropout-str",
    ],
)
def test_malformed_configs_give_one_value_error(config, match):
    if isinstance(config, bytes):
        config = json.loads(config)
    with pytest.raises(ValueError, match=match) as info:
        load_keras(FIXTURES / "two_grus.weights.h5", config=config, factory=grukit.GRU)
    assert not isinstance(info.value, CorruptFileError) and "\n" not in str(info.value)


def test_a_bidirectional_with_a_malformed_inner_layer_is_refused(tmp_path):
    config = json.loads((FIXTURES / "two_grus.json").read_text())
    config["config"]["layers"][1] = {
        "class_name": "Bidirectional",
        "config": {"name": "bi", "layer": {"class_name": "GRU", "config": None}},
    }
    with pytest.raises(ValueError, match=r"\['layer'\]\['config'\] must be an object, got a None"):
        load_keras(FIXTURES / "two_grus.weights.h5", config=config, factory=grukit.GRU)
