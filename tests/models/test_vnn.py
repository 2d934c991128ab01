"""The vectorized VNN against a straightforward per-term DrugCell reference, and the models."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cellresponse.data.synthetic import make_response_dataset  # noqa: E402
from cellresponse.models import load_model, make_model  # noqa: E402
from cellresponse.models._torch import torch_settings  # noqa: E402
from cellresponse.models.nn._vnn import (  # noqa: E402
    VisibleNeuralNetwork,
    VNNHead,
    VNNStructure,
    vnn_loss,
)
from cellresponse.ontology import Hierarchy  # noqa: E402


def random_hierarchy(genes: list[str], *, n_terms: int = 14, seed: int = 0) -> Hierarchy:
    """A random DAG over ``genes``: terms in 4 levels, parents pick 1-3 lower terms."""
    rng = np.random.default_rng(seed)
    levels = [list(range(0, 6)), list(range(6, 10)), list(range(10, n_terms - 1)), [n_terms - 1]]
    children: dict[str, tuple[str, ...]] = {}
    direct: dict[str, tuple[str, ...]] = {}
    for lv, terms in enumerate(levels):
        lower = [t for lev in levels[:lv] for t in lev]
        for t in terms:
            kids = (
                ()
                if lv == 0
                else tuple(f"T{c}" for c in rng.choice(lower, size=min(len(lower), rng.integers(1, 4)), replace=False))
            )
            children[f"T{t}"] = kids
            n_direct = rng.integers(2, 6) if lv == 0 else rng.integers(0, 3)
            direct[f"T{t}"] = tuple(rng.choice(genes, size=n_direct, replace=False))
    # make the top term the single root: attach every parentless term to it
    has_parent = {c for cs in children.values() for c in cs}
    root = f"T{n_terms - 1}"
    orphans = tuple(t for t in children if t not in has_parent and t != root)
    children[root] = tuple(dict.fromkeys(children[root] + orphans))
    return Hierarchy(children, direct, name="random")


class ReferenceVNN(nn.Module):
    """DrugCell's forward, term by term (masked direct-gene Linear per term)."""

    def __init__(self, h: Hierarchy, genes: list[str], c: int, k: int) -> None:
        super().__init__()
        self.h, self.genes, self.c, self.k = h, genes, c, k
        gpos = {g: i for i, g in enumerate(genes)}
        self.direct = nn.ModuleDict()
        self.masks: dict[str, torch.Tensor] = {}
        self.linear, self.bn, self.aux1, self.aux2 = nn.ModuleDict(), nn.ModuleDict(), nn.ModuleDict(), nn.ModuleDict()
        for t in h.terms:
            gs = h.direct_genes[t]
            if gs:
                self.direct[t] = nn.Linear(len(genes) * c, len(gs))
                mask = torch.zeros(len(gs), len(genes) * c)
                for q, g in enumerate(gs):
                    mask[q, gpos[g] * c : gpos[g] * c + c] = 1
                self.masks[t] = mask.double()
            self.linear[t] = nn.Linear(len(h.children[t]) * k + len(gs), k)
            self.bn[t] = nn.BatchNorm1d(k)
            self.aux1[t] = nn.Linear(k, 1)
            self.aux2[t] = nn.Linear(1, 1)

    def copy_from(self, net: VisibleNeuralNetwork) -> None:
        s = net.structure
        tpos = {t: i for i, t in enumerate(s.term_names)}
        with torch.no_grad():
            for t in self.h.terms:
                i = tpos[t]
                pairs = np.flatnonzero(s.pair_term == i)
                edges = np.flatnonzero(s.edge_parent == i)
                child_of_edge = {s.term_names[s.edge_child[e]]: e for e in edges}
                w = torch.zeros_like(self.linear[t].weight)
                for pos, ch in enumerate(self.h.children[t]):
                    w[:, pos * self.k : (pos + 1) * self.k] = net.child_weight[child_of_edge[ch]].t()
                n_c = len(self.h.children[t]) * self.k
                if len(pairs):
                    dw = torch.zeros_like(self.direct[t].weight)
                    for q, p in enumerate(pairs):
                        g = s.pair_gene[p]
                        dw[q, g * self.c : g * self.c + self.c] = net.gene_weight[p]
                        w[:, n_c + q] = net.term_gene_weight[p]
                    self.direct[t].weight.copy_(dw)
                    self.direct[t].bias.copy_(net.gene_bias[pairs])
                self.linear[t].weight.copy_(w)
                self.linear[t].bias.copy_(net.term_bias[i])
                self.bn[t].weight.copy_(net.bn_weight[i])
                self.bn[t].bias.copy_(net.bn_bias[i])
                self.bn[t].running_mean.copy_(net.bn_mean[i])
                self.bn[t].running_var.copy_(net.bn_var[i])
                self.aux1[t].weight.copy_(net.aux1_weight[i][None])
                self.aux1[t].bias.copy_(net.aux1_bias[i : i + 1])
                self.aux2[t].weight.copy_(net.aux2_weight[i].reshape(1, 1))
                self.aux2[t].bias.copy_(net.aux2_bias[i : i + 1])

    def forward(self, x: torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        flat = x.reshape(x.shape[0], -1)
        out: dict[str, torch.Tensor] = {}
        aux: dict[str, torch.Tensor] = {}
        for level in self.h.levels:
            for t in level:
                parts = [out[c] for c in self.h.children[t]]
                if t in self.direct:
                    layer = self.direct[t]
                    parts.append(nn.functional.linear(flat, layer.weight * self.masks[t], layer.bias))
                z = self.linear[t](torch.cat(parts, dim=1))
                out[t] = self.bn[t](torch.tanh(z))
                aux[t] = self.aux2[t](torch.tanh(self.aux1[t](out[t]))).squeeze(-1)
        return out, aux


def _reference_predict(ref: ReferenceVNN, net: VisibleNeuralNetwork, x: torch.Tensor, d: torch.Tensor):
    out, aux = ref(x)
    root = out[ref.h.root]
    dd = d
    drug_aux = []
    for lin, bn, a1, a2 in zip(net.drug_layers, net.drug_bns, net.drug_aux1, net.drug_aux2, strict=True):
        dd = bn(torch.tanh(lin(dd)))
        drug_aux.append(a2(torch.tanh(a1(dd))).squeeze(-1))
    o = net.final_bn(torch.tanh(net.final_linear(torch.cat([root, dd], dim=1))))
    pred = net.final_out(torch.tanh(net.final_aux(o))).squeeze(-1)
    return pred, aux, drug_aux, out


@pytest.fixture
def one_thread():
    """One torch thread inside the test, the caller's setting restored after it."""
    with torch_settings(num_threads=1):
        yield


@pytest.mark.parametrize(("channels", "dense_max"), [(1, 0), (3, 0), (3, 1 << 20)])
def test_vectorized_matches_per_term_reference(channels, dense_max, monkeypatch, one_thread):
    """Sparse (dense_max=0) and densified paths both equal the per-term reference."""
    monkeypatch.setattr("cellresponse.models.nn._vnn_sparse._DENSE_MAX", dense_max)
    monkeypatch.setattr("cellresponse.models.nn._vnn_sparse._DENSE_MIN_FILL", 0.0)
    genes = [f"G{i:02d}" for i in range(25)]
    h = random_hierarchy(genes)
    s = VNNStructure.from_hierarchy(h, genes)
    k, d_dim = 4, 12
    net = VisibleNeuralNetwork(
        s, n_channels=channels, drug_dim=d_dim, n_hidden=k, drug_hidden=(8, 5), init_scale=1.0, seed=3
    )
    net = net.double()
    ref = ReferenceVNN(h, genes, channels, k).double()
    ref.copy_from(net)
    net_bn_before = net.bn_mean.clone()
    gen = torch.Generator().manual_seed(0)
    n_cells, n_drugs, n_pairs = 7, 5, 30
    cells = torch.randn(n_cells, len(genes), channels, generator=gen, dtype=torch.float64)
    drugs = (torch.rand(n_drugs, d_dim, generator=gen) < 0.4).double()
    ci = torch.randint(0, n_cells, (n_pairs,), generator=gen)
    di = torch.randint(0, n_drugs, (n_pairs,), generator=gen)
    y = torch.randn(n_pairs, generator=gen, dtype=torch.float64)

    # reference in train mode on the per-pair expanded batch; our drug/final modules are shared,
    # so snapshot their BN buffers and restore them between the two passes
    buffers = {k_: v.clone() for k_, v in net.state_dict().items()}
    net.train()
    ref.train()
    pred_r, aux_r, daux_r, states_r = _reference_predict(ref, net, cells[ci], drugs[di])
    loss_r = nn.functional.mse_loss(pred_r, y) + 0.2 * (
        sum(nn.functional.mse_loss(a, y) for a in aux_r.values()) + sum(nn.functional.mse_loss(a, y) for a in daux_r)
    )
    loss_r.backward()
    ref_grads = {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}
    drug_running = net.drug_bns[0].running_mean.clone()
    net.zero_grad()
    net.load_state_dict(buffers)

    out = net(cells, drugs, cell_index=ci, drug_index=di, return_states=True)
    loss = vnn_loss(out, y, alpha=0.2)
    loss.backward()
    torch.testing.assert_close(out.prediction, pred_r, atol=1e-9, rtol=1e-7)
    tpos = {t: i for i, t in enumerate(s.term_names)}
    for t, a in aux_r.items():
        torch.testing.assert_close(out.term_aux[tpos[t]][ci], a, atol=1e-9, rtol=1e-7)
        torch.testing.assert_close(out.term_states[tpos[t]].t()[ci], states_r[t], atol=1e-9, rtol=1e-7)
    torch.testing.assert_close(loss, loss_r, atol=1e-9, rtol=1e-7)
    # running statistics: the weighted per-cell-line BN equals per-pair BN
    for t in h.terms:
        torch.testing.assert_close(net.bn_mean[tpos[t]], ref.bn[t].running_mean, atol=1e-9, rtol=1e-7)
        torch.testing.assert_close(net.bn_var[tpos[t]], ref.bn[t].running_var, atol=1e-9, rtol=1e-7)
    assert not torch.equal(net.bn_mean, net_bn_before)
    torch.testing.assert_close(net.drug_bns[0].running_mean, drug_running)
    # gradients of the drug/final modules (shared) and of the term parameters (mapped)
    for n, p in net.named_parameters():
        if n in ref_grads:
            torch.testing.assert_close(p.grad, ref_grads[n], atol=1e-9, rtol=1e-7)
    for t in h.terms:
        i = tpos[t]
        torch.testing.assert_close(net.term_bias.grad[i], ref.linear[t].bias.grad, atol=1e-9, rtol=1e-7)
        torch.testing.assert_close(net.bn_weight.grad[i], ref.bn[t].weight.grad, atol=1e-9, rtol=1e-7)
        torch.testing.assert_close(net.aux1_weight.grad[i], ref.aux1[t].weight.grad[0], atol=1e-9, rtol=1e-7)
        pairs = np.flatnonzero(s.pair_term == i)
        n_c = len(h.children[t]) * k
        for q, p in enumerate(pairs):
            g = s.pair_gene[p]
            torch.testing.assert_close(
                net.gene_weight.grad[p],
                ref.direct[t].weight.grad[q, g * channels : g * channels + channels],
                atol=1e-9,
                rtol=1e-7,
            )
            torch.testing.assert_close(
                net.term_gene_weight.grad[p], ref.linear[t].weight.grad[:, n_c + q], atol=1e-9, rtol=1e-7
            )
        for e in np.flatnonzero(s.edge_parent == i):
            pos = h.children[t].index(s.term_names[s.edge_child[e]])
            torch.testing.assert_close(
                net.child_weight.grad[e].t(),
                ref.linear[t].weight.grad[:, pos * k : (pos + 1) * k],
                atol=1e-9,
                rtol=1e-7,
            )

    # evaluation mode (running statistics) agrees too
    net.eval()
    ref.eval()
    ref.copy_from(net)
    with torch.no_grad():
        pe, *_ = _reference_predict(ref, net, cells[ci], drugs[di])
        fast = net(cells, drugs, cell_index=ci, drug_index=di).prediction  # in-place inference path
        torch.testing.assert_close(fast, pe, atol=1e-9, rtol=1e-7)
    slow = net(cells, drugs, cell_index=ci, drug_index=di).prediction  # autograd path, eval mode
    torch.testing.assert_close(slow.detach(), pe, atol=1e-9, rtol=1e-7)


def test_nan_batch_is_rejected():
    genes = [f"G{i:02d}" for i in range(25)]
    s = VNNStructure.from_hierarchy(random_hierarchy(genes), genes)
    net = VisibleNeuralNetwork(s, drug_dim=4, drug_hidden=(3,))
    x = torch.zeros(3, 25)
    x[1, 2] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        net(x, torch.zeros(3, 4))


def test_structure_rejects_genes_absent_from_features():
    genes = [f"G{i:02d}" for i in range(25)]
    h = random_hierarchy(genes)
    with pytest.raises(ValueError, match="absent from the feature matrix"):
        VNNStructure.from_hierarchy(h, genes[:10])


# ------------------------------------------------------------------ models
@pytest.fixture(scope="module")
def vnn_setup(tmp_path_factory):
    ds = make_response_dataset(n_cell_lines=30, n_genes=25, n_drugs=6, random_state=1)
    genes = [str(g) for g in ds.cell_view("mutation").feature_names]
    path = tmp_path_factory.mktemp("ont") / "ont.tsv"
    random_hierarchy(genes).save(path)
    return ds, str(path)


FAST = {
    "n_hidden": 3,
    "drug_hidden": (8, 4),
    "final_hidden": 4,
    "trainer__epochs": 3,
    "trainer__batch_size": 64,
    "trainer__num_threads": 1,
}


@pytest.mark.parametrize("name", ["vnn_drugcell", "vnn_druggene"])
def test_vnn_model_fit_predict_save_load(vnn_setup, tmp_path, name):
    ds, path = vnn_setup
    model = make_model(name, ontology=path, missing_genes="drop", **FAST).fit(ds)
    pred = model.predict(ds)
    assert pred.shape == (len(ds),) and np.isfinite(pred).all()
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    np.testing.assert_allclose(again.predict(ds), pred, rtol=1e-5, atol=1e-6)
    ids, states = again.term_states(ds)
    assert states.shape == (again.structure_.n_terms, 3, len(ids))


def test_vnn_fast_dev_run_and_determinism(vnn_setup):
    ds, path = vnn_setup
    a = make_model("vnn_drugcell", ontology=path, missing_genes="drop", trainer__fast_dev_run=True, **FAST).fit(ds)
    assert len(a.history_) == 1
    p1 = make_model("vnn_drugcell", ontology=path, missing_genes="drop", **FAST).fit(ds).predict(ds)
    p2 = make_model("vnn_drugcell", ontology=path, missing_genes="drop", **FAST).fit(ds).predict(ds)
    np.testing.assert_array_equal(p1, p2)


def test_vnn_overfits_tiny_batch(vnn_setup):
    ds, path = vnn_setup
    tiny = ds.subset(np.arange(24))
    params = {
        **FAST,
        "trainer__epochs": 200,
        "trainer__batch_size": 24,
        "trainer__lr": 0.01,
        "trainer__patience": 1000,
        "init_scale": 1.0,
        "alpha": 0.0,
    }
    model = make_model("vnn_druggene", ontology=path, missing_genes="drop", **params).fit(tiny, valid=tiny)
    mse = float(np.mean((model.predict(tiny) - tiny.y) ** 2))
    assert mse < 0.05 * float(np.var(tiny.y))


def test_vnn_missing_genes_error(vnn_setup):
    ds, path = vnn_setup
    small = ds.with_views(
        cell_views={k: v.subset(features=list(v.feature_names[:20])) for k, v in ds.cell_views.items()}
    )
    with pytest.raises(ValueError, match="absent from the feature views"):
        make_model("vnn_drugcell", ontology=path, **FAST).fit(small)


def test_vnn_nan_features_error_when_not_imputing(vnn_setup):
    ds, path = vnn_setup
    from cellresponse.data import FeatureView

    mut = ds.cell_view("mutation")
    values = mut.values.copy()
    values[0, 0] = np.nan
    bad = ds.with_views(
        cell_views={**ds.cell_views, "mutation": FeatureView("mutation", mut.ids, values, mut.feature_names, "binary")}
    )
    with pytest.raises(ValueError, match="non-finite"):
        make_model("vnn_drugcell", ontology=path, missing_genes="drop", impute_missing=False, **FAST).fit(bad)


def test_vnn_load_rejects_other_format_version(vnn_setup, tmp_path):
    ds, path = vnn_setup
    make_model("vnn_drugcell", ontology=path, missing_genes="drop", trainer__fast_dev_run=True, **FAST).fit(ds).save(
        tmp_path / "m"
    )
    from cellresponse.models._manifest import document_checksum

    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    doc["format_version"] = 99
    doc["checksum"] = document_checksum(doc)  # consistent files of other versions
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="format_version"):
        load_model(tmp_path / "m")
    doc["format_version"] = make_model("vnn_drugcell").format_version
    del doc["state"]["network"]
    doc["checksum"] = document_checksum(doc)
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="another version"):
        load_model(tmp_path / "m")


