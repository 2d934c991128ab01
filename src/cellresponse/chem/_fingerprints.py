"""SMILES parsing and RDKit drug features: Morgan fingerprints and a small descriptor set.

RDKit is imported inside the functions so that ``import cellresponse`` stays light.
Per-molecule results are cached in-process on the canonical SMILES.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from cellresponse.data import FeatureView

logger = logging.getLogger("cellresponse")

OnInvalid = Literal["raise", "skip"]

#: Descriptor names, in column order, of :func:`drug_descriptors`.
DESCRIPTOR_NAMES = (
    "MolWt",
    "LogP",
    "TPSA",
    "HBD",
    "HBA",
    "RotatableBonds",
    "Rings",
    "AromaticRings",
    "FractionCSP3",
    "HeavyAtoms",
)


@dataclass(frozen=True)
class MorganSettings:
    """Radius and length of Morgan fingerprints.

    Two ``morgan`` views are comparable only when both were computed with the same
    settings, so datasets and models pass them around together.

    Raises
    ------
    ValueError
        If ``radius`` is negative or ``n_bits`` is not positive.
    """

    radius: int = 2
    n_bits: int = 2048

    def __post_init__(self) -> None:
        if not isinstance(self.radius, int | np.integer) or self.radius < 0:
            raise ValueError(f"radius must be a non-negative integer, got {self.radius!r}")
        if not isinstance(self.n_bits, int | np.integer) or self.n_bits < 1:
            raise ValueError(f"n_bits must be a positive integer, got {self.n_bits!r}")


@contextlib.contextmanager
def _quiet_rdkit() -> Iterator[None]:
    """Silence RDKit's C++ error log for the duration of the block only."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    try:
        yield
    finally:
        RDLogger.EnableLog("rdApp.*")  # type: ignore[attr-defined]


@lru_cache(maxsize=65536)
def _canonical(smiles: str) -> str | None:
    from rdkit import Chem

    with _quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else Chem.MolToSmiles(mol)


def canonical_smiles(smiles: object) -> str | None:
    """RDKit's canonical SMILES of ``smiles``, or None if it is missing or does not parse.

    Examples
    --------
    >>> canonical_smiles("OCC")
    'CCO'
    >>> canonical_smiles("C1CC((") is None
    True
    """
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    return _canonical(smiles.strip())


@lru_cache(maxsize=65536)
def _morgan_bits(canonical: str, radius: int, n_bits: int) -> bytes:
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    mol = Chem.MolFromSmiles(canonical)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    return gen.GetFingerprintAsNumPy(mol).astype(np.uint8).tobytes()


@lru_cache(maxsize=65536)
def _descriptors(canonical: str) -> tuple[float, ...]:
    from rdkit import Chem
    from rdkit.Chem import Descriptors, rdMolDescriptors

    mol = Chem.MolFromSmiles(canonical)
    return (
        float(Descriptors.MolWt(mol)),  # type: ignore[attr-defined]
        float(rdMolDescriptors.CalcCrippenDescriptors(mol)[0]),
        float(rdMolDescriptors.CalcTPSA(mol)),
        float(rdMolDescriptors.CalcNumHBD(mol)),
        float(rdMolDescriptors.CalcNumHBA(mol)),
        float(rdMolDescriptors.CalcNumRotatableBonds(mol)),
        float(rdMolDescriptors.CalcNumRings(mol)),
        float(rdMolDescriptors.CalcNumAromaticRings(mol)),
        float(rdMolDescriptors.CalcFractionCSP3(mol)),
        float(mol.GetNumHeavyAtoms()),
    )


def _as_series(smiles: Mapping[Any, str] | pd.Series) -> pd.Series:
    if isinstance(smiles, pd.Series):
        series = smiles.copy()
    elif isinstance(smiles, Mapping):
        series = pd.Series(dict(smiles), dtype=object)
    else:
        raise TypeError(f"smiles must be a Mapping or pandas Series of drug ID -> SMILES, got {type(smiles).__name__}")
    series.index = pd.Index(series.index).astype(str)
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()].unique().tolist()
        raise ValueError(f"smiles has duplicated drug IDs: {dup[:5]}")
    return series


