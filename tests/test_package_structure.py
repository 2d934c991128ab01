"""Package-wide conventions: light import, keyword-only public API, layers (see
``tests/_structure.py``)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest


def test_import_does_not_load_heavy_dependencies():
    heavy = "('torch', 'rdkit', 'matplotlib', 'lightgbm')"
    code = f"import sys, cellresponse; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_public_functions_have_few_positional_parameters():
    import cellresponse.data as data
    import cellresponse.evaluate as evaluate
    import cellresponse.splits as splits

    for module in (data, evaluate, splits):
        for name in module.__all__:
            obj = getattr(module, name)
            if not inspect.isfunction(obj):
                continue
            params = inspect.signature(obj).parameters.values()
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            assert len(positional) <= 3, f"{module.__name__}.{name} has {len(positional)} positional parameters"
            for p in positional:
                assert not isinstance(p.default, bool), f"{module.__name__}.{name}: positional boolean {p.name}"


# --------------------------------------------------------------- layers (tests/_structure.py)
def _structure():
    """tests/_structure.py, loaded by path (the tests folder is not a package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("_structure.py")
    spec = importlib.util.spec_from_file_location("_structure", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_structure", module)  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def structure():
    from pathlib import Path

    mod = _structure()
    src = Path(mod.__file__).resolve().parents[1] / "src" / "cellresponse"
    return mod, mod.load(src)


def test_every_package_has_a_layer(structure):
    mod, mods = structure
    for name in {m.package for m in mods.values()}:
        mod.layer_of(name)  # raises KeyError for a package missing from LAYERS


def test_no_upward_imports(structure):
    mod, mods = structure
    assert mod.upward_imports(mods) == []


def test_datasets_does_not_import_features(structure):
    _, mods = structure
    found = [
        f"{m.name}:{line} -> {target}"
        for m in mods.values()
        if m.package == "datasets"
        for target, line in m.imports
        if target.split(".")[0] == "features"
    ]
    assert found == []


def test_no_import_circles_between_files_or_packages(structure):
    mod, mods = structure
    file_cycles, package_cycles = mod.import_cycles(mods)
    assert file_cycles == [] and package_cycles == []


def test_no_private_imports_across_packages(structure):
    mod, mods = structure
    assert mod.private_imports(mods) == []


def test_modules_are_small_with_short_signatures(structure):
    mod, mods = structure
    assert mod.long_files(mods) == []
    assert mod.long_signatures(mods) == []


def test_one_optimizer_step_in_the_package(structure):
    mod, _ = structure
    from pathlib import Path

    src = Path(mod.__file__).resolve().parents[1] / "src" / "cellresponse"
    assert [s.split(":")[0] for s in mod.optimizer_steps(src)] == ["models/train.py"]


def test_new_packages_keep_keyword_only_signatures():
    import cellresponse.biomarkers as biomarkers
    import cellresponse.chem as chem
    import cellresponse.de as de
    import cellresponse.enrich as enrich
    import cellresponse.explain as explain
    import cellresponse.explore as explore
    import cellresponse.metrics as metrics
    import cellresponse.ontology as ontology
    import cellresponse.pipeline as pipeline
    import cellresponse.report as report
    import cellresponse.results as results
    import cellresponse.tasks as tasks

    for module in (biomarkers, chem, de, enrich, explain, explore, metrics, ontology, pipeline, report, results, tasks):
        for name in module.__all__:
            obj = getattr(module, name)
            if not inspect.isfunction(obj):
                continue
            params = inspect.signature(obj).parameters.values()
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            assert len(positional) <= 3, f"{module.__name__}.{name} has {len(positional)} positional parameters"
            for p in positional:
                assert not isinstance(p.default, bool), f"{module.__name__}.{name}: positional boolean {p.name}"
