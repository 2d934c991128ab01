"""Static structure of the package: layers, import circles, private imports, sizes.

Used by ``tests/test_package_structure.py`` to hold the rules of ``../shared/STYLE.md``
(amended in the README's "Package layout"), and runnable to print the figures:

    python tests/_structure.py [SRC_DIR]     # default: src/cellresponse beside this file
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Layers from the bottom up. A module may import from its own layer or any layer below,
#: never from a layer above; within a layer, packages must not import each other in a circle.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_types", "_paths", "_util", "_registry", "config", "errors", "__init__"),
    ("io",),
    ("data",),
    ("chem", "metrics", "plotting", "results"),
    ("datasets", "ontology", "de", "biomarkers"),
    ("features", "splits", "enrich", "explore"),
    ("models",),
    ("explain",),
    ("tasks",),
    ("evaluate",),
    ("report",),
    ("pipeline",),
    ("cli", "service"),
)
MAX_LINES = 600
MAX_PARAMS = 8
ESTIMATOR_ROOTS = {"BaseEstimator", "ResponseModel"}


def layer_of(package: str) -> int:
    for i, names in enumerate(LAYERS):
        if package in names:
            return i
    raise KeyError(f"package {package!r} has no layer in tests/_structure.py LAYERS")


@dataclass
class Module:
    name: str  # dotted, without the leading "cellresponse."
    path: Path
    tree: ast.Module
    lines: int
    imports: list[tuple[str, int]] = field(default_factory=list)  # (dotted target, line)

    @property
    def package(self) -> str:
        return self.name.split(".")[0]


def _module_name(src: Path, path: Path) -> str:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(tree: ast.Module, name: str, is_pkg: bool) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cellresponse."):
                    out.append((alias.name.removeprefix("cellresponse."), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[: len(base) - node.level + 1]
                target = ".".join([*parent, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("cellresponse"):
                target = node.module.removeprefix("cellresponse").lstrip(".")
            else:
                continue
            if not target:
                continue
            for alias in node.names:  # "from pkg import _mod" imports a module
                out.append((f"{target}.{alias.name}" if alias.name.startswith("_") else target, node.lineno))
    return out


def load(src: Path) -> dict[str, Module]:
    mods = {}
    for path in sorted(src.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        name = _module_name(src, path)
        mod = Module(name, path, tree, len(text.splitlines()))
        mod.imports = _imports(tree, name, path.name == "__init__.py")
        mods[name] = mod
    return mods


def _resolve(target: str, mods: dict[str, Module]) -> str | None:
    parts = target.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in mods:
            return cand
        parts.pop()
    return None


def upward_imports(mods: dict[str, Module]) -> list[str]:
    out = []
    for mod in mods.values():
        for target, line in mod.imports:
            top = target.split(".")[0]
            if top == mod.package:
                continue
            if layer_of(top) > layer_of(mod.package):
                out.append(f"{mod.path.name}:{line} {mod.name} -> {target}")
    return out


def private_imports(mods: dict[str, Module]) -> list[str]:
    """Imports of another package's private module (``cellresponse.pkg._mod`` from outside pkg)."""
    out = []
    for mod in mods.values():
        for target, line in mod.imports:
            parts = target.split(".")
            if parts[0] == mod.package:
                continue
            if any(p.startswith("_") for p in parts[1:]):
                out.append(f"{mod.name}:{line} -> {target}")
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def import_cycles(mods: dict[str, Module]) -> tuple[list[list[str]], list[list[str]]]:
    """(circles between files, circles between packages); package ``__init__`` re-exports
    count as the package itself."""
    files: dict[str, set[str]] = {}
    packages: dict[str, set[str]] = {}
    for mod in mods.values():
        for target, _ in mod.imports:
            resolved = _resolve(target, mods)
            if resolved is None or resolved == mod.name:
                continue
            # a module importing its own package's __init__ is the usual re-export path
            if mod.name.startswith(resolved + "."):
                continue
            files.setdefault(mod.name, set()).add(resolved)
            top = resolved.split(".")[0]
            if top != mod.package:
                packages.setdefault(mod.package, set()).add(top)
    return _cycles(files), _cycles(packages)


def _estimator_classes(mods: dict[str, Module]) -> set[str]:
    bases: dict[str, set[str]] = {}
    for mod in mods.values():
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.ClassDef):
                names = set()
                for b in node.bases:
                    if isinstance(b, ast.Name):
                        names.add(b.id)
                    elif isinstance(b, ast.Attribute):
                        names.add(b.attr)
                bases.setdefault(node.name, set()).update(names)
    est = set(ESTIMATOR_ROOTS)
    changed = True
    while changed:
        changed = False
        for cls, parents in bases.items():
            if cls not in est and parents & est:
                est.add(cls)
                changed = True
    return est


def long_signatures(mods: dict[str, Module], *, limit: int = MAX_PARAMS) -> list[str]:
    """Functions with more than ``limit`` parameters (``self``/``cls`` not counted), except
    estimator ``__init__``s, whose keyword-only hyperparameters are the estimator contract."""
    est = _estimator_classes(mods)
    out = []
    for mod in mods.values():
        for cls_node in [None, *[n for n in ast.walk(mod.tree) if isinstance(n, ast.ClassDef)]]:
            body = mod.tree.body if cls_node is None else cls_node.body
            for node in body:
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                a = node.args
                params = [*a.posonlyargs, *a.args, *a.kwonlyargs]
                names = [p.arg for p in params if p.arg not in ("self", "cls")]
                if len(names) <= limit:
                    continue
                if cls_node is not None and node.name == "__init__" and cls_node.name in est:
                    continue
                owner = f"{cls_node.name}." if cls_node is not None else ""
                out.append(f"{mod.name}.{owner}{node.name} ({len(names)})")
    return out


def long_files(mods: dict[str, Module], *, limit: int = MAX_LINES) -> list[str]:
    return [f"{m.name} ({m.lines})" for m in mods.values() if m.lines > limit]


def optimizer_steps(src: Path) -> list[str]:
    out = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "step"
                and not node.args
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("opt", "optimizer", "optim")
            ):
                out.append(f"{path.relative_to(src)}:{node.lineno}")
    return out


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "src" / "cellresponse"
    mods = load(src)
    file_cycles, package_cycles = import_cycles(mods)
    try:
        upward = upward_imports(mods)
    except KeyError as err:
        upward = [f"unknown layer: {err}"]
    figures = {
        "files over 600 lines": long_files(mods),
        "functions over 8 parameters (estimator __init__ excepted)": long_signatures(mods),
        "optimizer.step() call sites": optimizer_steps(src),
        "imports of another package's private module": private_imports(mods),
        "upward imports": upward,
        "circles between files": [" -> ".join(c) for c in file_cycles],
        "circles between packages": [" -> ".join(c) for c in package_cycles],
    }
    for title, items in figures.items():
        print(f"{title}: {len(items)}")
        for item in items:
            print(f"    {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
