"""The PhysioNet 2012 loader on small files built here, and on the real set-a when present."""

import io
import tarfile

import numpy as np
import pytest

from grukit.data import (
    PHYSIONET2012_VARIABLES,
    GrukitDataError,
    load_physionet2012,
    summary_features,
    to_grid,
)
from support.datasets import PHYSIONET2012

HEADER = "Time,Parameter,Value\n"
OUTCOMES = "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n"


def _static(record, age=54, gender=0, height=-1, icu=4, weight=-1):
    return (
        f"00:00,RecordID,{record}\n00:00,Age,{age}\n00:00,Gender,{gender}\n"
        f"00:00,Height,{height}\n00:00,ICUType,{icu}\n00:00,Weight,{weight}\n"
    )


RECORDS = {
    # measurements share 00:07; a 00:00 measurement between the static lines; Weight over time
    "132539": HEADER
    + "00:00,RecordID,132539\n00:00,Age,54\n00:00,GCS,14\n00:00,Gender,0\n00:00,Height,-1\n"
    "00:00,ICUType,4\n00:00,Weight,80.5\n00:07,HR,73\n00:07,Temp,35.1\n00:37,HR,77\n"
    "12:30,Weight,81\n47:59,pH,7.4\n48:00,HR,90\n",
    "132540": HEADER + _static(132540, 76, 1, 175.3, 2, -1) + "01:00,MAP,-1\n01:00,MAP,70\n",
    "140501": HEADER + _static(140501, 31, 1, -1, 3, -1),  # static descriptors only
}


def _write(folder, records=RECORDS):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in records.items():
        (folder / f"{name}.txt").write_text(text)
    return folder


def _outcomes(path, rows):
    path.write_text(OUTCOMES + "".join(f"{r},10,5,7,-1,{d}\n" for r, d in rows))
    return path


