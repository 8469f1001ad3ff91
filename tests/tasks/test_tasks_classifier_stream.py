"""A classifier's stream gives, after each token or observation, the whole prefix's probability."""

from __future__ import annotations

import numpy as np
import pytest

from grukit import SequenceClassifier
from grukit.train import TrainConfig
from support.classification import sentiment_texts, vital_signs

POOLINGS = ["last", "mean", "max", "attention"]


@pytest.fixture(scope="module", params=POOLINGS)
def text_model(request):
    clf = SequenceClassifier(
        hidden_size=8,
        embedding_dim=8,
        min_count=1,
        baselines=False,
        pooling=request.param,
        num_layers=2 if request.param == "max" else 1,
        train_config=TrainConfig(epochs=2),
        verbose=False,
    )
    return clf.fit(sentiment_texts(64))


def test_text_stream_equals_the_prefix(text_model):
    tokens = text_model._text.tokenizer()("the film was good and the plot awful indeed")
    stream = text_model.stream()
    assert 0 < stream.probabilities[1] < 1  # the empty prefix: the head of zeros
    for count in range(1, len(tokens) + 1):
        risk = stream.add([tokens[count - 1]])
        whole = text_model.predict_proba([" ".join(tokens[:count])])[0, 1]
        assert risk == pytest.approx(whole, abs=1e-6)


@pytest.fixture(
    scope="module",
    params=[
        ("last", False, "last"),
        ("attention", False, "mean"),
        ("mean", True, "last"),
        ("max", False, "last"),
    ],
)
def series_model(request):
    pooling, decay, aggregate = request.param
    clf = SequenceClassifier(
        input="series",
        hidden_size=8,
        baselines=False,
        pooling=pooling,
        decay=decay,
        aggregate=aggregate,
        horizon_hours=24,
        step_hours=2,
        train_config=TrainConfig(epochs=2),
        verbose=False,
    )
    return clf.fit(vital_signs(60))


def test_series_stream_equals_the_prefix(series_model):
    table = vital_signs(12, seed=3)
    for record in (0, 1, 5):
        rows = table[table["id"] == record].drop(columns="label").reset_index(drop=True)
        stream = series_model.stream()
        for count in range(1, len(rows) + 1):
            hours, variable, value = rows.loc[count - 1, ["time", "Parameter", "Value"]]
            risk = stream.observe(hours, variable, value)
            whole = series_model.predict_proba(rows.iloc[:count])[0, 1]
            assert risk == pytest.approx(whole, abs=1e-6)


def test_series_stream_refuses_time_going_back_and_unknown_variables(series_model):
    stream = series_model.stream()
    stream.observe(10.0, "HR", 80.0)
    with pytest.raises(ValueError, match="time order"):
        stream.observe(3.0, "HR", 82.0)
    with pytest.raises(ValueError, match="unknown variable 'Glucose'"):
        stream.observe(11.0, "Glucose", 5.0)


def test_observations_past_the_horizon_change_nothing(series_model):
    stream = series_model.stream()
    before = stream.observe(1.0, "HR", 90.0)
    assert stream.observe(30.0, "HR", 150.0) == before


def test_a_bidirectional_classifier_cannot_stream():
    clf = SequenceClassifier(
        hidden_size=4,
        embedding_dim=4,
        min_count=1,
        baselines=False,
        bidirectional=True,
        train_config=TrainConfig(epochs=1),
        verbose=False,
    )
    clf.fit(sentiment_texts(20))
    with pytest.raises(ValueError, match="cannot stream"):
        clf.stream()
    assert np.isfinite(clf.predict_proba(["good"])).all()


def _stays_with_weight(count: int = 40):
    import pandas as pd

    from grukit.data import ICUStays

    rng = np.random.default_rng(1)
    rows, static = [], []
    for record in range(count):
        static.append((record, 60 + record % 30, 70.0 + record % 20))
        for hours in np.sort(rng.uniform(0.5, 24, 6)):
            name = str(rng.choice(["HR", "Weight"]))
            rows.append((record, float(hours), name, 80.0 + rng.normal() * 5 + record % 2 * 10))
    observations = pd.DataFrame(rows, columns=["record", "hours", "variable", "value"])
    observations["variable"] = pd.Categorical(observations["variable"], ["HR", "Weight"])
    table = pd.DataFrame(static, columns=["record", "Age", "Weight"]).set_index("record")
    labels = pd.Series([record % 2 for record in range(count)], index=table.index)
    return ICUStays(observations, table, labels)


def test_a_variable_that_is_also_static_streams_as_the_loader_reads_it():
    stays = _stays_with_weight()
    clf = SequenceClassifier(input="series", hidden_size=8, baselines=False, horizon_hours=24,
                             train_config=TrainConfig(epochs=2), verbose=False)  # fmt: skip
    clf.fit(stays)
    record = 3
    mine = stays.observations[stays.observations["record"] == record]
    stream = clf.stream()
    stream.observe(0.0, "Age", stays.static.loc[record, "Age"])
    stream.observe(0.0, "Weight", stays.static.loc[record, "Weight"])  # hour 0, unset: static
    for hours, variable, value in mine[["hours", "variable", "value"]].itertuples(index=False):
        risk = stream.observe(hours, str(variable), value)  # later weights: the series
    whole = clf.predict_proba(stays)[record, 1]
    assert risk == pytest.approx(whole, abs=1e-6)


def test_series_stream_with_static_descriptors_equals_the_prefix():
    """Static descriptors given at the start or observed mid-stream enter every later risk."""
    from dataclasses import replace

    from grukit.data import synthetic_icu_stays

    stays = synthetic_icu_stays(40, seed=6)
    clf = SequenceClassifier(
        input="series",
        hidden_size=8,
        baselines=False,
        step_hours=4,
        train_config=TrainConfig(epochs=2),
        verbose=False,
    )
    clf.fit(stays)
    record = int(stays.observations["record"].iloc[0])
    rows = stays.observations[stays.observations["record"] == record].iloc[:12]
    start = stays.static.loc[[record]].copy()
    start["Weight"] = np.nan  # unknown at admission, charted after the fourth reading
    stream = clf.stream(static={k: v for k, v in start.iloc[0].items() if np.isfinite(v)})
    static = start.copy()
    for count, (hours, variable, value) in enumerate(
        rows[["hours", "variable", "value"]].itertuples(index=False), start=1
    ):
        if count == 5:
            stream.observe(hours, "Weight", 95.0)
            static["Weight"] = 95.0
        risk = stream.observe(hours, str(variable), value)
        prefix = replace(stays, observations=rows.iloc[:count], static=static, labels=None)
        assert risk == pytest.approx(clf.predict_proba(prefix)[0, 1], abs=1e-6)


def test_an_ensembles_stream_equals_its_prefix():
    clf = SequenceClassifier(input="series", hidden_size=8, baselines=False, ensemble=2,
                             horizon_hours=24, step_hours=2, train_config=TrainConfig(epochs=2),
                             verbose=False)  # fmt: skip
    clf.fit(vital_signs(60))
    rows = vital_signs(12, seed=3)
    rows = rows[rows["id"] == 1].drop(columns="label").reset_index(drop=True)
    stream = clf.stream()
    for count in range(1, len(rows) + 1):
        hours, variable, value = rows.loc[count - 1, ["time", "Parameter", "Value"]]
        risk = stream.observe(hours, variable, value)
        assert risk == pytest.approx(clf.predict_proba(rows.iloc[:count])[0, 1], abs=1e-6)
