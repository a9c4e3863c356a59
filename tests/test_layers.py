"""The layers of STYLE.md hold: the domain (``csp/models/``, ``access.py``, ``quarters.py``) never
imports the layers above it (``csp/reports/``, ``csp/views/``, ``csp/tasks.py``), at the top of a
module or inside a function, and no module of ours imports another of ours inside a function
(the sign of a circle dodged rather than removed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CSP = Path(__file__).resolve().parent.parent / "csp"
LOWER = sorted([*(CSP / "models").glob("*.py"), CSP / "access.py", CSP / "quarters.py"])
UPPER = ("csp.reports", "csp.views", "csp.tasks")
# Modules other engineers own at the moment; their function-level imports are not ours to move.
NOT_OURS = {"importers", "migrations"}
# AppConfig.ready, Django's one place for connecting receivers once the models are loaded: an
# import there waits for the app registry (csp.caching's write watcher), it dodges no circle.
APP_CONFIG = CSP / "apps.py"


def imports(path: Path) -> list[tuple[str, bool]]:
    """Every module ``path`` imports, with whether the import is inside a function."""
    tree = ast.parse(path.read_text())
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inner))
            visit(child, inner)

    visit(tree, False)
    return found


@pytest.mark.parametrize("path", LOWER, ids=lambda p: str(p.relative_to(CSP)))
def test_the_domain_never_imports_the_layers_above(path):
    wrong = [name for name, _ in imports(path) if name.startswith(UPPER)]
    assert not wrong, f"{path.name} imports {wrong}"


def test_no_module_of_ours_imports_another_inside_a_function():
    dodged = [
        f"{path.relative_to(CSP)}: {name}"
        for path in CSP.rglob("*.py")
        if not NOT_OURS & set(path.relative_to(CSP).parts) and path != APP_CONFIG
        for name, in_function in imports(path)
        if in_function
        and name.split(".")[0] == "csp"
        # AppConfig.ready() is where Django has an app import what needs its models (the
        # cache's write watcher, connected to every connection): no circle is dodged there.
        and path.relative_to(CSP) != Path("apps.py")
    ]
    assert not dodged
