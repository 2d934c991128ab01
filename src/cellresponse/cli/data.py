"""``cellresponse data``: list datasets and models, summarise a dataset's harmonization."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("data", help="list datasets, models, tasks and split modes; summarise a dataset")
    p.add_argument("action", choices=["list", "models", "splits", "tasks", "summary", "drugs"])
    p.add_argument("name", nargs="?", help="dataset name for `summary`; first screen for `drugs`")
    p.add_argument("other", nargs="?", help="`drugs`: the second screen (gdsc1, gdsc2, ccle, ctrp_v2, pdxe, lincs)")
    p.add_argument("--target")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        from cellresponse.datasets import available_datasets

        for name, meta in available_datasets().items():
            print(f"{name:18s} targets={','.join(meta['targets'])}  {meta['description']}")  # type: ignore[arg-type]
    elif args.action == "models":
        from cellresponse.models import available_models, get_model_class

        for name in available_models():
            cls = get_model_class(name)
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            print(f"{name:24s} tasks={','.join(cls.tasks)}  {doc}")
    elif args.action == "tasks":
        from cellresponse.tasks import available_tasks, get_task

        for name in available_tasks():
            task = get_task(name)
            doc = (type(task).__doc__ or "").strip().splitlines()[0]
            print(f"{name:12s} default split={task.default_split:14s} baselines={','.join(task.baselines)}  {doc}")
    elif args.action == "splits":
        from cellresponse.splits import MODE_ALIASES, split_mode_descriptions
        from cellresponse.tasks import available_tasks, get_task

        for mode, text in split_mode_descriptions().items():
            tasks = [t for t in available_tasks() if mode in get_task(t).split_modes]
            aliases = [a for a, m in MODE_ALIASES.items() if m == mode]
            alias = f"({'/'.join(aliases)})" if aliases else ""
            print(f"{mode:20s} {alias:24s} tasks={','.join(tasks):30s} {text}")
    elif args.action == "drugs":
        _drugs(args.name, args.other)
    else:
        if not args.name:
            raise ValueError("`cellresponse data summary` needs a dataset name")
        from cellresponse.datasets import load_dataset

        ds = load_dataset(args.name, target=args.target)
        print(json.dumps({"summary": ds.summary(), "info": dict(ds.info)}, indent=2, default=str))
    return 0


def _drugs(first: str | None, second: str | None) -> None:
    """The drugs two screens share (names, curated aliases, structures) and those they do not."""
    from cellresponse._paths import data_root
    from cellresponse.data import DrugResolver
    from cellresponse.datasets import drug_catalogue

    catalogue = drug_catalogue(str(data_root()))
    for name in (first, second):
        if name not in catalogue:
            raise ValueError(f"`cellresponse data drugs A B` takes two screens of {sorted(catalogue)}; got {name!r}")
    a = catalogue[str(first)].set_index("name")
    b = catalogue[str(second)].set_index("name")
    match = DrugResolver().match(a, b, source=f"{first} -> {second}")
    report = match.report.to_dict()
    print(f"{first}: {len(a)} drugs, {second}: {len(b)} drugs; shared {len(match.pairs)} {report['matched_by']}")
    for how in ("alias", "structure"):
        pairs = match.pairs[match.pairs["matched_by"] == how]
        if len(pairs):
            print(f"  by {how}: " + ", ".join(f"{x} = {y}" for x, y in zip(pairs["a"], pairs["b"], strict=True)))
    print(f"  {first} only ({len(report['unmatched'])}): {', '.join(report['unmatched'][:15])}")
    print(f"  {second} only ({len(report['extra']['b_unmatched'])}): {', '.join(report['extra']['b_unmatched'][:15])}")
    for c in report["collisions"]:
        print(f"  excluded ({c['kind']}): {c['ids']}")
    for c in report["extra"]["structure_conflicts"]:
        print(f"  name match with different structures: {c['a']} / {c['b']}")
