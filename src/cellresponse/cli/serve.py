"""``cellresponse serve``: the prediction service and its web page (FastAPI + uvicorn).

With no ``--model`` it serves the embedded default bundles (GDSC2 demo response models and
the L1000 A375 expression model), built on first use in seconds and cached.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve model bundles over HTTP with a web page (127.0.0.1 by default)")
    p.add_argument(
        "--model",
        action="append",
        metavar="[NAME=]DIR",
        help="a bundle written by `cellresponse train` (repeat for more); NAME overrides its served name; "
        "default: the embedded default bundles",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--rebuild-defaults", action="store_true", help="rebuild the cached default bundles")
    p.add_argument("--max-pairs", type=int, default=100_000, help="most (cell line, drug) pairs per request")
    p.add_argument("--max-library", type=int, default=5_000, help="most uploaded compounds per repurposing query")
    p.add_argument("--max-body-mb", type=float, default=32.0, help="largest request body in MiB")
    p.add_argument("--timeout", type=float, default=60.0, help="per-request time limit in seconds")
    p.add_argument("--threads", type=int, default=8, help="worker threads for predictions")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=run)


def _model_args(items: list[str]) -> list[tuple[str | None, Path]]:
    out: list[tuple[str | None, Path]] = []
    for item in items:
        name, sep, path = item.partition("=")
        if sep and name and not Path(item).exists():
            out.append((name, Path(path)))
        else:
            out.append((None, Path(item)))
    return out


def run(args: argparse.Namespace) -> int:
    from cellresponse.service import ServiceSettings, load_served_models

    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be in 1..65535, got {args.port}")
    settings = ServiceSettings(
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_pairs=args.max_pairs,
        max_library=args.max_library,
        timeout_s=args.timeout,
        threads=args.threads,
    )
    start = time.perf_counter()
    if args.model:
        bundles = _model_args(args.model)
    else:
        from cellresponse.pipeline import default_bundles

        print("cellresponse serve: no --model given; serving the embedded default bundles", flush=True)
        paths = default_bundles(
            rebuild=args.rebuild_defaults, log=lambda m: print(f"cellresponse serve: {m}", flush=True)
        )
        bundles = [(None, p) for p in paths]
    models = load_served_models(bundles, settings=settings)
    try:
        import uvicorn

        from cellresponse.service import create_app

        app = create_app(models, settings=settings)
    except ImportError as err:
        raise ValueError(f"{err}") from None
    for m in models.values():
        print(f"cellresponse serve: {m.name}: {m.task} ({m.bundle.model_name}) from {m.bundle.path}", flush=True)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"cellresponse serve: ready in {time.perf_counter() - start:.1f} s on http://{host}:{args.port}/ "
        f"(API docs: /docs); Ctrl-C stops",
        flush=True,
    )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"cellresponse serve: warning: bound to {args.host}, reachable from other machines", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0