def _tar(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_folder_reads_observations_static_and_labels(tmp_path):
    folder = _write(tmp_path / "set-a")
    outcomes = _outcomes(tmp_path / "Outcomes-a.txt", [(140501, 1), (132539, 0), (132540, 0)])
    stays = load_physionet2012(folder, outcomes)
    assert len(stays) == 3 and stays.records.tolist() == [132539, 132540, 140501]
    obs = stays.observations
    assert obs.columns.tolist() == ["record", "hours", "variable", "value"]
    assert stays.variables == list(PHYSIONET2012_VARIABLES)
    first = obs[obs.record == 132539]
    assert first["variable"].astype(str).tolist() == [
        "GCS",
        "HR",
        "Temp",
        "HR",
        "Weight",
        "pH",
        "HR",
    ]
    np.testing.assert_allclose(first["hours"], [0, 7 / 60, 7 / 60, 37 / 60, 12.5, 47 + 59 / 60, 48])
    assert obs[obs.record == 132540]["value"].tolist() == [70.0]  # the -1 is unknown
    assert 140501 not in set(obs.record)
    static = stays.static
    assert static.columns.tolist() == ["Age", "Gender", "Height", "ICUType", "Weight"]
    assert static.loc[132539, "Weight"] == 80.5 and np.isnan(static.loc[132539, "Height"])
    assert static.loc[132540].tolist()[:4] == [76.0, 1.0, 175.3, 2.0]
    assert stays.labels.tolist() == [0, 0, 1] and stays.labels.name == "In-hospital_death"
    assert stays.outcomes.loc[140501, "SAPS-I"] == 10


def test_tarball_reads_the_same_as_the_folder(tmp_path):
    folder = load_physionet2012(_write(tmp_path / "set-a"))
    members = {"set-a/": "", **{f"set-a/{k}.txt": v for k, v in RECORDS.items()}}
    members["set-a/README"] = "not a record"
    tar = load_physionet2012(_tar(tmp_path / "set-a.tar.gz", members))
    assert tar.observations.equals(folder.observations) and tar.static.equals(folder.static)
    assert tar.labels is None


@pytest.mark.parametrize("name", ["../132539.txt", "/tmp/132539.txt", "set-a/../../1.txt"])
def test_tarball_refuses_members_outside(tmp_path, name):
    path = _tar(tmp_path / "bad.tar.gz", {name: RECORDS["132539"]})
    with pytest.raises(GrukitDataError, match="has an absolute path or '..'"):
        load_physionet2012(path)


def test_tarball_refuses_links(tmp_path):
    path = tmp_path / "link.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("set-a/132539.txt")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(info)
    with pytest.raises(GrukitDataError, match="is not a regular file"):
        load_physionet2012(path)


def test_unknown_parameter_error_keep_drop(tmp_path):
    records = {"1": HEADER + _static(1) + "01:00,HR,70\n02:00,Pulse,71\n"}
    folder = _write(tmp_path / "x", records)
    with pytest.raises(GrukitDataError, match=r"1.txt line 9: unknown parameter 'Pulse' \(known: "):
        load_physionet2012(folder)
    kept = load_physionet2012(folder, unknown="keep")
    assert kept.variables[-1] == "Pulse" and len(kept.observations) == 2
    assert len(load_physionet2012(folder, unknown="drop").observations) == 1
    with pytest.raises(GrukitDataError, match="`unknown` must be one of 'error', 'keep'"):
        load_physionet2012(folder, unknown="ignore")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("01:00,HR\n", r"7.txt line 8: expected 'hh:mm,Parameter,number', got '01:00,HR'"),
        ("01:00,HR,fast\n", "7.txt line 8: expected 'hh:mm,Parameter,number'"),
        ("1h,HR,70\n", "7.txt line 8: time must be hh:mm, got '1h'"),
        ("01:75,HR,70\n", "7.txt line 8: time must be hh:mm"),
        ("05:00,Age,70\n", "7.txt line 8: static descriptor 'Age' at '05:00', expected 00:00"),
        ("00:00,Gender,1\n", "7.txt line 8: Gender is given twice"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path, body, message):
    folder = _write(tmp_path / "x", {"7": HEADER + _static(7) + body})
    with pytest.raises(GrukitDataError, match=message):
        load_physionet2012(folder)


def test_bad_files(tmp_path):
    with pytest.raises(GrukitDataError, match="line 1 must be 'Time,Parameter,Value'"):
        load_physionet2012(_write(tmp_path / "a", {"7": "Time,Value\n"}))
    with pytest.raises(GrukitDataError, match="RecordID 8 != file name"):
        load_physionet2012(_write(tmp_path / "b", {"7": HEADER + _static(8)}))
    with pytest.raises(GrukitDataError, match="holds no <RecordID>.txt files"):
        load_physionet2012(_write(tmp_path / "c", {}))
    with pytest.raises(GrukitDataError, match="must be a folder or a .tar.gz file"):
        load_physionet2012(tmp_path / "nowhere")
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(GrukitDataError, match="is not a readable tar file"):
        load_physionet2012(tmp_path / "junk.tar.gz")
    twice = {"a/7.txt": HEADER + _static(7), "b/7.txt": HEADER + _static(7)}
    with pytest.raises(GrukitDataError, match="record 7 is given twice: a/7.txt and b/7.txt"):
        load_physionet2012(_tar(tmp_path / "twice.tar.gz", twice))


def test_outcomes_must_match_the_records(tmp_path):
    folder = _write(tmp_path / "set-a")
    extra = [(132539, 0), (132540, 0), (140501, 1), *((900000 + i, 0) for i in range(7))]
    with pytest.raises(
        GrukitDataError,
        match=r"names records that were not read: 900000, 900001, 900002, 900003, 900004 \.\.\. "
        r"\(7 in all\)",
    ):
        load_physionet2012(folder, _outcomes(tmp_path / "o1.txt", extra))
    with pytest.raises(
        GrukitDataError, match=r"has no outcome for records that were read: 140501 \(1 in all\)"
    ):
        load_physionet2012(folder, _outcomes(tmp_path / "o2.txt", [(132539, 0), (132540, 1)]))
    bad = tmp_path / "o3.txt"
    bad.write_text(OUTCOMES + "132539,10,5,7,-1\n")
    with pytest.raises(GrukitDataError, match="o3.txt line 2: expected 6 integers"):
        load_physionet2012(folder, bad)
    bad.write_text(OUTCOMES + "132539,10,5,7,-1,2\n")
    with pytest.raises(GrukitDataError, match="o3.txt line 2: In-hospital_death must be 0 or 1"):
        load_physionet2012(folder, bad)


@pytest.fixture(scope="module")
def set_a():
    tarball, outcomes = PHYSIONET2012 / "set-a.tar.gz", PHYSIONET2012 / "Outcomes-a.txt"
    if not (tarball.exists() and outcomes.exists()):
        pytest.skip(f"dataset not found at {PHYSIONET2012} (set GRUKIT_SHARED_DATA)")
    return load_physionet2012(tarball, outcomes)


def test_real_set_a(set_a):
    """4,000 records and 554 deaths; 1,761,980 lines less 4,000 headers and 24,000 static
    lines are all measurements (no series value is -1 in set-a). Of the four records named as
    static-only, three have no measurement and 139060 has one (HCT at 05:58)."""
    assert len(set_a) == 4000 and int(set_a.labels.sum()) == 554
    assert len(set_a.observations) == 1_761_980 - 4000 - 24_000
    assert set_a.variables == list(PHYSIONET2012_VARIABLES)
    assert set(set_a.observations["variable"].astype(str)) == set(PHYSIONET2012_VARIABLES)
    counts = set_a.observations.groupby("record").size()
    for record in (139060, 140501, 140936, 141264):
        assert record in set_a.records
    assert set(set_a.records.difference(counts.index)) == {140501, 140936, 141264}
    assert counts[139060] == 1
    assert set_a.observations["hours"].between(0, 48).all()
    assert set_a.static["ICUType"].isin([1, 2, 3, 4]).all()
    assert int(set_a.static["Height"].isna().sum()) == 1894
    assert int(set_a.static["Weight"].isna().sum()) == 326


def test_real_set_a_grid_and_summary(set_a):
    grid = to_grid(set_a.observations, records=set_a.records)
    assert grid.values.shape == (4000, 48, 37)
    assert grid.lengths[set_a.records.get_indexer([140501, 140936, 141264])].tolist() == [0, 0, 0]
    assert grid.lengths[set_a.records.get_loc(139060)] == 6  # the HCT at 05:58
    table = summary_features(set_a.observations, set_a.static)
    assert table.shape == (4000, 37 * 5 + 5)
    assert int(table["HR_count"].sum()) == int((set_a.observations["variable"] == "HR").sum())
