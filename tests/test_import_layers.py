"""Every import runs one way: pages → services → engine → models (issue 17).

Each product module has a layer, read from its name (`LAYERS`). An import may
go down the layers, never up; within a layer it goes down `APPS`, so the
owner apps build on the policy feature and the shared admin base, not the
reverse. No module imports itself back through others (no cycle), the audit
app is a leaf every app writes to, and the product never imports the
benchmark. Imports inside functions count: a lazy import is still a
dependency. A new module or app not placed here fails until it is placed.
"""

import ast
from functools import cache
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
NOT_PRODUCT = {"tests", "bench", "scripts", "docs", "static", "templates"}

PAGES, SERVICES, ENGINE, MODELS = 3, 2, 1, 0
LAYER_NAMES = {PAGES: "pages", SERVICES: "services", ENGINE: "engine", MODELS: "models"}

# A module's layer is that of the first of its dotted names found here, read from the end.
LAYERS = {
    # What serves a request or a command, and what wires the apps together.
    "views": PAGES,
    "admin": PAGES,
    "urls": PAGES,
    "forms": PAGES,
    "api": PAGES,
    "management": PAGES,
    "apps": PAGES,  # AppConfig.ready connects signals to services
    "wsgi": PAGES,
    "gunicorn": PAGES,
    "asgi": PAGES,
    "middleware": PAGES,
    "headers": PAGES,
    "templatetags": PAGES,
    "context_processors": PAGES,
    "charts": PAGES,
    # Writes and reads with the ORM: transactions, audit, selectors.
    "services": SERVICES,
    "selectors": SERVICES,
    "filtersets": SERVICES,
    "notifications": SERVICES,
    "scenario": SERVICES,
    "reminders": SERVICES,
    "payloads": SERVICES,
    "transport": SERVICES,
    "unused": SERVICES,
    "impact": SERVICES,
    "review_page": PAGES,
    # The access check: pure parts, loaders and their cache.
    "engine": ENGINE,
    "access": ENGINE,
    "catalogue": ENGINE,
    "credentials": ENGINE,
    "policy": ENGINE,
    "decision": ENGINE,
    "facts": ENGINE,
    "facts_batch": ENGINE,
    "facts_cache": ENGINE,
    "prepared": ENGINE,
    "refresher": ENGINE,
    "usage": ENGINE,
    "report_only": ENGINE,
    "background": ENGINE,
    "lookups": ENGINE,
    # Data: models and what they are made of; settings and the shared cache helpers.
    "models": MODELS,
    "choices": MODELS,
    "validators": MODELS,
    "signals": MODELS,
    "settings": MODELS,
    "formats": MODELS,
    "cache": MODELS,
    "client_ip": MODELS,
    "collector": MODELS,  # the cycle collector paused for a request: imports nothing of ours
    "postgresql": MODELS,  # the database backend: imports nothing of ours
}

# Within one layer an app imports only the apps after it.
APPS = ["config", "tokens", "webhooks", "enterprises", "organizations", "policies", "outbox", "audit", "tenancy"]

# Upward imports still to remove, each with why; an entry that no longer exists fails the test.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def product_modules() -> dict[str, Path]:
    """Every module of the product's packages (migrations left out), by dotted name."""
    modules = {}
    for package in sorted(ROOT.iterdir()):
        if package.name in NOT_PRODUCT or package.name.startswith(".") or not (package / "__init__.py").exists():
            continue
        for path in package.rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = product_modules()
PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def layer_of(module: str) -> int | None:
    for part in reversed(module.split(".")):
        if part in LAYERS:
            return LAYERS[part]
    return None


def resolve(importer: str, node: ast.ImportFrom | ast.Import) -> set[str]:
    """The product modules an import statement names (a package's own __init__ is left out)."""
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = importer if importer in PACKAGES else importer.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
    found = set()
    for name in candidates:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name not in PACKAGES:
            found.add(name)
    return found


@cache
def imports_of(module: str) -> frozenset[str]:
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found |= resolve(module, node)
    found.discard(module)
    return frozenset(found)


def imported_names(module: str) -> set[str]:
    """Every dotted name a module imports, product or not."""
    names = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module)
    return names


def test_every_product_module_has_a_layer():
    missing = sorted(name for name in MODULES if name not in PACKAGES and layer_of(name) is None)
    assert not missing, f"give these modules a layer in LAYERS: {missing}"


def upward_imports() -> set[tuple[str, str]]:
    return {
        (module, imported)
        for module in MODULES
        if module not in PACKAGES and layer_of(module) is not None
        for imported in imports_of(module)
        if layer_of(imported) is not None and layer_of(imported) > layer_of(module)
    }


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{module} ({LAYER_NAMES[layer_of(module)]}) imports {imported} ({LAYER_NAMES[layer_of(imported)]})"
        for module, imported in sorted(upward_imports() - KNOWN_UPWARD)
    ]
    assert not upward, "imports running up the layers:\n" + "\n".join(upward)


def test_every_app_has_a_place():
    apps = {name.split(".")[0] for name in MODULES}
    assert apps == set(APPS), f"place these apps in APPS: {sorted(apps - set(APPS))}; gone: {sorted(set(APPS) - apps)}"


def test_within_a_layer_apps_import_one_way():
    upward = [
        f"{module} imports {imported} ({LAYER_NAMES[layer_of(module)]})"
        for module in sorted(MODULES)
        if module not in PACKAGES and layer_of(module) is not None
        for imported in sorted(imports_of(module))
        if layer_of(imported) == layer_of(module)
        and module.split(".")[0] in APPS
        and imported.split(".")[0] in APPS
        and APPS.index(imported.split(".")[0]) < APPS.index(module.split(".")[0])
    ]
    assert not upward, "imports running up the apps:\n" + "\n".join(upward)


def test_every_known_upward_import_still_exists():
    gone = KNOWN_UPWARD - upward_imports()
    assert not gone, f"remove these from KNOWN_UPWARD: {sorted(gone)}"


def test_imports_run_one_way():
    """No cycle among the product's modules, even inside a layer."""
    done, path, cycles = set(), [], []

    def visit(module):
        if module in path:
            cycles.append(" → ".join([*path[path.index(module) :], module]))
            return
        if module in done:
            return
        path.append(module)
        for imported in sorted(imports_of(module)):
            visit(imported)
        path.pop()
        done.add(module)

    for module in sorted(MODULES):
        visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_audit_is_a_leaf():
    """Every app writes to the audit log; the audit app imports none of them."""
    reaching = [
        f"{module} imports {imported}"
        for module in sorted(MODULES)
        if module.split(".")[0] == "audit"
        for imported in sorted(imports_of(module))
        if imported.split(".")[0] != "audit"
    ]
    assert not reaching, reaching


def test_the_product_never_imports_the_benchmark():
    reaching = [
        module
        for module in sorted(MODULES)
        if any(name == "bench" or name.startswith("bench.") for name in imported_names(module))
    ]
    assert not reaching, reaching
