"""One drug resolver across screens: keys, aliases, structures, collisions and reports."""

from __future__ import annotations

import pandas as pd

from cellresponse.chem import structure_key
from cellresponse.data import DrugResolver


def test_keys_and_resolve_report() -> None:
    r = DrugResolver(aliases={"BYL719": "alpelisib"})
    keys, report = r.resolve(["Alpelisib", "BYL719", "PLX-4720", "PLX4720", "Erlotinib"], reference={"erlotinib"})
    # Alpelisib and BYL719 are one drug in one screen: excluded, never merged; likewise PLX-4720/PLX4720
    assert keys.to_dict() == {"Erlotinib": "erlotinib"}
    assert {c["key"] for c in report.collisions} == {"alpelisib", "plx4720"}
    assert report.unmatched == [] and report.matched_by == {"name": 1}
    keys, report = r.resolve(["BYL719", "Cisplatin"], reference={"erlotinib"})
    assert keys.to_dict() == {"BYL719": "alpelisib", "Cisplatin": "cisplatin"}
    assert report.matched_by == {"alias": 1, "name": 1} and report.unmatched == ["BYL719", "Cisplatin"]


def test_match_by_name_alias_and_structure() -> None:
    r = DrugResolver(aliases={"BYL719": "alpelisib"})
    ethanol, salt, acid = structure_key("CCO"), structure_key("CC(=O)[O-].[Na+]"), structure_key("CC(=O)O")
    a = pd.DataFrame(
        {"name": ["Alpelisib", "Erlotinib", "Drug A", "Twin 1", "Twin 2", "Only A"],
         "structure_key": [None, ethanol, salt, "K1", "K1", None]},
        index=["a1", "a2", "a3", "a4", "a5", "a6"],
    )  # fmt: skip
    b = pd.DataFrame(
        {"name": ["BYL719", "erlotinib", "compound 7", "twin", "Only B"],
         "structure_key": [None, acid, acid, "K1", None]},
        index=["b1", "b2", "b3", "b4", "b5"],
    )  # fmt: skip
    m = r.match(a, b, source="a -> b")
    pairs = m.pairs.set_index("a")
    assert pairs.loc["a1", ["b", "matched_by"]].tolist() == ["b1", "alias"]
    assert pairs.loc["a2", ["b", "matched_by"]].tolist() == ["b2", "name"]
    assert pairs.loc["a3", ["b", "matched_by"]].tolist() == ["b3", "structure"]  # a salt and its free acid
    assert "a4" not in pairs.index and "a5" not in pairs.index  # one structure, two drugs of a: excluded
    assert any(c["kind"] == "structure" and c["key"] == "K1" for c in m.report.collisions)
    assert set(m.report.unmatched) == {"a4", "a5", "a6"} and m.report.extra["b_unmatched"] == ["b4", "b5"]
    conflict = m.report.extra["structure_conflicts"]
    assert conflict == [{"a": "a2", "b": "b2", "a_structure": ethanol, "b_structure": acid}]
    assert m.report.matched_by == {"alias": 1, "name": 1, "structure": 1}


def test_real_screens_share_drugs(real_data_root) -> None:
    from cellresponse.datasets._drugs import drug_catalogue

    cat = drug_catalogue(str(real_data_root))
    r = DrugResolver()
    m = r.match(cat["gdsc2"].set_index("name"), cat["ccle"].set_index("name"), source="gdsc2 -> ccle")
    assert len(m.pairs) == 13  # 9 by name, 4 through aliases (17-AAG, AZD6244, PD-0332991, PF2341066)
    assert set(m.pairs.loc[m.pairs["matched_by"] == "alias", "b"]) == {"17-AAG", "AZD6244", "PD-0332991", "PF2341066"}
    m = r.match(cat["gdsc2"].set_index("name"), cat["ctrp_v2"].set_index("name"), source="gdsc2 -> ctrp_v2")
    assert m.pairs.loc[m.pairs["a"] == "Dactolisib", "b"].tolist() == ["NVP-BEZ235"]
    assert 85 <= len(m.pairs) <= 95
