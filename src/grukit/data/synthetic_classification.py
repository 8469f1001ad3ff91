"""Synthetic data for sequence classification: ICU stays (irregular series) and short reviews.

Both generators are offline and deterministic per seed; they stand in for PhysioNet 2012 and
IMDB in the demo, the docs and the tests. :func:`write_physionet2012` writes stays in the
challenge's file format, so the synthetic stays can go through :func:`load_physionet2012` and
the command line exactly as the real ones do.

**ICU stays** (:func:`synthetic_icu_stays`). Each stay has a latent deterioration
``d(t) >= 0`` over the hours ``t`` from admission, and each variable ``v`` is

.. math::

    x_v(t) = \\mu_v + \\sigma_v z_v + \\Delta_v d(t) + \\tau_v \\epsilon_v(t),
    \\qquad z_v, \\epsilon_v(t) \\sim N(0, 1),

with ``mu`` the normal level, ``sigma`` the spread between stays, ``tau`` the noise of one
measurement and ``Delta`` the change at full deterioration (table :data:`ICU_VARIABLES`:
HR and RespRate up, SysABP and MAP down, Temp up, SaO2 down, Lactate up, GCS down), rounded
to the precision a chart gives and clipped to a plausible range. For a stay that dies
(``In-hospital_death = 1``) ``d(t) = s * clip((t - onset) / ramp, 0, 1)``: from an onset hour
uniform on ``[-0.1 H, 0.85 H]`` (``H = horizon_hours``; an onset before 0 means the stay comes
in already deteriorating) the values drift over a ramp of 6-18 h to a severity ``s`` uniform
on ``[0.5, 1.3]``; 15 % of these deaths are "silent", ``s`` uniform on ``[0, 0.25]``. A
survivor has ``d = 0``, except that 30 % have one transient episode that recovers: ``d`` rises
linearly to 0.3-0.8 over 3-8 h and falls back over the next 6-12 h. Deaths are older on
average (Age ~ N(70, 13) vs N(62, 16)). Because the deaths' onsets are spread over the stay,
the signal accumulates with time: a model that reads only the first hours does clearly worse
than one that reads all ``H`` hours (the risk of a dying stay rises as the stay goes on).

Sampling is irregular, by clocks (table :data:`ICU_CLOCKS`): the monitor (HR, RespRate) and an
arterial line (SysABP, MAP, in 70 % of stays) about hourly, nursing checks (Temp, GCS) every
3-5 h, blood gases (SaO2, Lactate, in 60 % of stays) every 6-12 h. The gap between two
readings is uniform on the clock's range, plus 2-6 h with probability 0.08 (a gap in the
chart); each reading of a variable is left out with probability 0.05; RespRate is never
charted in 25 % of stays; 2 % of stays have no time series at all (static descriptors only).
Times are whole minutes (``hh:mm`` in the files). Static descriptors: Age (whole years,
18-90), Gender (0/1, 1 % unknown), Height (cm, 45 % unknown), ICUType (1-4), Weight (kg, 8 %
unknown).

**Reviews** (:func:`synthetic_reviews`). Each review has 2-4 opinion clauses about an aspect
("the plot", "the acting", ...) whose polarity is the review's label, except that a review of
3 or more clauses has, with probability 0.3, one clause of the opposite polarity joined with
"but". A clause says its polarity either directly ("the plot was really good") or, with
probability 0.35, by negating a word of the opposite polarity ("the plot was not good" is
negative, "the ending was never boring" is positive); intensifiers ("very", "truly", ...)
are sprinkled in. Neutral filler sentences (0-2), a closing verdict (half of the reviews,
negated like the clauses) and IMDB's ``<br /><br />`` line breaks (a quarter of the reviews)
complete the text. A bag of words sees the same words in both classes through the
negations, so it does worse on the negated reviews than a model that reads the order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from grukit import checks
from grukit.data._errors import GrukitDataError
from grukit.data.physionet import (
    LABEL,
    OUTCOME_COLUMNS,
    PHYSIONET2012_STATIC,
    PHYSIONET2012_VARIABLES,
    ICUStays,
)
from grukit.io import atomic_write_text

__all__ = [
    "ICU_CLOCKS",
    "ICU_VARIABLES",
    "synthetic_icu_stays",
    "synthetic_reviews",
    "write_physionet2012",
]

#: name: (normal level mu, spread between stays sigma, noise tau, change at full
#: deterioration Delta, decimals, lowest, highest)
ICU_VARIABLES: dict[str, tuple[float, float, float, float, int, float, float]] = {
    "HR": (82.0, 10.0, 5.0, 28.0, 0, 30.0, 220.0),
    "RespRate": (18.0, 3.0, 2.0, 9.0, 0, 5.0, 60.0),
    "SysABP": (122.0, 14.0, 7.0, -30.0, 0, 50.0, 230.0),
    "MAP": (82.0, 9.0, 5.0, -18.0, 0, 30.0, 160.0),
    "Temp": (37.0, 0.35, 0.25, 1.0, 1, 33.0, 42.0),
    "GCS": (14.0, 1.2, 0.6, -6.0, 0, 3.0, 15.0),
    "SaO2": (97.0, 1.2, 0.8, -6.0, 0, 70.0, 100.0),
    "Lactate": (1.4, 0.4, 0.25, 3.5, 1, 0.3, 20.0),
}

#: clock: (shortest gap h, longest gap h, share of stays that have it, its variables)
ICU_CLOCKS: dict[str, tuple[float, float, float, tuple[str, ...]]] = {
    "monitor": (0.7, 1.3, 1.0, ("HR", "RespRate")),
    "arterial_line": (0.7, 1.3, 0.7, ("SysABP", "MAP")),
    "nursing": (3.0, 5.0, 1.0, ("Temp", "GCS")),
    "blood_gas": (6.0, 12.0, 0.6, ("SaO2", "Lactate")),
}

_FIRST_RECORD = 300001  # above the challenge's ids (132539-152871): never mistaken for real
_EMPTY_RATE = 0.02
_SKIP_READING = 0.05
_NO_RESPRATE = 0.25


def _check_icu_arguments(n_stays, seed, horizon_hours, positive_rate) -> tuple[int, float, float]:
    n = checks.positive_int("n_stays", n_stays, error=GrukitDataError)
    if seed is not None:
        checks.non_negative_int("seed", seed, error=GrukitDataError)
    horizon = checks.number(
        "horizon_hours", horizon_hours, low=1.0, high=1000.0, error=GrukitDataError
    )
    rate = checks.number(
        "positive_rate", positive_rate, low=0.0, high=1.0, low_open=True, high_open=True,
        error=GrukitDataError,
    )  # fmt: skip
    return n, horizon, rate


def synthetic_icu_stays(
    n_stays: int = 600,
    *,
    seed: int | None = 0,
    horizon_hours: float = 48.0,
    positive_rate: float = 0.2,
) -> ICUStays:
    """ICU stays with irregularly sampled vitals and labs, and in-hospital death as the label.

    The generating process is described in the module's documentation
    (:mod:`grukit.data.synthetic_classification`).

    Parameters
    ----------
    n_stays : int
        Number of stays (records ``300001, 300002, ...``).
    seed : int or None
        Seed of the generator; the same seed gives the same stays.
    horizon_hours : float
        Length of each stay's series in hours (the challenge's 48).
    positive_rate : float
        Share of deaths, in (0, 1): exactly ``round(n_stays * positive_rate)`` stays.

    Returns
    -------
    ICUStays
        As :func:`grukit.data.load_physionet2012` returns it (``outcomes`` is None).

    Examples
    --------
    >>> stays = synthetic_icu_stays(50, seed=1)
    >>> len(stays), int(stays.labels.sum()), stays.observations.columns.tolist()
    (50, 10, ['record', 'hours', 'variable', 'value'])
    """
    n, horizon, rate = _check_icu_arguments(n_stays, seed, horizon_hours, positive_rate)
    rng = np.random.default_rng(seed)
    labels = np.zeros(n, dtype=np.int64)
    labels[rng.permutation(n)[: int(round(n * rate))]] = 1
    index = pd.Index(np.arange(_FIRST_RECORD, _FIRST_RECORD + n, dtype=np.int64), name="record")
    static = _static(rng, labels, index)
    empty = rng.random(n) < _EMPTY_RATE
    parts = []
    for row in range(n):
        course = _course(rng, bool(labels[row]), horizon)
        frame = _stay_observations(rng, course, horizon)
        if not empty[row]:
            parts.append(frame.assign(record=index[row]))
    observations = _observation_frame(parts)
    return ICUStays(observations, static, pd.Series(labels, index=index, name=LABEL))


def _static(rng: np.random.Generator, labels: np.ndarray, index: pd.Index) -> pd.DataFrame:
    n = len(labels)
    age = np.where(labels == 1, rng.normal(70.0, 13.0, n), rng.normal(62.0, 16.0, n))
    gender = rng.integers(0, 2, n).astype(np.float64)
    height = np.round(rng.normal(170.0, 10.0, n), 1)
    icu_type = rng.choice([1.0, 2.0, 3.0, 4.0], size=n, p=[0.15, 0.3, 0.35, 0.2])
    weight = np.round(np.clip(rng.normal(80.0, 18.0, n), 35.0, 200.0), 1)
    gender[rng.random(n) < 0.01] = np.nan
    height[rng.random(n) < 0.45] = np.nan
    weight[rng.random(n) < 0.08] = np.nan
    columns = {
        "Age": np.round(np.clip(age, 18.0, 90.0)),
        "Gender": gender,
        "Height": height,
        "ICUType": icu_type,
        "Weight": weight,
    }
    return pd.DataFrame(columns, index=index, columns=list(PHYSIONET2012_STATIC[1:]))


def _course(rng: np.random.Generator, dies: bool, horizon: float) -> tuple[float, ...]:
    """``(kind, onset, rise, fall, severity)``: kind 1 a deterioration, 2 a transient episode."""
    if dies:
        onset = rng.uniform(-0.1 * horizon, 0.85 * horizon)
        silent = rng.random() < 0.15
        severity = rng.uniform(0.0, 0.25) if silent else rng.uniform(0.5, 1.3)
        return (1.0, onset, rng.uniform(6.0, 18.0), 0.0, severity)
    if rng.random() < 0.3:
        onset = rng.uniform(0.0, horizon)
        return (2.0, onset, rng.uniform(3.0, 8.0), rng.uniform(6.0, 12.0), rng.uniform(0.3, 0.8))
    return (0.0, 0.0, 1.0, 1.0, 0.0)


def _deterioration(course: tuple[float, ...], hours: np.ndarray) -> np.ndarray:
    kind, onset, rise, fall, severity = course
    up = np.clip((hours - onset) / rise, 0.0, 1.0)
    if kind == 2.0:  # a transient episode: up over `rise`, back down over `fall`
        up = up - np.clip((hours - onset - rise) / fall, 0.0, 1.0)
    return severity * up


def _clock_times(rng: np.random.Generator, low: float, high: float, horizon: float) -> np.ndarray:
    count = int(horizon / low) + 2
    gaps = rng.uniform(low, high, count) + (rng.random(count) < 0.08) * rng.uniform(2.0, 6.0, count)
    times = rng.uniform(0.0, high) + np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    minutes = np.floor(times[times < horizon] * 60.0)
    return minutes // 60 + (minutes % 60) / 60.0  # whole minutes, computed as the loader does


def _stay_observations(
    rng: np.random.Generator, course: tuple[float, ...], horizon: float
) -> pd.DataFrame:
    hours, names, values = [], [], []
    no_resprate = rng.random() < _NO_RESPRATE
    for low, high, share, variables in ICU_CLOCKS.values():
        has_clock = rng.random() < share
        times = _clock_times(rng, low, high, horizon)  # drawn either way: stable streams
        drift = _deterioration(course, times)
        for name in variables:
            mu, sigma, tau, delta, decimals, lowest, highest = ICU_VARIABLES[name]
            level = mu + sigma * rng.standard_normal()
            value = level + delta * drift + tau * rng.standard_normal(times.size)
            keep = rng.random(times.size) >= _SKIP_READING
            if not has_clock or (name == "RespRate" and no_resprate):
                continue
            hours.append(times[keep])
            names.append(np.full(int(keep.sum()), name, dtype=object))
            values.append(np.round(np.clip(value[keep], lowest, highest), decimals))
    return pd.DataFrame(
        {
            "hours": np.concatenate(hours) if hours else np.zeros(0),
            "variable": np.concatenate(names) if names else np.zeros(0, dtype=object),
            "value": np.concatenate(values) if values else np.zeros(0),
        }
    )


def _observation_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    columns = ["record", "hours", "variable", "value"]
    frame = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    frame = frame.sort_values(["record", "hours"], kind="stable", ignore_index=True)
    return pd.DataFrame(
        {
            "record": frame["record"].to_numpy(dtype=np.int64),
            "hours": frame["hours"].to_numpy(dtype=np.float64),
            "variable": pd.Categorical(frame["variable"], categories=PHYSIONET2012_VARIABLES),
            "value": frame["value"].to_numpy(dtype=np.float64),
        }
    )


# ----------------------------------------------------------------------------- the writer


def _text(value: float) -> str:
    """A number as the challenge writes it, and so that ``float`` reads back the same value."""
    if np.isnan(value):
        return "-1"
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _clock(hours: float) -> str:
    minutes = int(round(hours * 60.0))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def write_physionet2012(stays: ICUStays, folder: str | Path) -> tuple[Path, Path | None]:
    """Write `stays` in the PhysioNet 2012 challenge's format, one ``<RecordID>.txt`` each.

    Each record file is ``Time,Parameter,Value`` lines: the static descriptors at ``00:00``
    (RecordID first, ``-1`` for unknown), then the measurements in the order of
    ``stays.observations`` with ``hh:mm`` times (rounded to the minute: times on whole minutes,
    as the loader and :func:`synthetic_icu_stays` give them, read back exactly). With labels, an
    outcomes file ``Outcomes.txt`` in the same folder
    (``RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death``): the columns of
    ``stays.outcomes`` when given, else ``-1`` but for the label. Files are written atomically.

    Returns
    -------
    (Path, Path or None)
        The records folder and the outcomes file (None without labels), the arguments of
        :func:`grukit.data.load_physionet2012`.

    Raises
    ------
    GrukitDataError
        An observation of a record that ``stays.static`` does not have.

    Examples
    --------
    >>> import tempfile
    >>> from grukit.data import load_physionet2012
    >>> stays = synthetic_icu_stays(5, seed=2)
    >>> back = load_physionet2012(*write_physionet2012(stays, tempfile.mkdtemp()))
    >>> back.observations.equals(stays.observations), back.labels.equals(stays.labels)
    (True, True)
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    observations = stays.observations
    positions = observations.groupby("record", sort=False, observed=True).indices
    unknown = pd.Index(list(positions)).difference(stays.static.index)
    if len(unknown):
        raise GrukitDataError(f"`stays.static` has no row for record {unknown[0]!r}")
    hours = observations["hours"].to_numpy(dtype=np.float64)
    names = observations["variable"].astype(str).to_numpy()
    values = observations["value"].to_numpy(dtype=np.float64)
    for record, static in stays.static.iterrows():
        lines = ["Time,Parameter,Value", f"00:00,RecordID,{int(record)}"]
        lines += [f"00:00,{name},{_text(static[name])}" for name in PHYSIONET2012_STATIC[1:]]
        for i in positions.get(record, ()):
            if not np.isnan(values[i]):
                lines.append(f"{_clock(hours[i])},{names[i]},{_text(values[i])}")
        atomic_write_text(folder / f"{int(record)}.txt", "\n".join(lines) + "\n")
    if stays.labels is None:
        return folder, None
    return folder, atomic_write_text(folder / "Outcomes.txt", _outcomes_text(stays))


