"""Request and response schemas of the service (pydantic; they generate the OpenAPI document).

Every numeric input is finite (``allow_inf_nan=False``) and bounded; identifiers are
bounded strings; models are addressed by their served name only. The per-request limits
that depend on the server's settings (pairs per request, library size) are checked in the
routes; the bounds here are hard ceilings.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: a served model's name: letters, digits, ``_ . -``; never a path
ModelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
GeneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Smiles = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
ViewName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,32}$")]
Dose = Annotated[float, Field(gt=0, le=1e4, description="dose in µM (finite, > 0, <= 10,000)")]
Hours = Annotated[float, Field(gt=0, le=1e3, description="time in hours (finite, > 0, <= 1,000)")]
FiniteFloat = Annotated[float, Field(ge=-1e12, le=1e12)]

#: hard ceilings (the server's settings may be lower)
MAX_PAIRS_SCHEMA = 1_000_000
MAX_IDS = 100_000
MAX_SMILES = 10_000
#: features per prediction, and pairs per request, when top features are asked for
MAX_TOP_FEATURES = 20
MAX_EXPLAINED_PAIRS = 1_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=False)


class ErrorBody(BaseModel):
    """Every error: what went wrong, naming the field when one is at fault."""

    error: str
    field: str | None = None


class Pair(_Strict):
    cell_line: EntityId
    drug: EntityId


class OmicsInput(_Strict):
    """New cell-line rows for one view: CSV text or a JSON mapping (exactly one).

    ``csv``: header ``cell_line,GENE1,GENE2,...`` then one row per cell line.
    ``rows``: ``{cell_line: {feature: value}}``.
    """

    csv: Annotated[str, StringConstraints(max_length=64_000_000)] | None = None
    rows: dict[EntityId, dict[GeneName, FiniteFloat]] | None = Field(default=None, max_length=MAX_IDS)


class ResponseRequest(_Strict):
    """Response predictions: ``pairs``, or the cross product of ``cell_lines`` x ``drugs``.

    Cell lines are known IDs, known names or IDs of rows in ``omics``; drugs are known IDs
    or names in ``smiles``. ``on_unknown``: ``error`` (default) refuses unknown IDs, naming
    them with the closest known ones; ``nan`` returns them with a null prediction and a
    status, never a fallback value.
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {"model": "gdsc2-demo-ridge", "cell_lines": ["ACH-000004"], "drugs": ["Docetaxel", "Camptothecin"]},
                {
                    "model": "gdsc2-demo-enet",
                    "pairs": [{"cell_line": "ACH-000004", "drug": "aspirin"}],
                    "smiles": {"aspirin": "CC(=O)Oc1ccccc1C(=O)O"},
                },
            ]
        },
    )

    model: ModelName | None = Field(default=None, description="served model name (default: the only response model)")
    pairs: list[Pair] | None = Field(default=None, max_length=MAX_PAIRS_SCHEMA)
    cell_lines: list[EntityId] | None = Field(default=None, max_length=MAX_IDS)
    drugs: list[EntityId] | None = Field(default=None, max_length=MAX_IDS)
    omics: dict[ViewName, OmicsInput] | None = Field(default=None, max_length=16)
    smiles: dict[EntityId, Smiles] | None = Field(default=None, max_length=MAX_SMILES)
    on_unknown: Literal["error", "nan"] = "error"
    top_features: int = Field(
        default=0,
        ge=0,
        le=MAX_TOP_FEATURES,
        description="per prediction, the features with the largest contributions to it (linear and LightGBM models; "
        f"at most {MAX_EXPLAINED_PAIRS} pairs per request)",
    )


class FeatureContribution(BaseModel):
    """One feature behind a prediction: its view, name, model input value (standardized on the
    training lines, a component score or a 0/1 tissue) and signed contribution (target units)."""

    view: str
    feature: str
    value: float
    contribution: float


class ResponseRow(BaseModel):
    cell_line: str
    drug: str
    prediction: float | None
    status: str | None = None
    lower: float | None = None
    upper: float | None = None
    level: float | None = None
    novelty: dict[str, float | None] | None = None
    flag: str | None = None
    top_features: list[FeatureContribution] | None = None


class ResponseResult(BaseModel):
    model: str
    target: str
    n: int
    has_intervals: bool
    predictions: list[ResponseRow]


class CompoundQuery(_Strict):
    compound: EntityId | None = Field(default=None, description="known compound ID (exclusive with smiles)")
    smiles: Smiles | None = Field(default=None, description="a new structure (exclusive with compound)")


