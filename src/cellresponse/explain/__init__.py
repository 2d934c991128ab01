"""explain: attributions and VNN term scores."""

from cellresponse.explain._rlipp import RLIPP_COLUMNS, RLIPPProbe, drug_embedding, genotype_embedding, rlipp

__all__ = ["RLIPP_COLUMNS", "RLIPPProbe", "drug_embedding", "genotype_embedding", "rlipp"]