def _outcomes_text(stays: ICUStays) -> str:
    assert stays.labels is not None
    table = pd.DataFrame(-1, index=stays.static.index, columns=list(OUTCOME_COLUMNS[1:]))
    if stays.outcomes is not None:
        table.update(stays.outcomes.reindex(stays.static.index))
    table[LABEL] = stays.labels.reindex(stays.static.index)
    if table[LABEL].isna().any() or not table[LABEL].isin([0, 1]).all():
        raise GrukitDataError("`stays.labels` must be 0 or 1 for every record of `stays.static`")
    lines = [",".join(OUTCOME_COLUMNS)]
    for record, row in table.astype(np.int64).iterrows():
        lines.append(",".join(str(v) for v in (record, *row.tolist())))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- reviews

_ASPECTS = (
    "the plot", "the acting", "the script", "the soundtrack", "the camera work", "the ending",
    "the cast", "the dialogue", "the direction", "the pacing", "the story", "the lead character",
    "the editing", "this movie", "the film",
)  # fmt: skip
_WORDS = {
    1: ("good", "great", "excellent", "wonderful", "brilliant", "superb", "enjoyable",
        "moving", "funny", "beautiful", "memorable", "clever"),
    -1: ("bad", "awful", "terrible", "boring", "dull", "weak", "predictable", "clumsy",
         "painful", "forgettable", "silly", "poor"),
}  # fmt: skip
_INTENSIFIERS = ("very", "really", "truly", "extremely", "absolutely", "quite", "so")
_PLAIN = ("{a} was {i}{w}", "{a} is {i}{w}", "I found {a} {i}{w}", "{a} felt {i}{w}")
_NEGATED = (
    "{a} was not {i}{w}", "{a} is not {i}{w}", "{a} was never {w}", "{a} did not seem {w}",
    "I would not call {a} {w}", "{a} is hardly {w}",
)  # fmt: skip
_VERDICTS = {
    1: ("I would recommend it to anyone", "a must see", "definitely worth watching",
        "I would watch it again"),
    -1: ("I want my two hours back", "avoid it", "a waste of time", "I regret watching it"),
}  # fmt: skip
_NEGATED_VERDICTS = {
    1: ("I can not complain", "you will not regret it", "it never gets old"),
    -1: ("I would not recommend it", "it is not worth watching", "I will never watch it again"),
}  # fmt: skip
_FILLER = (
    "I saw it last weekend", "it is based on a novel", "the film runs about two hours",
    "my brother picked it", "I watched it on television", "it came out in the nineties",
    "the cinema was half empty", "there is a sequel",
)  # fmt: skip


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _clause(rng: np.random.Generator, polarity: int) -> str:
    """A clause saying `polarity` about an aspect, directly or by negating the opposite."""
    negated = bool(rng.random() < 0.35)
    intensifier = f"{_pick(rng, _INTENSIFIERS)} " if rng.random() < 0.4 else ""
    word = _pick(rng, _WORDS[-polarity if negated else polarity])
    template = _pick(rng, _NEGATED if negated else _PLAIN)
    return template.format(a=_pick(rng, _ASPECTS), i=intensifier, w=word)


