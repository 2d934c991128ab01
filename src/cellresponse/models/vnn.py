"""Visible neural network response models: ``vnn_drugcell`` and ``vnn_druggene``.

The network is :class:`~cellresponse.models.nn._vnn.VisibleNeuralNetwork`; its hierarchy
comes from the ``ontology`` hyperparameter and is mapped onto the data's genes in
``fit``:

- ``"go"``: built from GO-BP for the genes measured in every used view (DrugCell
  filters, see :mod:`cellresponse.ontology._hierarchy`), cached on disk under
  ``$CELLRESPONSE_CACHE`` (default ``~/.cache/cellresponse``) keyed by a hash;
- ``"drugcell"``: the published DrugCell hierarchy;
- ``"random"``: a seeded random tree over the measured genes (leaf terms of
  ``min_genes`` genes, 3 children per parent) -- a no-biology control, and what the
  model contract tests use on synthetic genes;
- any other string: the path of a DrugCell-format ontology file.

Genes of a fixed hierarchy that the data lack raise, unless ``missing_genes="drop"``
restricts the hierarchy to the measured genes. Cell-line views are restricted to the
hierarchy's genes.

Training defaults (departures from DrugCell, chosen by the inner-validation MSE on fold 0
of the GDSC2 leave-cell-line-out split, ``benchmarks/bench_vnn_tuning.py``):

- ``drug_offset=True``: the network learns each pair's deviation from its drug's training
  mean (see :class:`~cellresponse.models.train.TorchModel`), so the auxiliary heads, which
  see no drug, predict how much more or less sensitive a line is than usual for the drug.
- ``aux_reduction="mean"`` averages the auxiliary heads' MSEs instead of summing them.
  DrugCell's summed loss over ~4,000 GO terms is ~800x the prediction's MSE; with it,
  ``lr=1e-3`` and batch 2000 the network stayed nearly constant. Validation MSE
  (standardised target, no drug offset) after 4 epochs on 40k training pairs
  (``vnn_drugcell``): 0.953 for the summed loss, lr 1e-3, batch 2000 (prediction std 2 %
  of the target's); 0.643 for the mean, lr 1e-3, batch 500; 0.465 for the mean, lr 3e-3,
  batch 500 (still falling). ``aux_reduction="sum"`` restores DrugCell's loss.
- ``batch_size=2000``, ``lr=3e-3``, at most 20 epochs with patience 3 (:data:`VNN_TRAINER`,
  the ``trainer`` hyperparameter's default; Adam with betas (0.9, 0.99)). With the drug
  offset on the full fold (127,851 training pairs, ``vnn_druggene``), the best validation
  MSE (standardised deviation) was 0.864 for batch 2000 (epoch 3, ~60 s per epoch on one
  thread) and 0.879 for batch 5000 (epoch 5, ~26 s per epoch); smaller batches cost more
  per pair because each batch encodes each of its distinct cell lines once.
- ``head="auto"``: DrugCell's joint layer for ``vnn_drugcell`` (the published model) and
  the drug-conditioned bilinear head for ``vnn_druggene``. With DrugCell's layer the
  genotype embedding collapses onto one axis (a "general sensitivity" score): on fold 0's
  inner validation part (``benchmarks/bench_vnn_fix.py select``: batch 5000, at most 8
  epochs) its first principal component held 99.96 % of the variance and the mean
  per-drug Pearson was 0.418; with the bilinear head (each drug reads its own direction of
  the root's and its children's neurons) 39 % and 0.456.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cellresponse.data import Dataset
from cellresponse.models._params import POSITIVE_INT, POSITIVE_INT_OR_NONE, SEED, Interval, Real, StrOptions, TupleOf
from cellresponse.models._torch import import_torch
from cellresponse.models.mlp import ViewScaler, drug_tensor
from cellresponse.models.registry import register_model
from cellresponse.models.train import Batch, EntityTensors, TorchModel, TrainerConfig

#: Default trainer of the VNNs (see the module notes for how these values were chosen).
VNN_TRAINER = TrainerConfig(
    epochs=20,
    batch_size=2000,
    lr=3e-3,
    weight_decay=1e-5,
    betas=(0.9, 0.99),
    eps=1e-5,
    patience=3,
    valid_fraction=0.1,
)


class _VNNBase(TorchModel):
    """Visible neural network on a gene hierarchy plus a fingerprint MLP (see the module notes).

    Parameters
    ----------
    ontology, min_genes, collapse_redundant, max_depth, missing_genes
        Where the hierarchy comes from and how it is mapped onto the measured genes.
    n_hidden, drug_hidden, final_hidden, init_scale
        Network sizes and initial scale (:class:`~cellresponse.models.nn._vnn.VisibleNeuralNetwork`).
    head, head_rank
        ``"drugcell"``: the reference's joint layer; ``"bilinear"``: a drug-conditioned
        rank-``head_rank`` head over the neurons of the root and its children (see
        :mod:`cellresponse.models.nn._vnn`); ``"auto"``: the model's :attr:`auto_head`
        (see the module notes).
    alpha, aux_reduction
        Weight and reduction of the auxiliary heads' losses (:func:`~cellresponse.models.nn._vnn.vnn_loss`).
    impute_missing
        Impute missing features with the training mean (otherwise they raise).
    compile_kernels
        Run the training kernels through ``torch.compile``.
    trainer
        How the network trains (:class:`~cellresponse.models.train.TrainerConfig`),
        default :data:`VNN_TRAINER`; change one setting with ``set_params(trainer__lr=...)``.
    random_state
        Seeds the initialisation, the batch order, the carved validation part and the
        ``"random"`` hierarchy.
    drug_offset, standardize_target
        Target handling, see :class:`~cellresponse.models.train.TorchModel`.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "ontology": [str],
        "min_genes": [POSITIVE_INT],
        "collapse_redundant": ["boolean"],
        "max_depth": POSITIVE_INT_OR_NONE,
        "missing_genes": [StrOptions({"error", "drop"})],
        "n_hidden": [POSITIVE_INT],
        "drug_hidden": [TupleOf(int, low=1)],
        "final_hidden": [POSITIVE_INT],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "aux_reduction": [StrOptions({"sum", "mean"})],
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        "head": [StrOptions({"auto", "drugcell", "bilinear"})],
        "head_rank": [POSITIVE_INT],
        "impute_missing": ["boolean"],
        "compile_kernels": ["boolean"],
        "trainer": [TrainerConfig],
        "random_state": SEED,
        "drug_offset": ["boolean"],
        "standardize_target": ["boolean"],
    }

    cell_line_views: ClassVar[tuple[str, ...]] = ("mutation",)
    perturbation_views: ClassVar[tuple[str, ...]] = ("morgan",)
    #: The head ``head="auto"`` stands for.
    auto_head: ClassVar[str] = "drugcell"

    def __init__(
        self,
        *,
        ontology: str = "go",
        min_genes: int = 10,
        collapse_redundant: bool = True,
        max_depth: int | None = None,
        missing_genes: str = "error",
        n_hidden: int = 6,
        drug_hidden: tuple[int, ...] = (100, 50, 6),
        final_hidden: int = 6,
        alpha: float = 0.2,
        aux_reduction: str = "mean",
        init_scale: float = 0.1,
        head: str = "auto",
        head_rank: int = 16,
        impute_missing: bool = True,
        compile_kernels: bool = False,
        trainer: TrainerConfig = VNN_TRAINER,
        random_state: int = 0,
        drug_offset: bool = True,
        standardize_target: bool = True,
    ) -> None:
        self.ontology = ontology
        self.min_genes = min_genes
        self.collapse_redundant = collapse_redundant
        self.max_depth = max_depth
        self.missing_genes = missing_genes
        self.n_hidden = n_hidden
        self.drug_hidden = drug_hidden
        self.final_hidden = final_hidden
        self.alpha = alpha
        self.aux_reduction = aux_reduction
        self.init_scale = init_scale
        self.head = head
        self.head_rank = head_rank
        self.impute_missing = impute_missing
        self.compile_kernels = compile_kernels
        self.trainer = trainer
        self.random_state = random_state
        self.drug_offset = drug_offset
        self.standardize_target = standardize_target

    # ------------------------------------------------------------- hierarchy
    def _measured_genes(self, data: Dataset) -> list[str]:
        genes: set[str] | None = None
        for view in self.cell_line_views:
            names = set(data.cell_view(view).feature_names)
            genes = names if genes is None else genes & names
        return sorted(genes or set())

    def _hierarchy(self, genes: list[str]) -> Any:
        from cellresponse.ontology import cached_go_hierarchy, random_hierarchy, read_drugcell_ontology

        if self.missing_genes not in ("error", "drop"):
            raise ValueError(f"missing_genes must be 'error' or 'drop', got {self.missing_genes!r}")
        if self.ontology == "go":
            return cached_go_hierarchy(
                genes,
                min_genes=self.min_genes,
                collapse_redundant=self.collapse_redundant,
                max_depth=self.max_depth,
            )
        if self.ontology == "random":
            return random_hierarchy(genes, term_size=self.min_genes, random_state=self.random_state)
        hierarchy = read_drugcell_ontology(None if self.ontology == "drugcell" else self.ontology)
        have = set(genes)
        missing = [g for g in hierarchy.genes if g not in have]
        if missing:
            if self.missing_genes == "error":
                raise ValueError(
                    f"{len(missing)} of the ontology's {hierarchy.n_genes} genes are absent from the "
                    f"feature views {list(self.cell_line_views)}: {', '.join(missing[:5])}"
                    f"{', ...' if len(missing) > 5 else ''}; pass missing_genes='drop' to restrict the ontology"
                )
            hierarchy = hierarchy.restrict_genes(have)
        return hierarchy

    # ----------------------------------------------------------------- hooks
    def _prepare(self, data: Dataset) -> None:
        from cellresponse.models.nn._vnn import VNNStructure

        if self.aux_reduction not in ("sum", "mean"):
            raise ValueError(f"aux_reduction must be 'sum' or 'mean', got {self.aux_reduction!r}")

        hierarchy = self._hierarchy(self._measured_genes(data))
        self.hierarchy_summary_ = hierarchy.summary()
        self.structure_ = VNNStructure.from_hierarchy(hierarchy)
        self.scaler_ = ViewScaler(self.cell_line_views, genes=self.structure_.gene_names).fit(data)
        self.drug_dim_ = int(data.perturbation_view(self.perturbation_views[0]).n_features)

    def _entity_tensors(self, data: Dataset) -> EntityTensors:
        torch = import_torch()
        ids = np.unique(data.cell_lines)
        cells = np.stack(self.scaler_.transform(data, ids, impute=self.impute_missing), axis=-1)
        drug_ids, drugs = drug_tensor(data, self.perturbation_views[0], impute=self.impute_missing)
        return EntityTensors(pd.Index(ids), torch.from_numpy(cells), drug_ids, torch.from_numpy(drugs))

    def _build_network(self) -> Any:
        from cellresponse.models.nn._vnn import VisibleNeuralNetwork, VNNHead

        network = VisibleNeuralNetwork(
            self.structure_,
            n_channels=len(self.cell_line_views),
            drug_dim=self.drug_dim_,
            n_hidden=self.n_hidden,
            drug_hidden=self.drug_hidden,
            init_scale=self.init_scale,
            seed=self.random_state,
            head=VNNHead(self.resolved_head, self.final_hidden, self.head_rank),
        )
        network.compile_kernels = bool(self.compile_kernels)
        return network

    @property
    def resolved_head(self) -> str:
        """The prediction head in use: ``head``, with ``"auto"`` replaced by :attr:`auto_head`."""
        return self.auto_head if self.head == "auto" else self.head

    def _forward(self, network: Any, batch: Batch, *, return_states: bool = False) -> Any:
        return network(
            batch.cells,
            batch.drugs,
            cell_index=batch.cell_index,
            drug_index=batch.drug_index,
            return_states=return_states,
        )

    def _predict_batch(self, network: Any, batch: Batch) -> Any:
        return self._forward(network, batch).prediction

    def _loss(self, network: Any, batch: Batch) -> Any:
        from cellresponse.models.nn._vnn import vnn_loss

        if batch.y is None:
            raise ValueError("training batches need targets")
        return vnn_loss(self._forward(network, batch), batch.y, alpha=self.alpha, aux_reduction=self.aux_reduction)

    # ----------------------------------------------------------------- state
    def _network_meta(self) -> dict[str, Any]:
        return {
            "drug_dim": self.drug_dim_,
            "term_names": list(self.structure_.term_names),
            "gene_names": list(self.structure_.gene_names),
            "hierarchy": self.hierarchy_summary_,
        }

    def _prep_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = self.scaler_.state()
        return meta, {**arrays, **self.structure_.to_arrays()}

    def _set_prep_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.scaler_ = ViewScaler.from_state(meta, {k: v for k, v in arrays.items() if k.startswith("scaler.")})
        self._structure_arrays = {k: v for k, v in arrays.items() if k.startswith("structure.")}

    def _restore_network_meta(self, meta: dict[str, Any]) -> None:
        from cellresponse.models.nn._vnn import VNNStructure

        self.drug_dim_ = int(meta["drug_dim"])
        self.hierarchy_summary_ = meta.get("hierarchy", {})
        self.structure_ = VNNStructure.from_arrays(meta["term_names"], meta["gene_names"], self._structure_arrays)

    # ------------------------------------------------------------ embeddings
    def term_states(self, data: Dataset) -> tuple[pd.Index, np.ndarray]:
        """Term neurons per distinct cell line of ``data``: ids and ``(T, k, n_cells)``."""
        from sklearn.utils.validation import check_is_fitted

        torch = import_torch()
        check_is_fitted(self, "n_train_")
        ent = self._entity_tensors(data)
        dummy = ent.drugs[:1]
        with torch.no_grad():
            out = self.network_.eval()(
                ent.cells,
                dummy,
                cell_index=torch.arange(len(ent.cell_ids)),
                drug_index=torch.zeros(len(ent.cell_ids), dtype=torch.long),
                return_states=True,
            )
        return ent.cell_ids, out.term_states.numpy()

    def genotype_embedding(self, data: Dataset) -> tuple[pd.Index, np.ndarray]:
        """What the prediction head reads per distinct cell line of ``data``: the root's
        neurons (``head="drugcell"``) or those of the root and its children
        (``"bilinear"``); ids and ``(n_cells, width)``."""
        torch = import_torch()
        ids, states = self.term_states(data)
        per_level = [torch.from_numpy(states)]
        with torch.no_grad():
            emb = self.network_.genotype_embedding(per_level)  # type: ignore[operator]
        return ids, emb.numpy()

    def benchmark_extras(self, data: Dataset) -> dict[str, pd.DataFrame]:
        """``embedding``: share of variance on the first principal components of the root
        neurons, the genotype embedding the head reads and the drug embedding, over the
        distinct cell lines / drugs of ``data`` (a one-dimensional embedding has pc1 ~ 1)."""
        _, root = self.term_states(data)
        rows = [
            ("root", root[-1].T),
            ("genotype", self.genotype_embedding(data)[1]),
            ("drug", self.drug_embedding(data)[1]),
        ]
        table = [{"embedding": name, "n": len(x), "width": x.shape[1], **pc_shares(x)} for name, x in rows]
        return {"embedding": pd.DataFrame(table)}

    def drug_embedding(self, data: Dataset) -> tuple[pd.Index, np.ndarray]:
        """Last drug-branch layer per distinct drug of ``data``: ids and ``(n_drugs, width)``."""
        from sklearn.utils.validation import check_is_fitted

        torch = import_torch()
        check_is_fitted(self, "n_train_")
        ent = self._entity_tensors(data)
        cells = ent.cells[:1]
        n = len(ent.drug_ids)
        with torch.no_grad():
            out = self.network_.eval()(
                cells,
                ent.drugs,
                cell_index=torch.zeros(n, dtype=torch.long),
                drug_index=torch.arange(n),
                return_states=True,
            )
        return ent.drug_ids, out.drug_states[-1].numpy()


def pc_shares(x: np.ndarray, n: int = 3) -> dict[str, float]:
    """Share of the variance of the rows of ``x`` on its first ``n`` principal components."""
    centred = np.asarray(x, dtype=np.float64) - np.asarray(x, dtype=np.float64).mean(0)
    sv = np.linalg.svd(centred, compute_uv=False) ** 2
    total = float(sv.sum()) or 1.0
    return {f"pc{i + 1}": float(sv[i] / total) if i < len(sv) else 0.0 for i in range(n)}


@register_model("vnn_drugcell")
class VNNDrugCell(_VNNBase):
    """DrugCell: GO visible neural network on mutations + fingerprint MLP."""

    cell_line_views: ClassVar[tuple[str, ...]] = ("mutation",)


@register_model("vnn_druggene")
class VNNDrugGene(_VNNBase):
    """DrugGene: GO visible neural network on mutation, expression and CNV per gene."""

    cell_line_views: ClassVar[tuple[str, ...]] = ("mutation", "expression", "cnv")
    auto_head: ClassVar[str] = "bilinear"  # chosen on inner validation (module notes)


__all__ = ["VNN_TRAINER", "VNNDrugCell", "VNNDrugGene", "pc_shares"]
