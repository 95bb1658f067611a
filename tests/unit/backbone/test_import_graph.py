"""The import graph of `shared/` and `services/` (issue #13 point 4): no cycle between modules,
the parts of `shared/` stacked so that a part lower down never imports one above it, the
domain code plain Python: nothing a domain module imports, itself or through the project's
modules it imports, is FastAPI, NATS or SQL; and no service imports another.

Parts, lowest first: the published contracts, the kernel of shared rules, the platform, the
verifiable records; the services sit on top. The graph is read from the source with `ast`, so
an import inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

LAYERS = ("shared.contracts", "shared.kernel", "shared.platform", "shared.records", "services")
"""Lowest first: each part may import only the parts before it (and itself)."""


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in ("shared", "services"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules `module` imports; `from package import submodule` names the
    submodule, any other name its module."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(_parsed(path)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + [base] * bool(base))
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def third_party(path: Path) -> set[str]:
    """The modules outside the project that the file at `path` imports (anywhere in it)."""
    found: set[str] = set()
    for node in ast.walk(_parsed(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
    return {name for name in found if name.partition(".")[0] not in ("shared", "services")}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {module: set(imported(module, path, known)) for module, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in edges:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer(module: str) -> int:
    for rank, name in enumerate(LAYERS):
        if module == name or module.startswith(name + "."):
            return rank
    return -1


def test_no_module_imports_itself_through_others() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_a_part_lower_down_never_imports_one_above_it() -> None:
    upward = {
        (module, target)
        for module, targets in graph().items()
        for target in targets
        if layer(target) > layer(module) >= 0
    }
    assert upward == set()


def service_of(module: str) -> str | None:
    """`registration` for `services.registration.api.proposals`; None outside `services`."""
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 else None


def test_a_service_imports_no_other_service() -> None:
    """Each service owns its store and talks to the others only through the published
    contracts (docs/architecture.md §1); the portal only calls their APIs. The `d73` command
    line (`services.cli`) is the one part that drives them all."""
    crossing = {
        (module, target)
        for module, targets in graph().items()
        for target in targets
        if service_of(module) not in (None, "cli")
        and service_of(target) is not None
        and service_of(target) != service_of(module)
    }
    assert crossing == set()


def test_every_module_of_shared_belongs_to_a_part() -> None:
    assert [m for m in graph() if m.startswith("shared.") and layer(m) < 0] == []


INFRASTRUCTURE = (
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "nats",
    "sqlite3",
    "psycopg",
    "psycopg_pool",
    "sqlalchemy",
    "eventsourcing.sqlite",
    "eventsourcing.postgres",
)
"""The web edge, the broker and the databases: what domain code never reaches."""


def is_domain(module: str) -> bool:
    """`services.<name>.domain` and everything under it, and a component's `domain` module
    (`services.reporting.notifications.domain`)."""
    return module.startswith("services.") and "domain" in module.split(".")


def infrastructure_reached(
    edges: dict[str, set[str]], externals: dict[str, set[str]], roots: list[str]
) -> dict[str, list[str]]:
    """For each infrastructure module reached from `roots` through the project's imports, the
    chain of project modules that leads to it (the first found, breadth first)."""
    path_to: dict[str, list[str]] = {root: [root] for root in roots}
    queue = list(roots)
    reached: dict[str, list[str]] = {}
    while queue:
        module = queue.pop(0)
        for name in sorted(externals.get(module, ())):
            if any(name == bad or name.startswith(bad + ".") for bad in INFRASTRUCTURE):
                reached.setdefault(name, path_to[module])
        for target in sorted(edges.get(module, ())):
            if target not in path_to:
                path_to[target] = [*path_to[module], target]
                queue.append(target)
    return reached


def test_domain_code_reaches_no_fastapi_nats_or_sql() -> None:
    known = modules()
    domain = sorted(module for module in known if is_domain(module))
    assert len(domain) > 30, domain  # the three services' domains and the notifications'
    externals = {module: third_party(path) for module, path in known.items()}
    assert infrastructure_reached(graph(), externals, domain) == {}


def test_the_domain_check_follows_the_project_imports_to_the_infrastructure() -> None:
    edges = {"d.domain.model": {"shared.rules"}, "shared.rules": {"shared.store"}}
    externals = {"shared.store": {"sqlite3", "json"}, "shared.rules": {"fastapi.routing"}}
    assert infrastructure_reached(edges, externals, ["d.domain.model"]) == {
        "fastapi.routing": ["d.domain.model", "shared.rules"],
        "sqlite3": ["d.domain.model", "shared.rules", "shared.store"],
    }
    assert infrastructure_reached(edges, {"shared.store": {"natsort"}}, ["d.domain.model"]) == {}