def _review(rng: np.random.Generator, label: int) -> str:
    k = int(rng.integers(2, 5))
    polarities = [label] * k
    if k >= 3 and rng.random() < 0.3:
        polarities[int(rng.integers(k))] = -label
    sentences = []
    for polarity in polarities:
        clause = _clause(rng, polarity)
        if polarity != label and sentences:  # the odd one out: "..., but ..."
            sentences[-1] = f"{sentences[-1]}, but {clause}"
        else:
            sentences.append(clause)
    for _ in range(int(rng.integers(0, 3))):
        sentences.insert(int(rng.integers(len(sentences) + 1)), _pick(rng, _FILLER))
    if rng.random() < 0.5:
        negated = rng.random() < 0.35
        sentences.append(_pick(rng, (_NEGATED_VERDICTS if negated else _VERDICTS)[label]))
    breaks = rng.random() < 0.25
    joined = [s[0].upper() + s[1:] + "." for s in sentences]
    return (" <br /><br />" if breaks else " ").join(joined)


def synthetic_reviews(n: int = 1000, *, seed: int | None = 0) -> pd.DataFrame:
    """Short movie-review-like texts with their sentiment, negations included.

    The generating process is described in the module's documentation
    (:mod:`grukit.data.synthetic_classification`).

    Parameters
    ----------
    n : int
        Number of reviews: ``n // 2`` positive, the rest negative, in random order.
    seed : int or None
        Seed of the generator; the same seed gives the same reviews.

    Returns
    -------
    DataFrame
        Columns ``review`` (str) and ``sentiment`` (``"pos"`` or ``"neg"``).

    Examples
    --------
    >>> frame = synthetic_reviews(4, seed=3)
    >>> frame.columns.tolist(), sorted(frame["sentiment"])
    (['review', 'sentiment'], ['neg', 'neg', 'pos', 'pos'])
    """
    n = checks.positive_int("n", n, error=GrukitDataError)
    if seed is not None:
        checks.non_negative_int("seed", seed, error=GrukitDataError)
    rng = np.random.default_rng(seed)
    labels = np.where(rng.permutation(n) < n // 2, 1, -1)
    reviews = [_review(rng, int(label)) for label in labels]
    sentiment = np.where(labels == 1, "pos", "neg").astype(object)
    return pd.DataFrame({"review": reviews, "sentiment": sentiment})
