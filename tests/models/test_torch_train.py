"""The shared training infrastructure: batching by ID lookup, carving, settings."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cellresponse.models.train import (  # noqa: E402
    EntityTensors,
    PairBatcher,
    carve_validation,
    torch_settings,
)


def _entities(ds):
    import pandas as pd

    cells = pd.Index(np.unique(ds.cell_lines))
    drugs = pd.Index(np.unique(ds.perturbations))
    return EntityTensors(
        cells,
        torch.arange(len(cells), dtype=torch.float32)[:, None],
        drugs,
        torch.arange(len(drugs), dtype=torch.float32)[:, None],
    )


def test_batches_gather_distinct_entities(response_ds):
    ent = _entities(response_ds)
    batcher = PairBatcher(response_ds, ent, batch_size=50)
    seen = []
    for b in batcher.batches(generator=torch.Generator().manual_seed(0)):
        # distinct rows only; per-pair indices reconstruct the pair's IDs
        assert b.cells.shape[0] == len(np.unique(response_ds.cell_lines[b.rows]))
        got = ent.cell_ids[b.cells[b.cell_index, 0].long().numpy()]
        np.testing.assert_array_equal(got, response_ds.cell_lines[b.rows])
        got_d = ent.drug_ids[b.drugs[b.drug_index, 0].long().numpy()]
        np.testing.assert_array_equal(got_d, response_ds.perturbations[b.rows])
        np.testing.assert_allclose(b.y.numpy(), response_ds.y[b.rows])
        seen.append(b.rows)
    assert sorted(np.concatenate(seen).tolist()) == list(range(len(response_ds)))
    assert len(batcher) == len(seen)


def test_carve_validation_is_seeded_and_grouped(response_ds):
    tr1, va1 = carve_validation(response_ds, random_state=3)
    _tr2, va2 = carve_validation(response_ds, random_state=3)
    np.testing.assert_array_equal(va1.cell_lines, va2.cell_lines)
    assert not set(tr1.cell_lines) & set(va1.cell_lines)
    assert len(np.unique(va1.cell_lines)) == round(0.1 * len(np.unique(response_ds.cell_lines)))


def test_torch_settings_restore_global_state():
    threads = torch.get_num_threads()
    state = torch.get_rng_state()
    with torch_settings(num_threads=1, deterministic=True, seed=5):
        assert torch.get_num_threads() == 1
        torch.rand(3)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), state)


def test_import_does_not_load_torch():
    import subprocess
    import sys

    code = "import sys, cellresponse.models.train, cellresponse.ontology; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
