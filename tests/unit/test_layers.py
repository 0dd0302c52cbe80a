"""The house rules, read from the source: the dependency rule between the layers, no import
cycles, and one composition root (docs/architecture.md)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("bot", "commands", "domain", "services", "db")
SLACK = ("slack_bolt", "slack_sdk")
# What may import what of ours (besides itself).
ALLOWED = {
    "domain": set(),
    "db": {"domain"},
    "services": {"domain", "db"},
    "commands": {"bot", "domain", "services", "db"},
    "bot": {"commands", "domain", "services", "db"},
}
# Calls that assemble the running program; only the composition root makes them.
ASSEMBLY_CALLS = {"make_engine", "make_session_factory", "Runtime", "create_app", "build_wsgi_app", "Narrators", "SlackClients", "WorkQueue"}
ASSEMBLY_HOMES = {"bot/bootstrap.py", "db/session.py", "db/migrations.py"}


@cache
def modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module name an import statement in `path` names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = ".".join(path.relative_to(ROOT).parts[: -node.level])
                base = f"{package}.{base}" if base else package
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def ours(name: str) -> str | None:
    """The module of ours `name` refers to (a name imported from a module counts as that module)."""
    known = modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def layer_of(name: str) -> str:
    return name.split(".")[0]


def test_each_layer_imports_only_the_layers_below_it():
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules().items()
        for target in filter(None, map(ours, imported(path)))
        if layer_of(target) != layer_of(name) and layer_of(target) not in ALLOWED[layer_of(name)]
    )
    assert wrong == []


def test_only_bot_and_commands_speak_slack():
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules().items() if layer_of(name) not in ("bot", "commands")
        for target in imported(path) if target.split(".")[0] in SLACK
    )
    assert wrong == []


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours its top-level imports run (a package's __init__ included)."""
    return {name: {ours(target) for target in imported(path, top_level_only=True)} - {None, name} for name, path in modules().items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another in a ring (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in graph.get(name, ()):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            group = [stack.pop()]
            while group[-1] != name:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_no_import_cycles_among_our_modules_at_import_time():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_ring_and_nothing_else():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def calls_in(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            function = node.func
            names.add(function.id if isinstance(function, ast.Name) else getattr(function, "attr", ""))
    return names


def test_only_the_composition_root_assembles_the_program():
    builders = {
        str(path.relative_to(ROOT)): sorted(calls_in(path) & ASSEMBLY_CALLS)
        for path in modules().values()
        if str(path.relative_to(ROOT)) not in ASSEMBLY_HOMES and calls_in(path) & ASSEMBLY_CALLS
    }
    assert builders == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [("from domain.numbers import parse_quantity", {"domain.numbers", "domain.numbers.parse_quantity"}),
     ("import slack_sdk.errors", {"slack_sdk.errors"})],
)
def test_the_reader_sees_both_kinds_of_import(tmp_path, source, expected):
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    assert imported(probe) == expected