def test_vnn_random_ontology_control(vnn_setup):
    ds, _ = vnn_setup
    model = make_model("vnn_drugcell", ontology="random", min_genes=5, **FAST).fit(ds)
    assert model.hierarchy_summary_["n_genes"] == 25
    assert np.isfinite(model.predict(ds)).all()


def test_aux_reduction_mean_averages_the_heads():
    genes = [f"G{i:02d}" for i in range(25)]
    s = VNNStructure.from_hierarchy(random_hierarchy(genes), genes)
    net = VisibleNeuralNetwork(s, drug_dim=4, drug_hidden=(3, 2)).double()
    gen = torch.Generator().manual_seed(0)
    out = net(torch.randn(6, 25, generator=gen, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64))
    y = torch.randn(6, generator=gen, dtype=torch.float64)
    main = nn.functional.mse_loss(out.prediction, y)
    total = vnn_loss(out, y, alpha=1.0, aux_reduction="sum")
    mean = vnn_loss(out, y, alpha=1.0, aux_reduction="mean")
    n_heads = s.n_terms + 2
    torch.testing.assert_close(mean - main, (total - main) / n_heads)
    with pytest.raises(ValueError, match="aux_reduction"):
        vnn_loss(out, y, aux_reduction="max")


def test_vnn_rejects_unknown_aux_reduction(vnn_setup):
    ds, path = vnn_setup
    with pytest.raises(ValueError, match="aux_reduction"):
        make_model("vnn_drugcell", ontology=path, missing_genes="drop", aux_reduction="max", **FAST).fit(ds)


