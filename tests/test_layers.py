"""The import graph keeps the layers of DESIGN.md section 1, and has no cycles.

Direction, strictly one way: ``webmail, webadmin, sidecars -> mailflow -> filters -> storage``. Every
layer may use the base modules of ``fieldpost`` (configuration, logging, the run-state files, the TLS
pair); the command and supervisor shell of ``fieldpost`` sits on top and reaches the services only as
processes, never by importing them. No protocol server imports another (``sidecars/net`` and
``sidecars/sasl.py`` are the shared machinery), no blueprint imports a sidecar, no SQL (SQLAlchemy,
Alembic, a database driver) outside ``storage/``, no Flask outside the two web packages.

How it is checked: every module of the product is parsed with ``ast`` (nothing is imported, so the check
needs no service and sees imports inside functions, which is where cycles like to hide). Granularity:
modules. A cycle between two modules of one package is reported as well as one between packages
(those are wrong directions anyway). Imports under ``if TYPE_CHECKING:`` never run, so they count for
the direction rules but not for cycles.

Storage is also the only place that opens a transaction: a module outside it that reaches into
``store.db`` (``store.db.read()`` / ``store.db.write()``, then passing the Connection into storage) is
reported too, as issue 10's "Done when" asks.

Known violations that other work is removing are listed below with the reason; each entry must still
occur (an entry that no longer does fails ``test_known_lists_are_accurate``, so delete it): the lists
only shrink. A new violation is never fixed by adding it here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Top-level packages and modules of the product, each in one layer (see ``layer_of``).
PACKAGES = ("fieldpost", "storage", "filters", "mailflow", "sidecars", "webmail", "webadmin")
TOP_MODULES = ("wsgi",)
#: Folders at the top that are not part of the product.
NOT_PRODUCT = frozenset({"tests", "bench", "docs", "locales", "skins", "spec", "data", "build"})

#: ``fieldpost`` modules every layer may import: nothing in them knows about services.
#: (``connection_counts``: the pool's shared connection table, made by the supervisor, used by sidecars.net;
#: ``control_client``: asks the supervisor to start/stop a service, for WebAdmin and the CLI service;
#: ``log_reader``: reads the service logs from the end, for WebAdmin's log viewer;
#: ``mailfiles``: mbox and Maildir file formats, for ``fieldpost import/export`` and WebAdmin's.)
FIELDPOST_BASE = frozenset(
    {
        "fieldpost",
        "fieldpost.config",
        "fieldpost.connection_counts",
        "fieldpost.control_client",
        "fieldpost.log_rules",
        "fieldpost.log_reader",
        "fieldpost.logs",
        "fieldpost.mailfiles",
        "fieldpost.runstate",
        "fieldpost.tls",
    }
)

#: Layer -> the other layers it may import.
ALLOWED = {
    "base": frozenset(),
    "storage": frozenset({"base"}),
    "filters": frozenset({"storage", "base"}),
    "mailflow": frozenset({"filters", "storage", "base"}),
    "sidecars": frozenset({"mailflow", "filters", "storage", "base"}),
    "webmail": frozenset({"mailflow", "filters", "storage", "base"}),
    "webadmin": frozenset({"mailflow", "filters", "storage", "base"}),
    "wsgi": frozenset({"webmail", "webadmin", "mailflow", "filters", "storage", "base"}),
    "shell": frozenset({"mailflow", "filters", "storage", "base"}),
}

#: ``sidecars`` parts that are shared machinery, not protocol servers.
SHARED_SIDECARS = frozenset({"net", "sasl"})
#: (importing server, imported server) pairs that are not one protocol server using another.
SERVER_PAIRS = {
    ("processing", "relay"): "relay is the processing service's outbound SMTP client, not a listening server",
}

#: Third-party (and standard library) top-level modules only some layers may import.
SQL_MODULES = frozenset({"sqlalchemy", "alembic", "psycopg", "psycopg2", "psycopg_pool", "sqlite3"})
WEB_MODULES = frozenset({"flask", "flask_login", "flask_wtf", "flask_babel", "werkzeug"})
SQL_LAYERS = frozenset({"storage"})
WEB_LAYERS = frozenset({"webmail", "webadmin", "wsgi"})

# -- known violations: each entry says who is moving it; remove an entry once it no longer occurs -----------

#: (importer, imported) module pairs breaking a direction or isolation rule.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

#: Modules outside storage that open storage transactions themselves (``store.db.read()``/``write()``) and
#: hand the Connection to storage functions; each moves onto the user-bound facade (``store.for_user``),
#: the admin facade or a storage method that opens its own transaction (issue 10, "The API").
KNOWN_TRANSACTION_OPENERS: frozenset[str] = frozenset()

#: (importer, imported) module pairs that close an import cycle; without them the graph has none.
KNOWN_CYCLE_EDGES: dict[tuple[str, str], str] = {}


# -- the graph ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    target: str  # the imported module (ours: the module the name resolves to; others: as written)
    internal: bool  # one of our modules
    type_checking: bool  # under ``if TYPE_CHECKING:``: never runs
    where: str  # path:line, for the report


def discover(root: Path) -> dict[str, Path]:
    """Every module of the product: dotted name -> file."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    for name in TOP_MODULES:
        if (root / f"{name}.py").exists():
            found[name] = root / f"{name}.py"
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``) blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for statement in node.body:
                inside.update(id(n) for n in ast.walk(statement))
    return inside


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """Our module a dotted name falls in (``storage.errors.NotFound`` -> ``storage.errors``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path], root: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    guarded = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        names: list[str]
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # ``from pkg import sub`` imports the submodule; ``from pkg import name`` the package itself
            names = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
        else:
            continue
        where = f"{path.relative_to(root)}:{node.lineno}"
        for name in names:
            ours = _resolve(name, modules)
            if ours is None:
                yield Import(module, name.partition(".")[0], False, id(node) in guarded, where)
            elif ours != module:
                yield Import(module, ours, True, id(node) in guarded, where)


def graph(root: Path) -> tuple[dict[str, Path], list[Import]]:
    modules = discover(root)
    edges = [imp for module, path in modules.items() for imp in imports_of(module, path, modules, root)]
    return modules, edges


# -- the rules ---------------------------------------------------------------------------------------------


def layer_of(module: str) -> str:
    top = module.partition(".")[0]
    if top == "fieldpost":
        return "base" if module in FIELDPOST_BASE else "shell"
    return top


def _server_of(module: str) -> str | None:
    """The protocol server (``sidecars/<x>``) a module belongs to; None for shared machinery."""
    parts = module.split(".")
    if parts[0] != "sidecars" or len(parts) < 2 or parts[1] in SHARED_SIDECARS:
        return None
    return parts[1]


def rule_broken(imp: Import) -> str | None:
    """Which rule an import breaks, if any."""
    layer = layer_of(imp.importer)
    if not imp.internal:
        if imp.target in SQL_MODULES and layer not in SQL_LAYERS:
            return f"SQL ({imp.target}) outside storage/"
        if imp.target in WEB_MODULES and layer not in WEB_LAYERS:
            return f"Flask ({imp.target}) outside webmail/ and webadmin/"
        return None
    target_layer = layer_of(imp.target)
    if target_layer != layer and target_layer not in ALLOWED[layer]:
        return f"{layer} may not import {target_layer}"
    if layer == "base" and target_layer == "base":
        return None
    if layer == "sidecars":
        mine, theirs = _server_of(imp.importer), _server_of(imp.target)
        if mine is None and theirs is not None:
            return f"shared sidecar machinery may not import the protocol server {theirs}"
        if mine and theirs and mine != theirs and (mine, theirs) not in SERVER_PAIRS:
            if imp.importer == f"sidecars.{mine}.__main__":
                return None  # a service's entry point assembles the endpoints of every server it runs
            return f"protocol server {mine} may not import protocol server {theirs}"
    return None


def violations(edges: Iterable[Import]) -> dict[tuple[str, str], list[str]]:
    """(importer, target) -> ["path:line: rule", ...] for every import that breaks a rule."""
    found: dict[tuple[str, str], list[str]] = {}
    for imp in edges:
        rule = rule_broken(imp)
        if rule is not None:
            found.setdefault((imp.importer, imp.target), []).append(f"{imp.where}: {rule}")
    return found


def cycles(edges: Iterable[Import], leave_out: Iterable[tuple[str, str]] = ()) -> list[list[str]]:
    """The import cycles (strongly connected components of more than one module) of the runtime graph."""
    skipped = set(leave_out)
    succ: dict[str, set[str]] = {}
    for imp in edges:
        if imp.internal and not imp.type_checking and (imp.importer, imp.target) not in skipped:
            succ.setdefault(imp.importer, set()).add(imp.target)
            succ.setdefault(imp.target, set())
    # Tarjan's algorithm, iterative (the graph is a few hundred modules deep at most, but no recursion limit)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(succ):
        if start in index:
            continue
        work = [(start, iter(sorted(succ[start])))]
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
                    work.append((child, iter(sorted(succ[child]))))
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
                    found.append(sorted(component))
    return found


def transactions_opened(root: Path, modules: dict[str, Path]) -> dict[str, list[str]]:
    """Module outside storage -> ["path:line", ...] where it reaches into ``<something>.db.<...>``."""
    found: dict[str, list[str]] = {}
    for module, path in modules.items():
        if layer_of(module) == "storage":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "db"
            ):
                found.setdefault(module, []).append(
                    f"{path.relative_to(root)}:{node.lineno}: .db.{node.attr}"
                )
    return found


def _report(title: str, lines: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"  {line}" for line in lines)


# -- the tests on the product ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def product() -> tuple[dict[str, Path], list[Import]]:
    return graph(ROOT)


def test_every_top_level_package_has_a_layer() -> None:
    """A new top-level package must be placed in the layers here (and in DESIGN.md) before it is used."""
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - NOT_PRODUCT
    assert packages <= set(PACKAGES), f"not placed in a layer: {sorted(packages - set(PACKAGES))}"


def test_imports_follow_the_layers(product: tuple[dict[str, Path], list[Import]]) -> None:
    _modules, edges = product
    new = {pair: where for pair, where in violations(edges).items() if pair not in KNOWN_VIOLATIONS}
    assert not new, _report(
        "imports against DESIGN.md section 1:", (w for pair in sorted(new) for w in new[pair])
    )


def test_no_import_cycles(product: tuple[dict[str, Path], list[Import]]) -> None:
    _modules, edges = product
    found = cycles(edges, leave_out=KNOWN_CYCLE_EDGES)
    runtime = sorted({(i.importer, i.target, i.where) for i in edges if i.internal and not i.type_checking})
    lines = [
        f"{', '.join(component)}: "
        + "; ".join(f"{a} -> {b} ({where})" for a, b, where in runtime if a in component and b in component)
        for component in found
    ]
    assert not found, _report("import cycles (each line: modules on one cycle, then their imports):", lines)


def test_no_transactions_outside_storage(product: tuple[dict[str, Path], list[Import]]) -> None:
    modules, _edges = product
    found = transactions_opened(ROOT, modules)
    new = {m: w for m, w in found.items() if m not in KNOWN_TRANSACTION_OPENERS}
    assert not new, _report(
        "transactions opened outside storage (ask storage to do it, through the facade):",
        (line for m in sorted(new) for line in new[m]),
    )


def test_known_lists_are_accurate(product: tuple[dict[str, Path], list[Import]]) -> None:
    """An allow-list entry that no longer occurs must be deleted, so the lists only shrink."""
    modules, edges = product
    broken = violations(edges)
    stale = [
        f"KNOWN_VIOLATIONS {pair}: no longer imported that way"
        for pair in KNOWN_VIOLATIONS
        if pair not in broken
    ]
    in_cycle = {m for component in cycles(edges) for m in component}
    runtime = {(i.importer, i.target) for i in edges if i.internal and not i.type_checking}
    stale += [
        f"KNOWN_CYCLE_EDGES {pair}: no longer an import on a cycle"
        for pair in KNOWN_CYCLE_EDGES
        if pair not in runtime or not {pair[0], pair[1]} <= in_cycle
    ]
    opened = transactions_opened(ROOT, modules)
    stale += [
        f"KNOWN_TRANSACTION_OPENERS {m!r}: opens no transaction any more"
        for m in sorted(KNOWN_TRANSACTION_OPENERS - set(opened))
    ]
    assert not stale, _report("stale allow-list entries (delete them):", stale)


# -- the checker itself catches what it should -------------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


def test_checker_finds_wrong_directions_sql_flask_and_server_to_server(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "storage/mail.py": "import sqlalchemy\nfrom filters import chain\n",
            "filters/chain.py": "def run():\n    from sidecars.smtp import session\n",
            "sidecars/smtp/__init__.py": "",
            "sidecars/smtp/session.py": "from sidecars.imap.session import X\nfrom sidecars.net import tls\n",
            "sidecars/imap/__init__.py": "",
            "sidecars/imap/session.py": "import flask\nX = 1\n",
            "sidecars/net/__init__.py": "",
            "sidecars/net/tls.py": "from ..smtp import session\nfrom fieldpost import config\n",
            "fieldpost/config.py": "",
            "fieldpost/cli.py": "from fieldpost import config\nfrom sidecars.imap import session\n",
            "webmail/views.py": "import flask\nfrom storage import mail\nfrom sidecars.smtp import session\n",
        },
    )
    _modules, edges = graph(root)
    found = violations(edges)
    assert set(found) == {
        ("storage.mail", "filters.chain"),
        ("filters.chain", "sidecars.smtp.session"),
        ("sidecars.smtp.session", "sidecars.imap.session"),
        ("sidecars.imap.session", "flask"),
        ("sidecars.net.tls", "sidecars.smtp.session"),
        ("fieldpost.cli", "sidecars.imap.session"),
        ("webmail.views", "sidecars.smtp.session"),
    }
    assert found[("sidecars.net.tls", "sidecars.smtp.session")] == [
        "sidecars/net/tls.py:1: shared sidecar machinery may not import the protocol server smtp"
    ]


def test_checker_finds_cycles_also_through_function_level_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "filters/chain.py": "def run():\n    from filters import levels\n",
            "filters/levels.py": "from filters.chain import run\n",
            "storage/store.py": "from storage import mail\n",
            "storage/mail.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from storage.store import Store\n",
        },
    )
    _modules, edges = graph(root)
    assert cycles(edges) == [["filters.chain", "filters.levels"]]
    assert cycles(edges, leave_out=[("filters.levels", "filters.chain")]) == []


def test_checker_finds_transactions_opened_outside_storage(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "storage/store.py": "def f(self):\n    with self.db.write() as conn:\n        pass\n",
            "mailflow/queue_ops.py": "def f(store):\n    with store.db.read() as conn:\n        return conn\n",
            "mailflow/fine.py": "def f(store):\n    return store.queue.list()\n",
        },
    )
    modules, _edges = graph(root)
    assert transactions_opened(root, modules) == {"mailflow.queue_ops": ["mailflow/queue_ops.py:2: .db.read"]}
