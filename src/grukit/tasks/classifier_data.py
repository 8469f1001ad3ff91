"""Reading what :class:`grukit.SequenceClassifier` classifies: texts, or irregular series.

Text (:func:`read_texts`): a table (DataFrame, CSV or Parquet path) with a text and a label
column, a pair ``(texts, labels)``, a list of texts (to predict), or the IMDB layout
(``aclImdb/{train,test}/{pos,neg}/*.txt`` as a folder or the original ``aclImdb_v1.tar.gz``).

Series (:func:`read_series`): a long table with an id and a time column and either one column
per variable or ``Parameter, Value`` rows (a label column constant within each id); the PhysioNet
2012 challenge format (a folder or tarball of records, labels from ``--outcomes``); an
:class:`grukit.data.ICUStays`; or arrays ``(X, y)`` / ``(X, lengths, y)`` with ``X`` (N, T, F),
NaN where unobserved, step ``t`` at hour ``t``. Everything becomes long observations ``record,
hours, variable, value``, static descriptors and labels per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grukit.data._errors import GrukitDataError

__all__ = [
    "SeriesSamples",
    "TextSamples",
    "DataParts",
    "classes_of",
    "concat_samples",
    "read_series",
    "read_texts",
    "split_samples",
]

TEXT_COLUMNS = ("text", "review", "sentence", "document", "content")
LABEL_COLUMNS = ("label", "sentiment", "class", "target", "y")
_OBSERVATIONS = ["record", "hours", "variable", "value"]


@dataclass(frozen=True)
class TextSamples:
    """Texts, their labels (None to predict) and where they came from (for messages)."""

    texts: list[str]
    labels: np.ndarray | None
    source: str

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, rows: np.ndarray) -> TextSamples:
        labels = None if self.labels is None else self.labels[rows]
        return TextSamples([self.texts[i] for i in rows], labels, self.source)


@dataclass(frozen=True)
class SeriesSamples:
    """Series in long form: ``observations`` (record, hours, variable, value), ``static``
    (indexed by record: every record, in order), ``labels`` (on the same index) or None."""

    observations: pd.DataFrame
    static: pd.DataFrame
    labels: np.ndarray | None
    source: str
    #: the hours the series span when the form says so (arrays: T steps of one hour)
    span_hours: float | None = None

    def __len__(self) -> int:
        return len(self.static)

    @property
    def records(self) -> pd.Index:
        return self.static.index

    def take(self, rows: np.ndarray) -> SeriesSamples:
        static = self.static.iloc[rows]
        kept = self.observations["record"].isin(static.index).to_numpy()
        labels = None if self.labels is None else self.labels[rows]
        return replace(self, observations=self.observations[kept], static=static, labels=labels)


@dataclass(frozen=True)
class DataParts:
    """Several sources read as one data set (e.g. PhysioNet's set-a and set-b): each part is
    anything one source may be; their samples are concatenated (:func:`concat_samples`)."""

    parts: tuple[Any, ...]


def concat_samples(parts: Sequence[Any]) -> Any:
    """One :class:`TextSamples` or :class:`SeriesSamples` of several, in order; a series record
    in two parts is refused, and the static descriptors must be the same columns."""
    first = parts[0]
    source = " + ".join(p.source for p in parts)
    labelled = all(p.labels is not None for p in parts)
    labels = np.concatenate([p.labels for p in parts]) if labelled else None
    if isinstance(first, TextSamples):
        return TextSamples([t for p in parts for t in p.texts], labels, source)
    columns = list(first.static.columns)
    for part in parts[1:]:
        if list(part.static.columns) != columns:
            raise GrukitDataError(
                f"{part.source} has static descriptors {list(part.static.columns)}, "
                f"{first.source} has {columns}"
            )
    static = pd.concat([p.static for p in parts])
    repeated = static.index[static.index.duplicated()]
    if len(repeated):
        raise GrukitDataError(f"record {repeated[0]!r} is in two of {source}")
    names: list[str] = []
    for part in parts:
        column = part.observations["variable"]
        seen = column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) else column
        names += [str(n) for n in pd.unique(np.asarray(seen, dtype=object)) if str(n) not in names]
    observations = pd.concat(
        [p.observations.assign(variable=p.observations["variable"].astype(str)) for p in parts],
        ignore_index=True,
    )
    observations["variable"] = pd.Categorical(observations["variable"], categories=names)
    spans = {p.span_hours for p in parts}
    span = spans.pop() if len(spans) == 1 else None
    return SeriesSamples(observations, static, labels, source, span_hours=span)


def _describe(data: Any) -> str:
    return f"'{data}'" if isinstance(data, str | Path) else f"the given {type(data).__name__}"


def _labels(values: Any, source: str) -> np.ndarray:
    labels = np.asarray(pd.Series(values).to_numpy(), dtype=object)
    missing = pd.isna(pd.Series(labels)).to_numpy()
    if missing.any():
        raise GrukitDataError(
            f"{source}: the label of row {int(np.flatnonzero(missing)[0])} is missing "
            f"({int(missing.sum())} rows without a label)"
        )
    return labels


def _pick(frame: pd.DataFrame, given: str | None, candidates: Sequence[str], what: str,
          option: str, source: str) -> str:  # fmt: skip
    if given is not None:
        if given not in frame.columns:
            raise GrukitDataError(
                f"{source} has no {what} column {given!r} ({option}); its columns are "
                f"{list(map(str, frame.columns))[:12]}"
            )
        return given
    lower = {str(c).lower(): c for c in frame.columns}
    for name in candidates:
        if name in lower:
            return str(lower[name])
    raise GrukitDataError(
        f"{source} has no {what} column named {' or '.join(candidates)}; name it with {option} "
        f"(columns: {list(map(str, frame.columns))[:12]})"
    )


def _is_imdb(path: Path) -> bool:
    if path.is_file():
        return path.name.endswith((".tar.gz", ".tgz", ".tar"))
    return path.is_dir() and any((path / p).is_dir() for p in ("train", "aclImdb/train"))


def read_texts(data: Any, *, text_column: str | None = None, label_column: str | None = None,
               labelled: bool = True, split: str = "train") -> TextSamples:  # fmt: skip
    """Texts (and labels unless `labelled` is False) from any accepted form (module docstring).

    `split` names the IMDB part read from the IMDB layout. A text that is not a str, or that
    is empty, is refused naming its row.
    """
    source = _describe(data)
    labels: Any = None
    if isinstance(data, tuple) and len(data) == 2:
        texts, labels = list(data[0]), list(data[1])
        if len(texts) != len(labels):
            raise GrukitDataError(
                f"texts and labels differ in length: {len(texts)} texts, {len(labels)} labels"
            )
    elif isinstance(data, list | np.ndarray) and not labelled:
        texts = list(data)
    elif isinstance(data, str | Path) and _is_imdb(Path(data)):
        from grukit.text import read_imdb

        frame = read_imdb(data, split)
        texts, labels = frame["text"].tolist(), frame["label"].tolist()
        source = f"'{data}' ({split})"
    elif isinstance(data, str | Path | pd.DataFrame):
        from grukit.data import read_table

        frame = data if isinstance(data, pd.DataFrame) else read_table(data)
        column = _pick(frame, text_column, TEXT_COLUMNS, "text", "--text-column", source)
        texts = frame[column].tolist()
        if labelled or (label_column is not None and label_column in frame.columns):
            name = _pick(frame, label_column, LABEL_COLUMNS, "label", "--label-column", source)
            labels = frame[name].tolist()
        source = f"{source} column {column!r}"
    else:
        raise GrukitDataError(
            "texts must be a table (DataFrame, CSV or Parquet path) with a text and a label "
            "column, a pair (texts, labels), a list of texts, or the IMDB folder or "
            f"aclImdb_v1.tar.gz, got {type(data).__name__}"
        )
    for row, text in enumerate(texts):
        if text is None or (isinstance(text, float) and np.isnan(text)):  # an empty CSV cell
            raise GrukitDataError(f"{source}: row {row} is an empty text")
        if not isinstance(text, str):
            raise GrukitDataError(f"{source}: row {row} is not text ({type(text).__name__})")
        if not text.strip():
            raise GrukitDataError(f"{source}: row {row} is an empty text")
    if not texts:
        raise GrukitDataError(f"{source} holds no texts")
    if labelled and labels is None:
        raise GrukitDataError(f"{source} has no labels")
    return TextSamples(texts, None if labels is None else _labels(labels, source), source)


def classes_of(samples: Any) -> list[Any]:
    """The sorted classes of labelled training samples; one class only is refused."""
    classes = sorted(set(samples.labels.tolist()), key=lambda c: (str(type(c)), c))
    if len(classes) < 2:
        raise GrukitDataError(
            f"{samples.source}: the labels hold one class only ({classes[0]!r}); a "
            "classifier needs at least two"
        )
    return classes


def split_samples(samples: Any, fraction: float, seed: int) -> tuple[Any, Any]:
    """(rest, part): a random `fraction` of the samples, stratified by label when labelled."""
    count = len(samples)
    rng = np.random.default_rng(seed)
    if samples.labels is None:
        order = rng.permutation(count)
        cut = int(round(count * fraction))
        return samples.take(np.sort(order[cut:])), samples.take(np.sort(order[:cut]))
    chosen = []
    keys = pd.Series(samples.labels).astype(str).to_numpy()
    for key in sorted(set(keys)):
        rows = rng.permutation(np.flatnonzero(keys == key))
        chosen.append(rows[: int(round(len(rows) * fraction))])
    part = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    rest = np.setdiff1d(np.arange(count), part)
    if len(part) == 0 or len(rest) == 0:
        raise GrukitDataError(
            f"a split of {fraction} of {count} samples leaves one side empty; use more data "
            "or another fraction"
        )
    return samples.take(rest), samples.take(part)


# -- series ----------------------------------------------------------------------------------------
def _from_arrays(data: tuple, source: str, labelled: bool) -> SeriesSamples:
    if labelled and len(data) not in (2, 3):
        raise GrukitDataError("series arrays must be (X, y) or (X, lengths, y)")
    x = np.asarray(data[0], dtype=np.float64)
    if x.ndim != 3:
        raise GrukitDataError(f"series array X must be (N, T, F), got shape {x.shape}")
    count, steps, features = x.shape
    lengths = np.full(count, steps) if len(data) == (2 if labelled else 1) else data[1]
    lengths = np.asarray(lengths)
    if lengths.shape != (count,) or not np.issubdtype(lengths.dtype, np.integer):
        raise GrukitDataError(f"lengths must be {count} integers, got shape {lengths.shape}")
    if (lengths < 0).any() or (lengths > steps).any():
        raise GrukitDataError(
            f"lengths must be in [0, {steps}], got {lengths.min()}..{lengths.max()}"
        )
    if np.isinf(x).any():
        raise GrukitDataError("series array X holds infinite values (NaN marks unobserved)")
    labels = _labels(data[-1], source) if labelled else None
    if labels is not None and len(labels) != count:
        raise GrukitDataError(f"X has {count} series but y has {len(labels)} labels")
    record, step, feature = np.nonzero(
        ~np.isnan(x) & (np.arange(steps)[None, :, None] < lengths[:, None, None])
    )
    names = [f"x{j}" for j in range(features)]
    observations = pd.DataFrame({
        "record": record.astype(np.int64), "hours": step.astype(np.float64),
        "variable": pd.Categorical.from_codes(feature, names), "value": x[record, step, feature],
    })  # fmt: skip
    static = pd.DataFrame(index=pd.Index(np.arange(count, dtype=np.int64), name="record"))
    return SeriesSamples(observations, static, labels, source, span_hours=float(steps))


def _hours(column: pd.Series, ids: pd.Series, source: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column):
        hours = column.to_numpy(dtype=np.float64)
    else:
        times = pd.to_datetime(column, errors="coerce")
        if times.isna().any():
            row = int(np.flatnonzero(times.isna().to_numpy())[0])
            raise GrukitDataError(f"{source}: time {column.iloc[row]!r} of row {row} is not a time")
        first = times.groupby(ids.to_numpy()).transform("min")
        hours = ((times - first).dt.total_seconds() / 3600.0).to_numpy()
    if not np.isfinite(hours).all() or (hours < 0).any():
        raise GrukitDataError(f"{source}: times must be finite hours >= 0 (or dates)")
    return hours


def _from_table(frame: pd.DataFrame, options: dict[str, Any], source: str,
                labelled: bool) -> SeriesSamples:  # fmt: skip
    id_column = _pick(frame, options.get("id_column"), ("id", "record", "recordid", "patient"),
                      "id", "--id-column", source)  # fmt: skip
    time_column = _pick(frame, options.get("time_column"), ("time", "hours", "hour", "t"),
                        "time", "--time-column", source)  # fmt: skip
    label_column = None
    if labelled or options.get("label_column") in frame.columns:
        label_column = _pick(frame, options.get("label_column"), LABEL_COLUMNS, "label",
                             "--label-column", source)  # fmt: skip
    ids = frame[id_column]
    hours = _hours(frame[time_column], ids, source)
    lower = {str(c).lower(): c for c in frame.columns}
    if "parameter" in lower and "value" in lower:  # Parameter, Value rows
        long = pd.DataFrame({
            "record": ids.to_numpy(), "hours": hours,
            "variable": frame[lower["parameter"]].astype(str).to_numpy(),
            "value": pd.to_numeric(frame[lower["value"]], errors="coerce").to_numpy(),
        })  # fmt: skip
    else:
        used = {id_column, time_column, label_column}
        variables = [c for c in frame.columns if c not in used]
        bad = [str(c) for c in variables if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise GrukitDataError(f"{source}: variable columns must be numeric, {bad[:3]} are not")
        wide = frame[variables].set_axis([str(c) for c in variables], axis=1)
        wide.insert(0, "hours", hours)
        wide.insert(0, "record", ids.to_numpy())
        long = wide.melt(["record", "hours"], var_name="variable", value_name="value")
    long = long.dropna(subset=["value"]).sort_values(["record", "hours"], kind="stable")
    records = pd.Index(pd.unique(ids.sort_values(kind="stable")), name="record")
    labels = None
    if label_column is not None:
        per_id = frame.groupby(ids.to_numpy())[label_column].agg(lambda s: s.dropna().unique())
        for record, values in per_id.items():
            if len(values) == 0:
                raise GrukitDataError(
                    f"{source}: series {record!r} has no label in {label_column!r}"
                )
            if len(values) > 1:
                raise GrukitDataError(
                    f"{source}: series {record!r} has several labels in {label_column!r}: "
                    f"{list(values)[:3]}"
                )
        labels = _labels([per_id.loc[r][0] for r in records], source)
    static = pd.DataFrame(index=records)
    return SeriesSamples(long.reset_index(drop=True), static, labels, source)


def read_series(data: Any, *, outcomes: Any = None, labelled: bool = True,
                **options: Any) -> SeriesSamples:  # fmt: skip
    """Series from any accepted form (module docstring); `options` name the table's columns
    (``id_column``, ``time_column``, ``label_column``)."""
    from grukit.data import ICUStays, load_physionet2012, read_table

    source = _describe(data)
    if isinstance(data, tuple):
        return _from_arrays(data, source, labelled)
    if isinstance(data, str | Path) and (Path(data).is_dir() or str(data).endswith(".tar.gz")):
        data = load_physionet2012(data, outcomes, unknown=options.get("unknown", "error"))
    elif outcomes is not None:
        raise GrukitDataError("--outcomes goes with PhysioNet records (a folder or a .tar.gz)")
    if isinstance(data, ICUStays):
        labels = None if data.labels is None else data.labels.to_numpy().astype(object)
        if labelled and labels is None:
            raise GrukitDataError(f"{source}: no labels; give the outcomes file (--outcomes)")
        observations = data.observations[_OBSERVATIONS]
        return SeriesSamples(observations, data.static, labels, source)
    if isinstance(data, str | Path | pd.DataFrame):
        frame = data if isinstance(data, pd.DataFrame) else read_table(data)
        return _from_table(frame, options, source, labelled)
    raise GrukitDataError(
        "series must be a long table (DataFrame, CSV or Parquet path), PhysioNet records (a "
        "folder or .tar.gz, with --outcomes), an ICUStays, or arrays (X, y) / (X, lengths, y), "
        f"got {type(data).__name__}"
    )