@pytest.mark.slow
def test_compiled_kernels_match_eager():
    """compile_kernels=True (torch.compile, ~30-60 s) gives the eager loss and gradients."""
    genes = [f"G{i:02d}" for i in range(25)]
    s = VNNStructure.from_hierarchy(random_hierarchy(genes), genes)
    gen = torch.Generator().manual_seed(0)
    cells, drugs = torch.randn(7, 25, generator=gen), torch.randn(5, 6, generator=gen)
    ci, di = torch.randint(0, 7, (30,), generator=gen), torch.randint(0, 5, (30,), generator=gen)
    y = torch.randn(30, generator=gen)
    grads = []
    for compiled in (False, True):
        net = VisibleNeuralNetwork(s, drug_dim=6, drug_hidden=(4,), init_scale=1.0)
        net.compile_kernels = compiled
        loss = vnn_loss(net(cells, drugs, cell_index=ci, drug_index=di), y, aux_reduction="mean")
        loss.backward()
        grads.append({n: p.grad.clone() for n, p in net.named_parameters()})
    for name, g in grads[0].items():
        torch.testing.assert_close(grads[1][name], g, atol=1e-5, rtol=1e-4)


def test_network_moves_its_sparsity_patterns_with_it():
    # .to()/.double() must carry the (non-buffer) index tensors too, or CUDA/float64 runs
    # would mix devices
    genes = [f"g{i}" for i in range(60)]
    net = VisibleNeuralNetwork(VNNStructure.from_hierarchy(random_hierarchy(genes)), n_channels=2, drug_dim=16)
    moved = net.to("meta")
    assert moved._pair_term.device.type == "meta"
    assert all(p.crow.device.type == "meta" and p.perm_t.device.type == "meta" for p in moved._gene_patterns)
    assert all(sel.device.type == "meta" for level in moved._child_patterns for _, sel, _ in level)
    back = moved.to_empty(device="cpu").double()
    assert back._gene_patterns[0].col.device.type == "cpu" and back._gene_patterns[0].col.dtype == torch.int64
    assert back.gene_weight.dtype == torch.float64


