"""The apps depend one way (DESIGN.md, Part 2): inventory ← benchmarks ← benchsite, documents ←
inventory; what mixes them (the device page, charts, the dashboard) lives in benchsite.

Read from the source, so that a new import that breaks the rule fails here, not in review.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("inventory", "benchmarks", "insights", "documents", "benchsite")
# benchsite's infrastructure, which every app may use; the rest of benchsite (admin, charts,
# the dashboard, the device page, export, backup) is the composition layer above the apps
INFRASTRUCTURE = {
    "benchsite.arguments",
    "benchsite.auth",
    "benchsite.bulk_delete",
    "benchsite.exceptions",
    "benchsite.lookup",
    "benchsite.pagination",
    "benchsite.paginator",
    "benchsite.parsers",
    "benchsite.prepared",
    "benchsite.records_admin",
}
FORBIDDEN = {
    "inventory": ("benchmarks", "insights", "documents", "benchsite"),
    "documents": ("benchmarks", "insights", "benchsite"),
    "benchmarks": ("insights", "documents", "benchsite"),
    "insights": ("documents", "benchsite"),
}


def application_modules(app: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from benchsite import lookup" is benchsite.lookup, as "import benchsite.lookup"
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(app: str) -> list[str]:
    found = []
    for path in application_modules(app):
        for name in sorted(imported_modules(path)):
            top = name.split(".")[0]
            if top in FORBIDDEN[app] and not any(
                name == allowed or name.startswith(f"{allowed}.") for allowed in INFRASTRUCTURE
            ):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_only_the_apps_below_it(app):
    assert violations(app) == []


def test_the_rule_is_checked_on_real_imports(tmp_path, monkeypatch):
    # the checker itself: a forbidden import in an inventory module is reported
    module = tmp_path / "inventory" / "bad.py"
    module.parent.mkdir()
    module.write_text("from benchmarks.models import Benchmark\nfrom benchsite.lookup import x\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert violations("inventory") == ["inventory/bad.py imports benchmarks.models.Benchmark"]


def test_inventory_models_name_no_other_apps_model():
    source = (ROOT / "inventory" / "models.py").read_text()
    assert '"benchmarks.' not in source and '"documents.' not in source


def test_each_model_admin_is_registered_once():
    """No admin of ours is registered, unregistered and registered again as a subclass; the
    accounts' admins, Django's (django.contrib.auth registers them), are replaced so."""
    for app in APPS:
        for path in application_modules(app):
            for unregistered in re.findall(r"\.unregister\((\w+)\)", path.read_text()):
                assert unregistered in ("User", "Group"), (path, unregistered)


@pytest.mark.parametrize("app", APPS)
def test_no_application_module_is_over_400_lines(app):
    long = {
        str(path.relative_to(ROOT)): count
        for path in application_modules(app)
        if (count := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
