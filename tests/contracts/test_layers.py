"""The layout of model/: no import circle, layers that import only downward (ground floor, simulation,
reporting, experiments, calibration, validation, answers, apps), and the submodels as leaves under the day and
the pipeline.

Imports are read from the source (ast), not by importing: every import of a ptsim module counts, at the
top of a file or inside a function, since a lazy import ties two modules together just the same.
"""

import ast
from pathlib import Path

import networkx as nx
from conftest import ROOT

PACKAGE = "ptsim"           # model/ installs as ptsim
# what a submodel may import besides its siblings
LOWER = {"ptsim.orders", "ptsim.errors", "ptsim.stats", "ptsim.bgnbd"}
SCHEDULE = ("model.py", "shopping.py")      # the day and the purchase pipeline


def module_name(path: Path, root: Path, package: str) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join((package, *parts[:-1 if parts[-1] == "__init__" else None]))


def imports(path: Path, root: Path, package: str, modules: set[str]) -> dict[str, set[str]]:
    """The package's modules a file imports, each with the names it takes from it (empty for `import x`
    or `from x import module`)."""
    name = module_name(path, root, package)
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == package:
                    found.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[:len(here.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != package:
                continue
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:         # from package import module
                    found.setdefault(f"{target}.{alias.name}", set())
                else:
                    found.setdefault(target, set()).add(alias.name)
    return found


def import_graph(root: Path, package: str = PACKAGE) -> nx.DiGraph:
    """Modules of the package under `root` and the imports between them."""
    files = {module_name(p, root, package): p for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        for target in imports(path, root, package, set(files)):
            if target in files and target != name:
                graph.add_edge(name, target)
    return graph


def circle(graph: nx.DiGraph) -> list[str]:
    """One import circle (its modules in order, the first repeated at the end), or [] if there is none."""
    try:
        edges = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return []
    return [a for a, _ in edges] + [edges[0][0]]


def test_no_import_circle_in_the_package():
    found = circle(import_graph(ROOT / "model"))
    assert not found, "import circle in model/: " + " -> ".join(found)


def test_the_circle_check_sees_a_lazy_import(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "sub" / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("from .sub import b\n")
    (tmp_path / "sub" / "b.py").write_text("def f():\n    from ..a import g\n")
    assert circle(import_graph(tmp_path, "pkg")) == ["pkg.a", "pkg.sub.b", "pkg.a"]
    (tmp_path / "sub" / "b.py").write_text("def f():\n    return 1\n")
    assert circle(import_graph(tmp_path, "pkg")) == []


def submodel_references(path: Path, modules: set[str]) -> set[tuple[str, str]]:
    """(submodel, name) pairs a file uses: `module.name` where `module` is a submodel it imports, and
    names imported from a submodel directly."""
    root = ROOT / "model"
    refs, bound = set(), {}
    for target, names in imports(path, root, PACKAGE, modules).items():
        if target.startswith(f"{PACKAGE}.submodels."):
            refs |= {(target, n) for n in names}
            bound[target.rpartition(".")[2]] = target
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
            refs.add((bound[node.value.id], node.attr))
    return refs


def test_submodels_are_leaves_that_call_no_step_of_another():
    """A step function is a submodel's function the day (model.py) or the purchase pipeline (shopping.py)
    calls: only they sequence the mechanisms. A submodel may use another's helpers, queries and classes (a
    tie slot, a price, the offers shown), never its steps, and imports nothing above it."""
    root = ROOT / "model"
    modules = set(import_graph(root).nodes)
    functions = {(module_name(p, root, PACKAGE), node.name) for p in (root / "submodels").glob("*.py")
                 for node in ast.parse(p.read_text()).body if isinstance(node, ast.FunctionDef)}
    steps = set().union(*(submodel_references(root / f, modules) for f in SCHEDULE)) & functions
    assert len(steps) > 20, "the step functions were not found: has the schedule moved?"
    problems = []
    for path in sorted((root / "submodels").glob("*.py")):
        name = module_name(path, root, PACKAGE)
        above = {t for t in imports(path, root, PACKAGE, modules)
                 if t not in LOWER and not t.startswith(f"{PACKAGE}.submodels")}
        problems += [f"{name} imports {t}, above the submodels" for t in sorted(above)]
        problems += [f"{name} calls the step {m}.{f}" for m, f in sorted(submodel_references(path, modules) & steps)
                     if m != name]
    assert not problems, "\n".join(problems)


# The layers of model/, lowest first: a module imports only from its own layer and those below it. A module
# is in the layer of the longest prefix listed; the package's root (ptsim/__init__.py: lazy re-exports and the
# version) belongs to no layer and is not checked.
LAYERS = {
    "ground": ("errors", "stats", "bgnbd"),
    "simulation": ("model", "shopping", "orders", "agents", "population", "calendar", "submodels", "policies",
                   "instruments", "treatment", "unit_outcomes", "scenario", "outcomes", "cohorts", "runs", "warm_state",
                   "stationarity", "probe", "order_log"),
    "reporting": ("results", "plots", "scenario_docs", "scenario.docs"),
    "experiments": ("experiment",),
    "calibration": ("calibration", "fit_consumers"),
    "validation": ("validation",),
    "answers": ("answers",),
    "apps": ("cli", "dashboard", "ema", "bench", "__main__"),
}
# imports across layers the design accepts, each with its reason
ACCEPTED = {("ptsim.order_log", "ptsim.results"): "the order log streams rows during a run through results' "
            "atomic files and column units"}


def layer_of(module: str, layers: dict = LAYERS, package: str = PACKAGE) -> str | None:
    """The layer of a module (by the longest listed prefix of its dotted name inside the package), None for
    the package's root; an unlisted module is an error, so a new file must be given a layer."""
    inner = module.removeprefix(package).lstrip(".")
    if not inner:
        return None
    found = [(len(p), name) for name, prefixes in layers.items() for p in prefixes
             if inner == p or inner.startswith(p + ".")]
    assert found, f"{module} is in no layer: add it to LAYERS in tests/test_layers.py"
    return max(found)[1]


def upward_imports(graph: nx.DiGraph, layers: dict = LAYERS, package: str = PACKAGE,
                   accepted=ACCEPTED) -> list[str]:
    order = list(layers)
    out = []
    for a, b in sorted(graph.edges):
        la, lb = layer_of(a, layers, package), layer_of(b, layers, package)
        if la and lb and order.index(lb) > order.index(la) and (a, b) not in accepted:
            out.append(f"{a} ({la}) imports {b} ({lb}), a layer above it")
    return out


def test_every_module_imports_only_its_own_layer_and_below():
    problems = upward_imports(import_graph(ROOT / "model"))
    assert not problems, "\n".join(problems)


def test_every_module_has_a_layer():
    for name in import_graph(ROOT / "model").nodes:
        layer_of(name)


def test_the_layer_check_sees_an_upward_import(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "low.py").write_text("def f():\n    from .high import g\n")
    (tmp_path / "high.py").write_text("from . import low\n")
    layers = {"bottom": ("low",), "top": ("high",)}
    assert upward_imports(import_graph(tmp_path, "pkg"), layers, "pkg", {}) == [
        "pkg.low (bottom) imports pkg.high (top), a layer above it"]
    (tmp_path / "low.py").write_text("X = 1\n")
    assert upward_imports(import_graph(tmp_path, "pkg"), layers, "pkg", {}) == []


def test_the_ground_floor_imports_nothing_of_the_package():
    graph = import_graph(ROOT / "model")
    ground = [m for m in graph.nodes if layer_of(m) == "ground"]
    assert ground and not [f"{a} imports {b}" for a in ground for b in graph.successors(a)]
