"""SYNTHETIC expression-signature panels with known ground truth, for tests and smoke runs.

Everything produced here is SYNTHETIC and says so in ``Dataset.info["synthetic"]``.

Generative model (per cell line i, compound c, dose d, time t)::

    y[i, c, d, t] = sum_m w[c, m] * s[i, m] * hill(d; ec50[c], h[c])
                          * (1 - exp(-t / tau[m])) * L[m]  + noise

- ``L[m]``: gene loadings of latent mechanism m (sparse, so top genes are well defined);
- ``w[c]``: compound c acts mostly through one mechanism; its fingerprint is that
  mechanism's prototype bit pattern with a few flips, so similar structures share a
  mechanism (a drug encoder can learn it; a drug-blind model cannot);
- ``s[i, m] = 2 * sigmoid(basal[i] . u[m])``: cell-line sensitivity, a function of
  basal expression (so the basal view is informative for unseen cell lines);
- Hill-shaped dose response and first-order time dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cellresponse.data._dataset import Dataset
from cellresponse.data._views import FeatureView

DEFAULT_DOSES = (0.04, 0.12, 0.37, 1.11, 3.33, 10.0)
DEFAULT_TIMES = (6.0, 24.0)


@dataclass(frozen=True)
class SyntheticExpressionPanel:
    """Shape of a synthetic expression panel (see :func:`make_expression_dataset`).

    Parameters
    ----------
    n_cell_lines, n_compounds, n_genes, n_mechanisms
        Panel size.
    doses, times
        Dose grid (µM) and time points (h); every combination is observed.
    n_bits
        Fingerprint length of the ``morgan`` compound view (synthetic bits).
    noise
        Standard deviation of the Gaussian noise added to each value.

    Raises
    ------
    ValueError
        If a size is < 1 or a dose or time is not positive.
    """

    n_cell_lines: int = 8
    n_compounds: int = 12
    n_genes: int = 50
    n_mechanisms: int = 3
    doses: tuple[float, ...] = DEFAULT_DOSES
    times: tuple[float, ...] = DEFAULT_TIMES
    n_bits: int = 128
    noise: float = 0.2

    def __post_init__(self) -> None:
        if min(self.n_cell_lines, self.n_compounds, self.n_genes, self.n_mechanisms, self.n_bits) < 1:
            raise ValueError("n_cell_lines, n_compounds, n_genes, n_mechanisms and n_bits must all be >= 1")
        if any(d <= 0 for d in self.doses) or any(t <= 0 for t in self.times):
            raise ValueError(
                f"doses and times must be positive; got doses={list(self.doses)}, times={list(self.times)}"
            )


def make_expression_dataset(panel: SyntheticExpressionPanel | None = None, *, random_state: int = 0) -> Dataset:
    """A SYNTHETIC (cell line x compound x dose x time) signature panel.

    Parameters
    ----------
    panel
        Panel size, dose/time grid, fingerprint length and noise (default
        ``SyntheticExpressionPanel()``: 8 lines x 12 compounds x 50 genes).
    random_state
        Seed.

    Returns
    -------
    Dataset
        ``task="expression"``, cell view ``basal``, compound view ``morgan``;
        ``info["synthetic"] is True`` and ``info["ground_truth"]`` holds each compound's
        mechanism and log10 EC50.

    Examples
    --------
    >>> panel = SyntheticExpressionPanel(n_cell_lines=2, n_compounds=3, n_genes=10)
    >>> ds = make_expression_dataset(panel)
    >>> ds.y.shape, ds.info["synthetic"]
    ((72, 10), True)
    """
    p = SyntheticExpressionPanel() if panel is None else panel
    n_cell_lines, n_compounds, n_genes, n_mechanisms = p.n_cell_lines, p.n_compounds, p.n_genes, p.n_mechanisms
    doses, times, n_bits, noise = p.doses, p.times, p.n_bits, p.noise
    rng = np.random.default_rng(random_state)
    cells = [f"SYN_CL{i:02d}" for i in range(n_cell_lines)]
    cmps = [f"SYN_CP{j:02d}" for j in range(n_compounds)]
    genes = [f"SG{g:03d}" for g in range(n_genes)]

    loadings = rng.normal(0, 1, (n_mechanisms, n_genes)) * (rng.random((n_mechanisms, n_genes)) < 0.3)
    loadings *= 3.0
    tau = rng.uniform(2.0, 20.0, n_mechanisms)
    mech = np.arange(n_compounds) % n_mechanisms
    rng.shuffle(mech)
    w = np.full((n_compounds, n_mechanisms), 0.1) + 0.9 * np.eye(n_mechanisms)[mech]
    log_ec50 = rng.uniform(-1.0, 0.7, n_compounds)
    hill_n = rng.uniform(1.0, 2.5, n_compounds)
    protos = rng.random((n_mechanisms, n_bits)) < 0.15
    flips = rng.random((n_compounds, n_bits)) < 0.05
    bits = (protos[mech] ^ flips).astype(np.float32)

    # Placeholder SMILES: one ring scaffold per mechanism + a chain; only scaffold splits
    # read them (the fingerprints above are synthetic bits, not computed from these).
    scaffolds = (
        "c1ccccc1",
        "c1ccncc1",
        "C1CCCCC1",
        "c1ccc2ccccc2c1",
        "c1ccoc1",
        "C1CCNCC1",
        "c1ccsc1",
        "C1CCOC1",
    )
    smiles = [scaffolds[m % len(scaffolds)] + "C" * (1 + j // n_mechanisms) + "O" for j, m in enumerate(mech)]

    basal = rng.normal(6.0, 1.5, (n_cell_lines, n_genes)).astype(np.float32)
    u = rng.normal(0, 1.0 / np.sqrt(n_genes), (n_mechanisms, n_genes))
    sens = 2.0 / (1.0 + np.exp(-((basal - basal.mean(0)) @ u.T)))

    grid = np.array(
        np.meshgrid(
            np.arange(n_cell_lines),
            np.arange(n_compounds),
            np.asarray(doses, float),
            np.asarray(times, float),
            indexing="ij",
        )
    )
    ci, cj, dd, tt = (g.ravel() for g in grid)
    ci, cj = ci.astype(int), cj.astype(int)
    hill = 1.0 / (1.0 + (10.0 ** log_ec50[cj] / dd) ** hill_n[cj])
    dyn = 1.0 - np.exp(-tt[:, None] / tau[None, :])
    amp = w[cj] * sens[ci] * dyn * hill[:, None]
    y = amp @ loadings + rng.normal(0, noise, (len(ci), n_genes))

    obs = pd.DataFrame(
        {
            "cell_line": np.asarray(cells)[ci],
            "perturbation": np.asarray(cmps)[cj],
            "dose": dd,
            "time": tt,
        }
    )
    return Dataset(
        obs=obs,
        y=y.astype(np.float32),
        target="signature",
        task="expression",
        perturbation_kind="compound",
        cell_views={"basal": FeatureView("basal", pd.Index(cells), basal, pd.Index(genes))},
        perturbation_views={
            "morgan": FeatureView(
                "morgan",
                pd.Index(cmps),
                bits,
                pd.Index([f"bit_{k}" for k in range(n_bits)]),
                "binary",
            )
        },
        perturbation_meta=pd.DataFrame({"name": cmps, "mechanism": mech, "smiles": smiles}, index=pd.Index(cmps)),
        target_names=tuple(genes),
        name="synthetic_expression",
        info={
            "synthetic": True,
            "note": "SYNTHETIC data (cellresponse.data.synthetic_expression), not a measurement",
            "random_state": random_state,
            "ground_truth": {
                "mechanism": dict(zip(cmps, mech.tolist(), strict=True)),
                "log10_ec50": dict(zip(cmps, log_ec50.round(4).tolist(), strict=True)),
            },
        },
    )


__all__ = ["DEFAULT_DOSES", "DEFAULT_TIMES", "SyntheticExpressionPanel", "make_expression_dataset"]
