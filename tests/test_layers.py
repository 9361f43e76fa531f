"""The layering of DESIGN.md, as import-linter contracts (``[tool.importlinter]`` in pyproject.toml).

``make test`` runs ``lint-imports`` before pytest; these tests say what the contracts promise:
they hold on the code, they catch an upward import even inside a function, and nothing in the
configuration lets one through.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
APPS = ("oms", "catalog", "inventory", "marketing", "orders", "payments", "reporting", "integrations")
BROKEN_IMPORT = re.compile(r"^- (?P<importer>[\w.]+) -> (?P<imported>[\w.]+) \(", re.MULTILINE)
# The import framework moves out of catalog (to oms) on a branch of its own; until it lands, its
# stock-count kind still writes inventory's tables from catalog/imports. Nothing else may break.
MOVING_AWAY = "catalog.imports"


def _lint_imports(*, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_the_code_keeps_the_contracts():
    # When: lint-imports checks the project.
    result = _lint_imports(cwd=ROOT)

    # Then: no import breaks a contract (but those of the import framework that is moving away).
    broken = [(match["importer"], match["imported"]) for match in BROKEN_IMPORT.finditer(result.stdout)]
    assert [pair for pair in broken if not pair[0].startswith(MOVING_AWAY + ".")] == [], result.stdout
    assert result.returncode == (1 if broken else 0), result.stdout + result.stderr


def test_the_contracts_are_the_layers_of_the_design_and_hide_nothing():
    contracts = {contract["id"]: contract for contract in _contracts()}

    assert contracts["apps-layers"]["layers"] == [
        "reporting | integrations", "payments", "orders", "inventory | marketing", "catalog", "oms"]
    assert contracts["orders-layers"]["containers"] == ["orders"]
    assert contracts["orders-layers"]["layers"] == ["tasks", "services", "hooks"]
    assert contracts["order-services-layers"]["layers"] == [
        "lifecycle", "entry", "repricing", "allocation", "status", "errors"]
    # Function-local and TYPE_CHECKING imports count, and no import is waved through.
    assert all("ignore_imports" not in contract and "unmatched_ignore_imports_alerting" not in contract
               for contract in contracts.values())
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert options["root_packages"] == list(APPS)
    assert "exclude_type_checking_imports" not in options


def _package(root: Path, dotted: str, source: str = "") -> None:
    path = root.joinpath(*dotted.split("."))
    path.mkdir(parents=True, exist_ok=True)
    (path / "__init__.py").write_text(source)


def _stub_project(root: Path) -> None:
    """Empty packages named as the apps, enough for the project's contracts to be checked on them."""
    for app in APPS:
        _package(root, app)
    for layer in ("tasks", "services", "hooks"):
        _package(root, f"orders.{layer}")
    for layer in ("lifecycle", "entry", "repricing", "allocation", "status", "errors"):
        _package(root, f"orders.services.{layer}")


def test_an_upward_import_inside_a_function_breaks_the_build(tmp_path):
    # Given: the project's contracts over stub apps in which oms imports orders inside a function.
    _stub_project(tmp_path)
    (tmp_path / "oms" / "views.py").write_text("def home():\n    from orders import services\n\n"
                                                "    return services\n")

    # When: lint-imports checks them.
    result = _lint_imports(cwd=tmp_path)

    # Then: it fails and names the import.
    assert result.returncode == 1, result.stdout + result.stderr
    assert [match.group("importer", "imported") for match in BROKEN_IMPORT.finditer(result.stdout)] == [
        ("oms.views", "orders.services")]


def test_two_sibling_layers_may_not_import_each_other(tmp_path):
    # Given: inventory imports marketing (siblings above the catalog).
    _stub_project(tmp_path)
    (tmp_path / "inventory" / "selectors.py").write_text("import marketing\n")

    result = _lint_imports(cwd=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert [match.group("importer", "imported") for match in BROKEN_IMPORT.finditer(result.stdout)] == [
        ("inventory.selectors", "marketing")]


def test_the_hooks_of_orders_may_not_call_its_services(tmp_path):
    # Given: orders.hooks imports orders.tasks at call time (the cycle these contracts ended).
    _stub_project(tmp_path)
    (tmp_path / "orders" / "hooks" / "__init__.py").write_text("def stock_arrived():\n"
                                                              "    from orders.tasks import x\n")

    result = _lint_imports(cwd=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert [match.group("importer", "imported") for match in BROKEN_IMPORT.finditer(result.stdout)] == [
        ("orders.hooks", "orders.tasks")]


def test_no_module_of_the_apps_imports_another_modules_private_names():
    # A leading underscore says "only for this module"; another module reaching for one (as
    # order_edit once did for order entry's _check_lines and _Prepared) gets a public name instead.
    imported = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.ImportFrom):
                    imported += [f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}"
                                 for alias in node.names
                                 if alias.name.startswith("_") and not alias.name.startswith("__")
                                 and alias.name != "_"]

    assert imported == []
