"""The package layout keeps its rules (docs: /ARCHITECTURE.md).

1. Data flows one way: a module imports only its own stage or earlier ones (imports inside
   functions count too), and there is no import circle between modules.
2. No private name (``_helper``) is imported or used across modules.
3. No module over 600 lines; no function over 80 lines unless it says ``# hot loop:`` why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dce"

# stage of each folder / top-level module; errors and version may be imported from anywhere
STAGES = {"errors": -1, "version": -1, "core": 0, "config": 1, "design": 2, "data": 3,
          "models": 4, "analysis": 5, "report": 6, "run": 7, "cli": 8, "__main__": 8, "": 8}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = module_files()
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def stage_of(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else ""
    if key not in STAGES:
        raise AssertionError(f"{module} is in no stage folder; stages: {sorted(STAGES)}")
    return STAGES[key]


def is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def imports_of(module: str):
    """(line, imported module, imported name or None) for every import in ``module``."""
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "dce":
                    yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package(module):
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "dce":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    yield node.lineno, sub, None
                else:
                    yield node.lineno, target, alias.name


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for _, target, _ in imports_of(module):
            if target != module and target in MODULES:
                edges[module].add(target)
    return edges


def test_every_import_names_a_module_of_the_package():
    missing = [f"{m}:{line} imports {t}" for m in MODULES for line, t, _ in imports_of(m)
               if t not in MODULES]
    assert not missing, "\n".join(missing)


def test_no_upward_import():
    bad = []
    for module in MODULES:
        for line, target, _ in imports_of(module):
            if target in MODULES and stage_of(target) > stage_of(module):
                bad.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports "
                           f"{target} (a later stage)")
    assert not bad, "\n".join(bad)


def test_no_import_circle():
    edges = graph()
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_name_across_modules():
    bad = []
    for module, tree in TREES.items():
        where = MODULES[module].relative_to(PACKAGE.parent)
        module_aliases = set()
        for line, target, name in imports_of(module):
            if any(private(p) for p in target.split(".")) or (name and private(name)):
                bad.append(f"{where}:{line} imports {target}{'.' + name if name else ''}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                module_aliases |= {(a.asname or a.name).split(".")[0] for a in node.names
                                   if a.name.split(".")[0] == "dce"}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dce"):
                module_aliases |= {a.asname or a.name for a in node.names
                                   if f"{node.module}.{a.name}" in MODULES}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and private(node.attr)
                    and isinstance(node.value, ast.Name) and node.value.id in module_aliases):
                bad.append(f"{where}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_and_function_sizes(module):
    path = MODULES[module]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{path.name} has {len(lines)} lines"
    long = []
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = lines[node.lineno - 1: node.end_lineno]
            if len(body) > MAX_FUNCTION_LINES and not any("# hot loop:" in b for b in body):
                long.append(f"{node.name} (line {node.lineno}, {len(body)} lines)")
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_one_version():
    import dce
    from dce.version import __version__

    assert dce.__version__ == __version__


def test_tests_and_benchmarks_import_modules_of_this_tree():
    """An editable install of another checkout can serve a module missing here; catch that."""
    root = PACKAGE.parent
    missing = []
    for path in sorted([*root.joinpath("tests").rglob("*.py"),
                        *root.joinpath("benchmarks").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module
                     and not node.level else [])
            for name in names:
                if name.split(".")[0] == "dce" and name not in MODULES:
                    missing.append(f"{path.relative_to(root)}:{node.lineno} imports {name}")
    assert not missing, "\n".join(missing)


UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}
UNSAFE_ATTRIBUTES = {("yaml", "load"), ("yaml", "unsafe_load"), ("pickle", "load"),
                     ("pickle", "loads"), ("yaml", "full_load")}


@pytest.mark.parametrize("module", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_inputs_are_never_run_as_code(module):
    """docs/reliability.md: no eval/exec anywhere, YAML only through the safe loader."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name):
            assert f.id not in UNSAFE_CALLS, f"{module}:{node.lineno}: {f.id}()"
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            assert (f.value.id, f.attr) not in UNSAFE_ATTRIBUTES, (
                f"{module}:{node.lineno}: {f.value.id}.{f.attr}()")
