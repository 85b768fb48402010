"""The tree shows the architecture: no import circles, tools/ stands alone, families are packages.

The imports are read with ast, at module level, inside functions and under TYPE_CHECKING (a
circle only the types close is still one in the design), and each is resolved to the module it
loads (`from agent.spec import model` is agent.spec.model, `from agent.spec import Requirements`
is agent.spec), together with the package `__init__`s Python runs first. A circle between
modules, a tools/ module that imports agent/ or evals/, a folder of more than MAX_MODULES
modules and a family of FAMILY or more modules sharing a name prefix in one folder all fail
here, so the layout cannot drift back.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "tools", "evals")
MAX_MODULES = 15
FAMILY = 3


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imported(node: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The project modules one import statement loads, resolved as Python resolves them."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        targets = set()
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            if submodule in modules:
                targets.add(submodule)
            elif node.module in modules:
                targets.add(node.module)
        return targets
    return set()


def _ancestors(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _loaded(importer: str, target: str, modules: dict[str, Path]) -> set[str]:
    """Importing a.b.c runs the `__init__` of a and a.b first, unless the importer lives in
    them (its own packages are initialised before it runs): a circle through a package's
    re-exports is a circle too."""
    outside = _ancestors(target) - _ancestors(importer) - {importer}
    return {target} | {package for package in outside if package in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            for target in _imported(node, modules):
                edges |= _loaded(name, target, modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _folders() -> dict[Path, list[str]]:
    """Each package folder with the stems of the modules it holds (not __init__)."""
    folders: dict[Path, list[str]] = defaultdict(list)
    for path in _modules().values():
        if path.stem != "__init__":
            folders[path.parent.relative_to(ROOT)].append(path.stem)
    return folders


def _families(stems: list[str]) -> dict[str, list[str]]:
    """Modules that share a first word (`spec`, `spec_model`, `spec_yaml`) grouped by it."""
    groups: dict[str, list[str]] = defaultdict(list)
    for stem in stems:
        groups[stem.lstrip("_").split("_")[0]].append(stem)
    return {prefix: sorted(group) for prefix, group in groups.items() if len(group) >= FAMILY}


def test_the_walk_sees_function_level_imports_and_resolves_submodules() -> None:
    modules = {"a": Path("a.py"), "a.b": Path("a/b.py"), "c": Path("c.py")}
    tree = ast.parse("def f():\n    from a import b, name\n    import c\n")
    found: set[str] = set()
    for node in ast.walk(tree):
        found |= _imported(node, modules)
    assert found == {"a.b", "a", "c"}
    packages = {"p": Path("p/__init__.py"), "p.q": Path("p/q/__init__.py"), "p.q.r": Path("r.py")}
    assert _loaded("x", "p.q.r", packages) == {"p", "p.q", "p.q.r"}  # outside: inits run first
    assert _loaded("p.q.s", "p.q.r", packages) == {"p.q.r"}  # its own packages are loaded
    assert _circles({"x": {"y"}, "y": {"z"}, "z": {"x"}, "w": {"x"}}) == [["x", "y", "z"]]
    assert _families(["spec", "spec_model", "spec_yaml", "specs", "state"]) == {
        "spec": ["spec", "spec_model", "spec_yaml"]
    }


def test_no_import_circles() -> None:
    graph = _graph()
    assert len(graph) > 300, "the walk found too few modules to be reading the tree"
    assert _circles(graph) == []


def test_tools_import_nothing_from_agent_or_evals() -> None:
    crossings = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module.split(".")[0] == "tools"
        for target in targets
        if target.split(".")[0] in ("agent", "evals")
    )
    assert crossings == []


def test_no_folder_holds_more_than_fifteen_modules() -> None:
    crowded = {
        str(folder): len(stems) for folder, stems in _folders().items() if len(stems) > MAX_MODULES
    }
    assert crowded == {}


def test_no_family_shares_a_name_prefix_in_one_folder() -> None:
    families = {
        f"{folder}/{prefix}_*": group
        for folder, stems in _folders().items()
        for prefix, group in _families(stems).items()
    }
    assert families == {}
