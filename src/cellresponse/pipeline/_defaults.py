"""The embedded default bundles: models a fresh install can serve with no data root.

Built from the data shipped inside the package (``gdsc2_demo``: GDSC2 subset;
``lincs_a375_demo``: L1000 A375 plate) in seconds, then cached under
``cellresponse._util.cache_dir("bundles")`` keyed by the package version and the bundle
specification, so a second start reuses them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cellresponse._types import PathLike
from cellresponse._util import cache_dir
from cellresponse.pipeline._bundle import BUNDLE_FORMAT, is_bundle, read_bundle


@dataclass(frozen=True)
class DefaultBundle:
    """One embedded default: served name, dataset, model and its parameters."""

    name: str
    dataset: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""


#: what ``cellresponse serve`` serves when no ``--model`` is given
DEFAULT_BUNDLES: tuple[DefaultBundle, ...] = (
    DefaultBundle(
        "gdsc2-demo-ridge",
        "gdsc2_demo",
        "ridge_per_drug",
        description="ln IC50 of the 24 embedded GDSC2 drugs from expression; per-drug ridge (known drugs only)",
    ),
    DefaultBundle(
        "gdsc2-demo-enet",
        "gdsc2_demo",
        "elastic_net",
        description="ln IC50 from omics and drug fingerprints; predicts new drugs from SMILES",
    ),
    DefaultBundle(
        "a375-expr-ridge",
        "lincs_a375_demo",
        "expr_ridge",
        description="978-gene L1000 signatures in A375 from fingerprint, dose and time (ridge)",
    ),
)
CV_FOLDS = 3
SEED = 0


def _key(specs: tuple[DefaultBundle, ...]) -> str:
    from cellresponse import __version__

    text = json.dumps([asdict(s) for s in specs] + [__version__, BUNDLE_FORMAT, CV_FOLDS, SEED, 0.0], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def default_bundles(
    *,
    cache: PathLike | None = None,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
    specs: tuple[DefaultBundle, ...] = DEFAULT_BUNDLES,
) -> list[Path]:
    """Paths of the embedded default bundles, built on first use and cached.

    Parameters
    ----------
    cache
        Cache root (default ``$CELLRESPONSE_CACHE`` or ``~/.cache/cellresponse``); the
        bundles go to ``<cache>/bundles/default-<key>/<name>``.
    rebuild
        Build again even when a cached copy exists.
    log
        Called with one line per step (what was built or reused, where, how long).
    specs
        The bundles to build (default :data:`DEFAULT_BUNDLES`).

    Returns
    -------
    list of Path
        One bundle directory per spec, in order.
    """
    from cellresponse.datasets import load_dataset
    from cellresponse.pipeline._train import train

    say = log or (lambda _msg: None)
    root = cache_dir("bundles", cache) / f"default-{_key(specs)}"
    paths = [root / s.name for s in specs]
    if not rebuild and all(is_bundle(p) for p in paths):
        try:
            for p in paths:
                read_bundle(p)
            say(f"using the cached default bundles in {root}")
            return paths
        except (OSError, ValueError) as err:
            say(f"cached default bundles in {root} are unreadable ({err}); rebuilding")
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    datasets: dict[str, Any] = {}
    for spec, path in zip(specs, paths, strict=True):
        t0 = time.perf_counter()
        if spec.dataset not in datasets:
            datasets[spec.dataset] = load_dataset(spec.dataset)
        # Build beside the target and rename: a concurrent reader never sees a partial bundle.
        tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=root))
        try:
            train(
                datasets[spec.dataset],
                model=spec.model,
                out=tmp,
                params=spec.params,
                seed=SEED,
                # none of the default models stops early: train on every observation
                valid_fraction=0.0,
                cv_folds=CV_FOLDS,
                bundle_extras={"name": spec.name, "description": spec.description},
            )
            if path.exists():
                shutil.rmtree(path)
            tmp.rename(path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        say(f"built {spec.name} ({spec.model} on {spec.dataset}) in {time.perf_counter() - t0:.1f} s")
    say(f"built {len(specs)} default bundles in {time.perf_counter() - start:.1f} s; cached in {root}")
    return paths


__all__ = ["DEFAULT_BUNDLES", "DefaultBundle", "default_bundles"]