def _featurize(
    smiles: Mapping[Any, str] | pd.Series,
    *,
    compute: Callable[[str], np.ndarray],
    on_invalid: OnInvalid,
) -> tuple[list[str], list[np.ndarray], list[str]]:
    if on_invalid not in ("raise", "skip"):
        raise ValueError(f"on_invalid must be 'raise' or 'skip', got {on_invalid!r}")
    series = _as_series(smiles)
    ids: list[str] = []
    rows: list[np.ndarray] = []
    skipped: list[str] = []
    for drug_id, smi in series.items():
        canonical = canonical_smiles(smi)
        if canonical is None:
            if on_invalid == "raise":
                raise ValueError(
                    f"invalid SMILES for drug {drug_id!r}: {smi!r} (RDKit could not parse it; "
                    "pass on_invalid='skip' to leave the drug out)"
                )
            skipped.append(str(drug_id))
            continue
        ids.append(str(drug_id))
        rows.append(compute(canonical))
    if skipped:
        logger.warning("skipped %d drug(s) with invalid SMILES: %s", len(skipped), ", ".join(skipped[:10]))
    return ids, rows, skipped


def morgan_fingerprints(
    smiles: Mapping[Any, str] | pd.Series,
    *,
    radius: int = 2,
    n_bits: int = 2048,
    on_invalid: OnInvalid = "raise",
    name: str = "morgan",
) -> FeatureView:
    """Morgan (ECFP-like) bit fingerprints of drugs.

    Parameters
    ----------
    smiles
        Drug ID -> SMILES.
    radius, n_bits
        Morgan radius and fingerprint length.
    on_invalid
        ``"raise"`` a ``ValueError`` naming the drug and SMILES, or ``"skip"`` the drug;
        skipped IDs are logged (use :func:`morgan_fingerprints_with_skipped` to get
        them back as a list).
    name
        View name.

    Returns
    -------
    FeatureView
        ``(n_drugs, n_bits)`` binary view, columns ``bit_0 ..``.

    Examples
    --------
    >>> view = morgan_fingerprints({"aspirin": "CC(=O)Oc1ccccc1C(=O)O"}, n_bits=64)
    >>> view.values.shape
    (1, 64)
    """
    view, _ = morgan_fingerprints_with_skipped(smiles, radius=radius, n_bits=n_bits, on_invalid=on_invalid, name=name)
    return view


def morgan_fingerprints_with_skipped(
    smiles: Mapping[Any, str] | pd.Series,
    *,
    radius: int = 2,
    n_bits: int = 2048,
    on_invalid: OnInvalid = "raise",
    name: str = "morgan",
) -> tuple[FeatureView, list[str]]:
    """Like :func:`morgan_fingerprints` but also return the skipped drug IDs."""
    MorganSettings(radius, n_bits)  # validates both

    def compute(canonical: str) -> np.ndarray:
        return np.frombuffer(_morgan_bits(canonical, int(radius), int(n_bits)), dtype=np.uint8)

    ids, rows, skipped = _featurize(smiles, compute=compute, on_invalid=on_invalid)
    values = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, n_bits), np.float32)
    feats = [f"bit_{i}" for i in range(n_bits)]
    return FeatureView(name, pd.Index(ids), values, pd.Index(feats), "binary"), skipped


def drug_descriptors(
    smiles: Mapping[Any, str] | pd.Series,
    *,
    on_invalid: OnInvalid = "raise",
    name: str = "descriptors",
) -> FeatureView:
    """A small set of RDKit physico-chemical descriptors (:data:`DESCRIPTOR_NAMES`).

    Invalid SMILES raise ``ValueError`` naming the drug (or are skipped and logged with
    ``on_invalid="skip"``). Values are unscaled; scale them inside ``model.fit``.

    Examples
    --------
    >>> view = drug_descriptors({"ethanol": "CCO"})
    >>> int(view.to_frame().loc["ethanol", "HeavyAtoms"])
    3
    """

    def compute(canonical: str) -> np.ndarray:
        return np.asarray(_descriptors(canonical), dtype=np.float64)

    ids, rows, _ = _featurize(smiles, compute=compute, on_invalid=on_invalid)
    values = np.vstack(rows) if rows else np.zeros((0, len(DESCRIPTOR_NAMES)))
    return FeatureView(name, pd.Index(ids), values, pd.Index(DESCRIPTOR_NAMES), "continuous")


__all__ = [
    "DESCRIPTOR_NAMES",
    "MorganSettings",
    "canonical_smiles",
    "drug_descriptors",
    "morgan_fingerprints",
    "morgan_fingerprints_with_skipped",
]