class ExpressionRequest(CompoundQuery):
    """One signature: a compound (ID or SMILES) in a cell line at a dose and time."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "model": "a375-expr-ridge",
                    "compound": "vemurafenib",
                    "cell_line": "A375",
                    "dose": 1.0,
                    "time": 24,
                    "top_n": 10,
                    "curve_genes": ["DUSP6", "MYC"],
                },
            ]
        },
    )

    model: ModelName | None = None
    cell_line: EntityId
    dose: Dose
    time: Hours
    top_n: int = Field(default=20, ge=1, le=200)
    curve_genes: list[GeneName] | None = Field(default=None, max_length=20)
    curve_doses: list[Dose] | None = Field(default=None, min_length=2, max_length=50)


class GeneValue(BaseModel):
    gene: str
    value: float


class DoseCurve(BaseModel):
    doses: list[float]
    genes: dict[str, list[float]]


class ExpressionResult(BaseModel):
    model: str
    compound: str | None
    smiles: str | None
    cell_line: str
    dose: float
    time: float
    genes: list[str]
    signature: list[float]
    top_up: list[GeneValue]
    top_down: list[GeneValue]
    curve: DoseCurve | None
    extrapolated: list[str]


class LibraryEntry(_Strict):
    name: EntityId
    smiles: Smiles


class RepurposingRequest(_Strict):
    """Rank a compound library by the connectivity of its predicted signatures with a query.

    The query is ``up``/``down`` gene lists (scored with CMap's weighted connectivity score,
    WTCS) or a full ``vector`` (Spearman or Pearson correlation). ``mimic`` ranks the most
    similar first, ``reverse`` the most opposite. The library is the model's compounds, or
    ``library`` (names and SMILES).
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "model": "a375-expr-ridge",
                    "up": ["DUSP6", "FOSL1"],
                    "down": ["JUN"],
                    "cell_line": "A375",
                    "dose": 10,
                    "time": 24,
                    "mode": "reverse",
                    "top_n": 10,
                },
            ]
        },
    )

    model: ModelName | None = None
    up: list[GeneName] | None = Field(default=None, max_length=2000)
    down: list[GeneName] | None = Field(default=None, max_length=2000)
    vector: dict[GeneName, FiniteFloat] | None = Field(default=None, max_length=20_000)
    cell_line: EntityId
    dose: Dose
    time: Hours
    mode: Literal["mimic", "reverse"] = "mimic"
    method: Literal["wtcs", "spearman", "pearson"] | None = None
    library: list[LibraryEntry] | None = Field(default=None, max_length=MAX_SMILES)
    allow_missing_genes: bool = False
    top_n: int | None = Field(default=None, ge=1, le=MAX_SMILES)


class RankedCompound(BaseModel):
    rank: int
    compound: str
    connectivity: float
    smiles: str
    in_training: bool


class RepurposingResult(BaseModel):
    model: str
    mode: str
    method: str
    method_description: str
    cell_line: str
    dose: float
    time: float
    n_library: int
    genes_used: int
    genes_dropped: list[str]
    extrapolated: list[str]
    results: list[RankedCompound]


class ModelInfo(BaseModel):
    name: str
    description: str
    task: str
    target: str
    perturbation_kind: str
    model: str
    entities: dict[str, int]
    n_genes: int | None
    features: dict[str, Any]
    scores: dict[str, Any] | None
    scores_note: str | None
    provenance: dict[str, Any]
    has_calibration: bool
    has_explanations: bool


class ModelList(BaseModel):
    models: list[ModelInfo]


class Perturbation(BaseModel):
    id: str
    smiles: str


class ModelDetail(ModelInfo):
    cell_lines: list[str]
    cell_line_names: dict[str, str]
    perturbations: list[Perturbation]
    genes: list[str] | None
    omics_features: dict[str, list[str]]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    models: list[str]
    uptime_s: float
    limits: dict[str, float]


__all__ = [
    "CompoundQuery",
    "DoseCurve",
    "ErrorBody",
    "ExpressionRequest",
    "ExpressionResult",
    "GeneValue",
    "Health",
    "LibraryEntry",
    "ModelDetail",
    "ModelInfo",
    "ModelList",
    "OmicsInput",
    "Pair",
    "Perturbation",
    "RankedCompound",
    "RepurposingRequest",
    "RepurposingResult",
    "ResponseRequest",
    "ResponseResult",
    "ResponseRow",
]
