"""Scalers: statistics, round trips, subsets of columns, zero variance, JSON state."""

import json

import numpy as np
import pandas as pd
import pytest

from grukit.data import (
    GrukitDataError,
    IdentityScaler,
    MinMaxScaler,
    Scaler,
    StandardScaler,
    make_scaler,
    scaler_from_dict,
)


def _frame():
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "a": rng.normal(5.0, 2.0, 50),
            "b": rng.uniform(-3.0, 7.0, 50),
            "flat": np.full(50, 4.0),
            "label": ["x"] * 50,
        }
    )


def test_standard_scaler_centres_and_scales_each_column():
    frame = _frame()
    scaler = StandardScaler().fit(frame, ["a", "b", "flat"])
    scaled = scaler.transform(frame)
    np.testing.assert_allclose(scaled[["a", "b"]].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled[["a", "b"]].std(ddof=0), 1.0, rtol=1e-12)
    assert (scaled["flat"] == 0.0).all()  # zero variance: scale 1, no division by zero
    assert scaled["label"].tolist() == frame["label"].tolist()  # unfitted column untouched
    assert frame["a"].mean() > 1  # the input is not modified


def test_minmax_scaler_maps_to_the_range():
    frame = _frame()
    scaler = MinMaxScaler(feature_range=(-1.0, 1.0)).fit(frame, ["a", "b", "flat"])
    scaled = scaler.transform(frame)
    np.testing.assert_allclose(scaled[["a", "b"]].min(), -1.0, atol=1e-12)
    np.testing.assert_allclose(scaled[["a", "b"]].max(), 1.0, atol=1e-12)
    assert (scaled["flat"] == -1.0).all()
    with pytest.raises(
        GrukitDataError, match=r"`feature_range` must have low < high, got \(1, 1\)"
    ):
        MinMaxScaler((1, 1))


@pytest.mark.parametrize("name", ["standard", "minmax", None])
def test_round_trip_of_frames_arrays_and_subsets(name):
    frame = _frame()
    scaler = make_scaler(name).fit(frame, ["a", "b"])
    back = scaler.inverse_transform(scaler.transform(frame))
    np.testing.assert_allclose(back[["a", "b"]], frame[["a", "b"]], rtol=1e-12, atol=1e-12)
    values = frame[["a", "b"]].to_numpy().reshape(5, 10, 2)  # (N, L, F)
    z = scaler.transform(values)
    np.testing.assert_allclose(scaler.inverse_transform(z), values, rtol=1e-12, atol=1e-12)
    # the target-only subset matches the same column of the full transform
    z_b = scaler.transform(values[..., 1:], columns=["b"])
    np.testing.assert_allclose(z_b[..., 0], z[..., 1], rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(z_b, columns=["b"]), values[..., 1:])


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler((2.0, 5.0)), IdentityScaler()])
def test_json_round_trip_gives_identical_transforms(scaler):
    frame = _frame()
    scaler.fit(frame, ["a", "b", "flat"])
    text = json.dumps(scaler.to_dict())
    rebuilt = Scaler.from_dict(json.loads(text))
    assert type(rebuilt) is type(scaler) and rebuilt.columns_ == ["a", "b", "flat"]
    np.testing.assert_array_equal(
        rebuilt.transform(frame)[["a", "b", "flat"]], scaler.transform(frame)[["a", "b", "flat"]]
    )
    unfitted = scaler_from_dict(type(scaler)().to_dict())
    assert unfitted.columns_ is None


def test_fit_ignores_nan_and_arrays_get_positional_names():
    scaler = StandardScaler().fit(np.array([[1.0, 10.0], [np.nan, 20.0], [3.0, 30.0]]))
    assert scaler.columns_ == ["0", "1"]
    np.testing.assert_allclose(scaler.offset_, [2.0, 20.0])


def test_errors():
    frame = _frame()
    with pytest.raises(GrukitDataError, match="this StandardScaler is not fitted; call fit first"):
        StandardScaler().transform(frame)
    scaler = StandardScaler().fit(frame, ["a", "b"])
    with pytest.raises(
        GrukitDataError, match="column 'c' was not fitted; fitted columns: 'a', 'b'"
    ):
        scaler.transform(np.zeros((3, 1)), columns=["c"])
    with pytest.raises(GrukitDataError, match=r"last axis holds 2 columns, got shape \(3, 3\)"):
        scaler.transform(np.zeros((3, 3)))
    with pytest.raises(GrukitDataError, match="column 'label' must be numeric, row 0 holds 'x'"):
        StandardScaler().fit(frame, ["label"])
    with pytest.raises(GrukitDataError, match="column 'n' has no values"):
        StandardScaler().fit(pd.DataFrame({"n": [np.nan, np.nan]}))
    with pytest.raises(GrukitDataError, match="`scaler` must be 'standard', 'minmax' or None"):
        make_scaler("robust")
    with pytest.raises(GrukitDataError, match="unknown scaler kind 'robust'"):
        scaler_from_dict({"kind": "robust"})
    with pytest.raises(GrukitDataError, match="scaler state has 2 columns but 1 offsets and 2"):
        scaler_from_dict(
            {"kind": "standard", "columns": ["a", "b"], "offset": [0], "scale": [1, 1]}
        )


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_fit_refuses_an_infinite_value_naming_column_and_row(kind):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, np.inf, 0.0]})
    with pytest.raises(GrukitDataError, match=r"column 'y' holds 1 infinite .*\(\+inf\) at row 1"):
        make_scaler(kind).fit(frame)
