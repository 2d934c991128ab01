"""Structure keys: one string per compound that equal structures share across sources.

The key is the first block (connectivity, 14 characters) of the InChIKey of the largest
fragment, so salts and counter-ions (``Obatoclax Mesylate`` vs ``obatoclax``), stereo
and charge states written differently by two sources still give the same key.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pandas as pd

from cellresponse.chem._fingerprints import _quiet_rdkit


@lru_cache(maxsize=65536)
def _structure_key(smiles: str) -> str | None:
    from rdkit import Chem
    from rdkit.Chem.MolStandardize import rdMolStandardize

    with _quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return None
        mol = rdMolStandardize.LargestFragmentChooser().choose(mol)
        key = Chem.MolToInchiKey(mol)
    return key[:14] if key else None


def structure_key(smiles: object) -> str | None:
    """Structure key of one SMILES (None when missing or unparseable).

    Examples
    --------
    >>> structure_key("CCO") == structure_key("OCC")
    True
    >>> structure_key("CC(=O)[O-].[Na+]") == structure_key("CC(=O)[O-]")
    True
    """
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    return _structure_key(smiles.strip())


def structure_keys(smiles: Mapping[Any, object] | pd.Series) -> pd.Series:
    """Structure key of every entry (None where missing or unparseable), same index."""
    series = smiles if isinstance(smiles, pd.Series) else pd.Series(dict(smiles), dtype=object)
    return pd.Series([structure_key(s) for s in series], index=series.index, dtype=object, name="structure_key")


__all__ = ["structure_key", "structure_keys"]