# ------------------------------------------------------------- bilinear head
@pytest.mark.parametrize("head", ["drugcell", "bilinear"])
def test_vnn_heads_fit_save_load_and_report_their_embeddings(vnn_setup, tmp_path, head):
    ds, path = vnn_setup
    model = make_model("vnn_druggene", ontology=path, missing_genes="drop", head=head, head_rank=5, **FAST).fit(ds)
    pred = model.predict(ds)
    np.testing.assert_allclose(load_model(model.save(tmp_path / "m")).predict(ds), pred, rtol=1e-5, atol=1e-6)
    s = model.structure_
    root = s.n_terms - 1
    width = 3 * (1 + int((s.edge_parent == root).sum())) if head == "bilinear" else 3
    ids, emb = model.genotype_embedding(ds)
    assert emb.shape == (len(ids), width)
    table = model.benchmark_extras(ds)["embedding"].set_index("embedding")
    assert list(table.index) == ["root", "genotype", "drug"]
    assert table.loc["genotype", "width"] == width
    shares = table[["pc1", "pc2", "pc3"]].to_numpy()
    assert ((shares >= 0) & (shares <= 1)).all() and (np.diff(shares, axis=1) <= 1e-12).all()


def test_auto_head_is_drugcells_layer_for_drugcell_and_bilinear_for_druggene(vnn_setup):
    ds, path = vnn_setup
    assert make_model("vnn_drugcell").resolved_head == "drugcell"
    assert make_model("vnn_druggene").resolved_head == "bilinear"
    assert make_model("vnn_druggene", head="drugcell").resolved_head == "drugcell"
    model = make_model("vnn_druggene", ontology=path, missing_genes="drop", head_rank=5, **FAST).fit(ds)
    root = model.structure_.n_terms - 1
    # the bilinear head reads the root and its children: wider than the root's 3 neurons
    assert model.genotype_embedding(ds)[1].shape[1] == 3 * (1 + int((model.structure_.edge_parent == root).sum()))


def test_bilinear_head_shapes_and_bad_values():
    # one prediction per (cell line, drug) pair from per-line and per-drug projections
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(12)]
    h = random_hierarchy(genes)
    structure = VNNStructure.from_hierarchy(h, genes)
    with torch_settings(num_threads=1, seed=0):
        net = VisibleNeuralNetwork(
            structure, n_channels=1, drug_dim=2, n_hidden=4, drug_hidden=(4,), head=VNNHead("bilinear")
        )
    x = torch.from_numpy(rng.normal(size=(64, 12)).astype(np.float32))
    drugs = torch.eye(2)
    cell_index = torch.arange(64).repeat(2)
    drug_index = torch.arange(2).repeat_interleave(64)
    out = net(x, drugs, cell_index=cell_index, drug_index=drug_index)
    assert out.prediction.shape == (128,)
    with pytest.raises(ValueError, match="head must be one of"):
        VNNHead("mlp")
    with pytest.raises(ValueError, match="head_rank"):
        VNNHead("bilinear", rank=0)
