"""The synthetic classification data: ICU stays (and their files) and reviews with negations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grukit.data import (
    PHYSIONET2012_VARIABLES,
    GrukitDataError,
    ICUStays,
    load_physionet2012,
    summary_features,
    synthetic_icu_stays,
    synthetic_reviews,
    write_physionet2012,
)
from grukit.data.synthetic_classification import ICU_VARIABLES

NEGATION = r"\b(?:not|never|hardly)\b"


@pytest.fixture(scope="module")
def stays() -> ICUStays:
    return synthetic_icu_stays(300, seed=4)


def test_the_stays_are_the_same_for_a_seed_and_differ_between_seeds(stays):
    again = synthetic_icu_stays(300, seed=4)
    pd.testing.assert_frame_equal(again.observations, stays.observations)
    pd.testing.assert_frame_equal(again.static, stays.static)
    pd.testing.assert_series_equal(again.labels, stays.labels)
    other = synthetic_icu_stays(300, seed=5)
    assert not other.observations["value"].equals(stays.observations["value"])
    assert not other.labels.equals(stays.labels)


def test_the_stays_have_the_loader_structure_and_dtypes(stays):
    observations = stays.observations
    assert observations.columns.tolist() == ["record", "hours", "variable", "value"]
    assert observations["record"].dtype == np.int64
    assert observations["hours"].dtype == np.float64
    assert observations["value"].dtype == np.float64
    assert list(observations["variable"].cat.categories) == list(PHYSIONET2012_VARIABLES)
    assert set(observations["variable"].astype(str)) == set(ICU_VARIABLES)
    keys = observations[["record", "hours"]].to_numpy()
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    assert (order == np.arange(len(order))).all()  # sorted by record, then hours
    assert observations["hours"].between(0, 48, inclusive="left").all()
    minutes = observations["hours"].to_numpy() * 60
    assert np.allclose(minutes, np.round(minutes))  # whole minutes, as files write them
    assert not observations["value"].isna().any()
    assert stays.static.columns.tolist() == ["Age", "Gender", "Height", "ICUType", "Weight"]
    assert (stays.static.dtypes == np.float64).all() and stays.static.index.name == "record"
    assert stays.static.index.dtype == np.int64 and stays.static.index.is_monotonic_increasing
    assert stays.labels.name == "In-hospital_death" and stays.labels.dtype == np.int64
    assert stays.labels.index.equals(stays.static.index)
    assert stays.outcomes is None


def test_sampling_is_irregular_with_gaps_missing_variables_and_empty_stays(stays):
    observations = stays.observations
    counts = observations.groupby(["record", "variable"], observed=False).size().unstack()
    assert (counts["HR"] > 25).mean() > 0.9  # about hourly
    assert counts.loc[counts["Lactate"] > 0, "Lactate"].between(2, 9).all()  # every 6-12 h
    assert 0.15 < (counts["RespRate"] == 0).mean() < 0.4
    assert 0.2 < (counts["SysABP"] == 0).mean() < 0.45
    empty = stays.static.index.difference(observations["record"].unique())
    assert 1 <= len(empty) <= 20
    gaps = observations[observations["variable"] == "HR"].groupby("record")["hours"].diff()
    assert gaps.std() > 0.2 and gaps.max() > 2.5  # jitter and gaps in the chart
    assert stays.static["Height"].isna().mean() > 0.3 and stays.static["Age"].notna().all()


@pytest.mark.parametrize("rate", [0.2, 0.35])
def test_the_positive_rate_is_exact(rate):
    labels = synthetic_icu_stays(120, seed=1, positive_rate=rate).labels
    assert int(labels.sum()) == round(120 * rate) and set(labels.unique()) == {0, 1}


def test_deaths_deteriorate_toward_the_end_of_the_stay(stays):
    late = stays.observations[stays.observations["hours"] >= 36]
    means = late.groupby(["record", "variable"], observed=True)["value"].mean().unstack()
    dies = stays.labels.reindex(means.index) == 1
    for name, change in {"HR": 1, "SysABP": -1, "Lactate": 1, "GCS": -1}.items():
        gap = means.loc[dies, name].mean() - means.loc[~dies, name].mean()
        assert gap * change > 0.3 * abs(ICU_VARIABLES[name][3]), name


def test_arguments_are_checked():
    with pytest.raises(GrukitDataError, match="`n_stays` must be a positive integer, got 0"):
        synthetic_icu_stays(0)
    with pytest.raises(GrukitDataError, match="`positive_rate` must be a number in"):
        synthetic_icu_stays(10, positive_rate=1.0)
    with pytest.raises(GrukitDataError, match="`n` must be a positive integer"):
        synthetic_reviews(-3)


def test_the_files_read_back_through_the_challenge_loader(stays, tmp_path):
    records, outcomes = write_physionet2012(stays, tmp_path / "set")
    assert outcomes == tmp_path / "set" / "Outcomes.txt"
    assert len(list(records.glob("3*.txt"))) == len(stays)
    first = (records / f"{stays.records[0]}.txt").read_text().splitlines()
    assert first[:2] == ["Time,Parameter,Value", f"00:00,RecordID,{stays.records[0]}"]
    back = load_physionet2012(records, outcomes)
    pd.testing.assert_frame_equal(back.observations, stays.observations, check_exact=True)
    pd.testing.assert_frame_equal(back.static, stays.static, check_exact=True)
    pd.testing.assert_series_equal(back.labels, stays.labels)
    assert (back.outcomes.drop(columns="In-hospital_death") == -1).all().all()
    assert not list(records.glob(".*.tmp"))


def test_the_writer_keeps_given_outcomes_and_writes_no_outcomes_without_labels(tmp_path):
    stays = synthetic_icu_stays(6, seed=3)
    table = pd.DataFrame(
        {"SAPS-I": 11, "SOFA": 4, "Length_of_stay": 9, "Survival": -1},
        index=stays.static.index,
    )
    given = ICUStays(stays.observations, stays.static, stays.labels, table)
    back = load_physionet2012(*write_physionet2012(given, tmp_path / "a"))
    assert (back.outcomes["SOFA"] == 4).all()
    assert back.outcomes["In-hospital_death"].equals(stays.labels)
    unlabelled = ICUStays(stays.observations, stays.static)
    assert write_physionet2012(unlabelled, tmp_path / "b") == (tmp_path / "b", None)
    assert not (tmp_path / "b" / "Outcomes.txt").exists()


def test_summary_logistic_regression_is_neither_trivial_nor_hopeless():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    stays = synthetic_icu_stays(600, seed=0)
    table = summary_features(stays.observations, stays.static, variables=list(ICU_VARIABLES))
    labels = stays.labels.to_numpy()
    train, test = np.arange(420), np.arange(420, 600)
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(table.iloc[train], labels[train])
    auc = roc_auc_score(labels[test], model.predict_proba(table.iloc[test])[:, 1])
    assert 0.7 < auc < 0.99
    early = stays.observations[stays.observations["hours"] < 6]  # the first 6 h only
    table = summary_features(early, stays.static, variables=list(ICU_VARIABLES))
    model.fit(table.iloc[train], labels[train])
    early_auc = roc_auc_score(labels[test], model.predict_proba(table.iloc[test])[:, 1])
    assert early_auc < auc - 0.15  # the risk shows as the stay goes on


def test_reviews_are_deterministic_balanced_and_shaped_like_imdb():
    frame = synthetic_reviews(301, seed=2)
    pd.testing.assert_frame_equal(frame, synthetic_reviews(301, seed=2))
    assert not frame["review"].equals(synthetic_reviews(301, seed=3)["review"])
    assert frame.columns.tolist() == ["review", "sentiment"]
    assert frame["sentiment"].value_counts().to_dict() == {"neg": 151, "pos": 150}
    assert all(isinstance(text, str) and len(text.split()) >= 5 for text in frame["review"])
    assert 0.1 < frame["review"].str.contains("<br />", regex=False).mean() < 0.4
    assert frame["sentiment"].iloc[:20].nunique() == 2  # shuffled, not sorted by label


def test_negations_carry_the_opposite_words_in_both_classes():
    frame = synthetic_reviews(600, seed=0)
    text = frame["review"].str.lower()
    positive = frame["sentiment"] == "pos"
    assert text[~positive].str.contains(r"\bnot (?:\w+ )?(?:good|great|excellent)\b").any()
    assert (
        text[positive].str.contains(r"\b(?:not|never|hardly) (?:\w+ )?(?:bad|boring|dull)\b").any()
    )
    negated = text.str.contains(NEGATION)
    assert 0.5 < negated[positive].mean() < 0.95 and 0.5 < negated[~positive].mean() < 0.95


def test_a_bag_of_words_does_worse_on_the_negated_reviews():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    frame = synthetic_reviews(2000, seed=1)
    train, test = frame.iloc[:1500], frame.iloc[1500:]
    vectorizer = TfidfVectorizer()
    model = LogisticRegression(max_iter=1000)
    model.fit(vectorizer.fit_transform(train["review"]), train["sentiment"])
    right = model.predict(vectorizer.transform(test["review"])) == test["sentiment"].to_numpy()
    negated = test["review"].str.contains(NEGATION).to_numpy()
    assert right[~negated].mean() > 0.93
    assert right[negated].mean() < right[~negated].mean() - 0.1
