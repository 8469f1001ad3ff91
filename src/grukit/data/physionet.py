"""The PhysioNet/Computing in Cardiology Challenge 2012 (in-hospital mortality of ICU stays).

Each record ``<RecordID>.txt`` is a CSV ``Time,Parameter,Value`` with ``Time`` as ``hh:mm`` from
ICU admission (the first 48 hours). Six static descriptors are given at ``00:00`` (RecordID, Age,
Gender, Height, ICUType, Weight); 37 variables are sampled irregularly, Weight among them (its
``00:00`` line is the admission weight, a static descriptor; later lines are the series). ``-1``
means unknown. :func:`load_physionet2012` reads a folder of records or the challenge's tarball.

References
----------
Silva, I., Moody, G., Scott, D. J., Celi, L. A., Mark, R. G. (2012), "Predicting In-Hospital
Mortality of ICU Patients: The PhysioNet/Computing in Cardiology Challenge 2012", Computing in
Cardiology 39: 245-248. physionet.org/content/challenge-2012/1.0.0/ (ODC-By 1.0).
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = [
    "PHYSIONET2012_STATIC",
    "PHYSIONET2012_VARIABLES",
    "ICUStays",
    "load_physionet2012",
    "read_physionet2012_outcomes",
]

#: The static descriptors, given once at ``00:00`` (RecordID becomes the index).
PHYSIONET2012_STATIC = ("RecordID", "Age", "Gender", "Height", "ICUType", "Weight")

#: The 37 time-series variables, in the order of the challenge's description.
PHYSIONET2012_VARIABLES = (
    "HR", "MAP", "SysABP", "DiasABP", "NISysABP", "NIDiasABP", "NIMAP", "Temp", "GCS",
    "RespRate", "Urine", "FiO2", "MechVent", "pH", "PaCO2", "PaO2", "HCT", "K", "Platelets",
    "Creatinine", "BUN", "HCO3", "Mg", "Na", "Glucose", "WBC", "SaO2", "Lactate", "Bilirubin",
    "AST", "ALT", "ALP", "Albumin", "TroponinT", "TroponinI", "Cholesterol", "Weight",
)  # fmt: skip

OUTCOME_COLUMNS = ("RecordID", "SAPS-I", "SOFA", "Length_of_stay", "Survival", "In-hospital_death")
LABEL = "In-hospital_death"
UNKNOWN_POLICIES = ("error", "keep", "drop")
_HEADER = "Time,Parameter,Value"
_STATIC_ONLY = frozenset(PHYSIONET2012_STATIC) - {"Weight"}
_LIMIT_BYTES = 64 * 2**20  # no record of the challenge is over 100 kB


@dataclass(frozen=True)
class ICUStays:
    """ICU stays read by :func:`load_physionet2012`.

    Attributes
    ----------
    observations : DataFrame
        Long format, one row per measurement: ``record`` (int64 RecordID), ``hours`` (float64,
        from admission), ``variable`` (categorical: the 37 variables in
        :data:`PHYSIONET2012_VARIABLES` order, then any kept unknown ones), ``value`` (float64).
        Sorted by record, then hours; measurements sharing a time keep their file order.
        Unknown values (``-1``) are left out.
    static : DataFrame
        Indexed by ``record`` (every record, static-only ones included, sorted); float64 columns
        ``Age, Gender, Height, ICUType, Weight``, NaN where the file gives ``-1`` or nothing.
    labels : Series or None
        ``In-hospital_death`` (int64, 0 or 1) on the index of ``static``, when outcomes are read.
    outcomes : DataFrame or None
        The whole outcomes table on the same index (``SAPS-I, SOFA, Length_of_stay, Survival,
        In-hospital_death``; ``-1`` kept as the file gives it).
    """

    observations: pd.DataFrame
    static: pd.DataFrame
    labels: pd.Series | None = None
    outcomes: pd.DataFrame | None = None

    @property
    def records(self) -> pd.Index:
        """The record ids, sorted (the index of ``static``)."""
        return self.static.index

    @property
    def variables(self) -> list[str]:
        """The variable names of ``observations`` (its categories, in order)."""
        return [str(v) for v in self.observations["variable"].cat.categories]

    def __len__(self) -> int:
        return len(self.static)


def load_physionet2012(
    records: str | Path,
    outcomes: str | Path | None = None,
    *,
    unknown: str = "error",
) -> ICUStays:
    """Read the PhysioNet 2012 challenge records (and, optionally, their outcomes).

    Parameters
    ----------
    records : str or Path
        A folder of ``<RecordID>.txt`` files (e.g. ``set-a/``; other files are ignored), or the
        challenge's tarball (``set-a.tar.gz``), read as a stream without extracting; a member
        with an absolute path, a ``..`` part, or that is a link is refused.
    outcomes : str or Path, optional
        ``Outcomes-a.txt``: ``RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death``.
        It must name exactly the records read.
    unknown : {"error", "keep", "drop"}
        What to do with a parameter name that is neither a static descriptor nor one of the 37
        variables: refuse it (naming the known ones), keep it as an extra variable, or drop it.

    Returns
    -------
    ICUStays
        ``observations`` (long format), ``static``, ``labels`` and ``outcomes``.

    Raises
    ------
    GrukitDataError
        One line: a malformed line (file and line number), an unknown parameter, a repeated
        record, an outcomes file that does not match the records (a few ids and the count).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "132539.txt").write_text(
    ...     "Time,Parameter,Value\\n00:00,RecordID,132539\\n00:00,Age,54\\n00:00,Gender,0\\n"
    ...     "00:00,Height,-1\\n00:00,ICUType,4\\n00:00,Weight,-1\\n00:07,HR,73\\n00:37,HR,77\\n")
    >>> stays = load_physionet2012(folder)
    >>> stays.observations.to_dict("list")["value"], float(stays.static.loc[132539, "Age"])
    ([73.0, 77.0], 54.0)
    """
    checks.choice("unknown", unknown, UNKNOWN_POLICIES, error=GrukitDataError)
    reader = _Reader(unknown)
    for name, text in _record_texts(Path(records)):
        reader.read(name, text)
    stays = reader.result()
    if outcomes is None:
        return stays
    table = read_physionet2012_outcomes(outcomes)
    _require_same_records(stays.records, table.index, Path(outcomes).name)
    table = table.loc[stays.records]
    return ICUStays(stays.observations, stays.static, table[LABEL].rename(LABEL), table)


def _record_texts(path: Path) -> Iterator[tuple[str, str]]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".txt" and p.stem.isdigit())
        if not files:
            raise GrukitDataError(f"`records` folder {str(path)!r} holds no <RecordID>.txt files")
        for file in files:
            if file.is_file():
                yield file.name, _decode(file.read_bytes(), file.name)
        return
    if not path.is_file():
        raise GrukitDataError(f"`records` must be a folder or a .tar.gz file, got {str(path)!r}")
    yield from _tar_texts(path)


def _tar_texts(path: Path) -> Iterator[tuple[str, str]]:
    found = 0
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                parts = PurePosixPath(member.name).parts
                if member.name.startswith(("/", "\\")) or ".." in parts:
                    raise GrukitDataError(
                        f"{path.name}: member {member.name!r} has an absolute path or '..'"
                    )
                if member.isdir():
                    continue
                stem = PurePosixPath(member.name)
                if not (stem.suffix == ".txt" and stem.stem.isdigit()):
                    continue
                if not member.isfile() or member.size > _LIMIT_BYTES:
                    raise GrukitDataError(
                        f"{path.name}: member {member.name!r} is not a regular file under 64 MiB"
                    )
                handle = archive.extractfile(member)
                assert handle is not None  # a regular file always has one
                found += 1
                yield member.name, _decode(handle.read(), member.name)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise GrukitDataError(
            f"`records` {path.name!r} is not a readable tar file: {error}"
        ) from None
    if not found:
        raise GrukitDataError(f"`records` {path.name!r} holds no <RecordID>.txt members")


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise GrukitDataError(
            f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None


class _Reader:
    """Accumulates records into flat lists; one instance per call."""

    def __init__(self, unknown: str) -> None:
        self.unknown = unknown
        self.codes = {name: i for i, name in enumerate(PHYSIONET2012_VARIABLES)}
        self.extra: list[str] = []
        self.times: dict[str, float] = {}
        self.record: list[int] = []
        self.hours: list[float] = []
        self.variable: list[int] = []
        self.value: list[float] = []
        self.static: dict[int, list[float]] = {}
        self.where: dict[int, str] = {}

    def read(self, name: str, text: str) -> None:
        lines = text.splitlines()
        if not lines or lines[0].strip() != _HEADER:
            raise GrukitDataError(f"{name}: line 1 must be {_HEADER!r}, got {lines[:1]}")
        stem = int(PurePosixPath(name).stem)
        static = [np.nan] * 5  # Age, Gender, Height, ICUType, Weight
        seen: set[str] = set()
        start = len(self.record)
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            time, parameter, value = self._parse(name, number, line)
            if parameter in _STATIC_ONLY or (parameter == "Weight" and "Weight" not in seen):
                if time == 0.0:
                    self._static(name, number, parameter, value, stem, static, seen)
                    continue
                if parameter != "Weight":
                    raise GrukitDataError(
                        f"{name} line {number}: static descriptor {parameter!r} at {line[:5]!r}, "
                        "expected 00:00"
                    )
            code = self._code(name, number, parameter)
            if code is None or value == -1.0:
                continue
            self.hours.append(time)
            self.variable.append(code)
            self.value.append(value)
        self.record.extend([stem] * (len(self.hours) - start))
        if stem in self.static:
            raise GrukitDataError(f"record {stem} is given twice: {self.where[stem]} and {name}")
        self.static[stem], self.where[stem] = static, name

    def _parse(self, name: str, number: int, line: str) -> tuple[float, str, float]:
        fields = line.split(",")
        time = self.times.get(fields[0])
        if time is None:
            time = self._time(name, number, fields[0])
        try:
            if len(fields) != 3:
                raise ValueError
            value = float(fields[2])
            if not np.isfinite(value):
                raise ValueError
        except ValueError:
            raise GrukitDataError(
                f"{name} line {number}: expected 'hh:mm,Parameter,number', got {line[:60]!r}"
            ) from None
        return time, fields[1].strip(), value

    def _time(self, name: str, number: int, text: str) -> float:
        hours, _, minutes = text.strip().partition(":")
        if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(minutes) < 60):
            raise GrukitDataError(f"{name} line {number}: time must be hh:mm, got {text!r}")
        time = int(hours) + int(minutes) / 60.0
        self.times[text] = time
        return time

    def _static(self, name, number, parameter, value, stem, static, seen) -> None:
        if parameter in seen:
            raise GrukitDataError(f"{name} line {number}: {parameter} is given twice")
        seen.add(parameter)
        if parameter == "RecordID":
            if value != stem:
                raise GrukitDataError(f"{name} line {number}: RecordID {value:g} != file name")
            return
        static[PHYSIONET2012_STATIC.index(parameter) - 1] = np.nan if value == -1.0 else value

    def _code(self, name: str, number: int, parameter: str) -> int | None:
        code = self.codes.get(parameter)
        if code is not None or self.unknown == "drop":
            return code
        if self.unknown == "error":
            known = ", ".join((*PHYSIONET2012_STATIC, *PHYSIONET2012_VARIABLES[:-1]))
            raise GrukitDataError(
                f"{name} line {number}: unknown parameter {parameter!r} (known: {known}; "
                "unknown='drop' leaves such a parameter out, unknown='keep' keeps it as a variable)"
            )
        self.codes[parameter] = len(self.codes)
        self.extra.append(parameter)
        return self.codes[parameter]

    def result(self) -> ICUStays:
        index = pd.Index(sorted(self.static), name="record", dtype=np.int64)
        static = pd.DataFrame(
            [self.static[r] for r in index], index=index, columns=list(PHYSIONET2012_STATIC[1:])
        )
        categories = [*PHYSIONET2012_VARIABLES, *self.extra]
        frame = pd.DataFrame(
            {
                "record": np.asarray(self.record, dtype=np.int64),
                "hours": np.asarray(self.hours, dtype=np.float64),
                "variable": pd.Categorical.from_codes(
                    np.asarray(self.variable, dtype=np.int32), categories=categories
                ),
                "value": np.asarray(self.value, dtype=np.float64),
            }
        )
        frame = frame.sort_values(["record", "hours"], kind="stable", ignore_index=True)
        return ICUStays(frame, static.astype(np.float64))


def read_physionet2012_outcomes(path: str | Path) -> pd.DataFrame:
    """The outcomes table (``Outcomes-a.txt``), indexed by ``record``; int64 columns."""
    path = Path(path)
    if not path.is_file():
        raise GrukitDataError(f"`outcomes` file not found: {str(path)!r}")
    lines = _decode(path.read_bytes(), path.name).splitlines()
    header = ",".join(OUTCOME_COLUMNS)
    if not lines or lines[0].strip() != header:
        raise GrukitDataError(f"{path.name}: line 1 must be {header!r}, got {lines[:1]}")
    rows: dict[int, list[int]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(",")
        try:
            if len(fields) != len(OUTCOME_COLUMNS):
                raise ValueError
            row = [int(field) for field in fields]
        except ValueError:
            raise GrukitDataError(
                f"{path.name} line {number}: expected {len(OUTCOME_COLUMNS)} integers, "
                f"got {line[:60]!r}"
            ) from None
        if row[-1] not in (0, 1):
            raise GrukitDataError(f"{path.name} line {number}: {LABEL} must be 0 or 1")
        if row[0] in rows:
            raise GrukitDataError(f"{path.name} line {number}: record {row[0]} is given twice")
        rows[row[0]] = row[1:]
    index = pd.Index(list(rows), name="record", dtype=np.int64)
    return pd.DataFrame(list(rows.values()), index=index, columns=list(OUTCOME_COLUMNS[1:]))


def _require_same_records(records: pd.Index, named: pd.Index, file: str) -> None:
    for ids, what in (
        (named.difference(records), "names records that were not read"),
        (records.difference(named), "has no outcome for records that were read"),
    ):
        if len(ids):
            few = ", ".join(str(i) for i in ids[:5])
            more = " ..." if len(ids) > 5 else ""
            raise GrukitDataError(f"{file} {what}: {few}{more} ({len(ids)} in all)")
