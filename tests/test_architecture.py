"""The layering rules of DESIGN.md, checked on the import statements of every module.

web -> services -> store, integrations -> core; planner/core imports only the standard
library and never reads the clock or the environment.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The Google Calendar emulator is a server of its own (a Flask app that tests and the demo
# talk to over HTTP); no integration imports it, and only it may use Flask in integrations.
SERVERS = ("integrations.google.emulator",)

# package prefix -> prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "planner.core": ("planner.", "integrations", "flask", "sqlalchemy"),
    "integrations": ("planner.store", "planner.services", "planner.web", "planner.cli", "flask"),
    "planner.store": ("planner.services", "planner.web", "planner.cli", "flask"),
    "planner.services": ("planner.web", "planner.cli", "flask"),
}


def modules(package: str) -> Iterator[tuple[str, Path]]:
    """Every module below ``package`` as (dotted name, path)."""
    base = ROOT.joinpath(*package.split("."))
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        yield ".".join(p for p in rel.parts if p != "__init__"), path


def imports(path: Path, module: str) -> Iterator[str]:
    """The absolute names a module imports (relative imports resolved)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = module.rsplit(".", node.level)[0]
                yield f"{parent}.{node.module}" if node.module else parent
            else:
                yield node.module or ""


def test_core_imports_only_the_standard_library() -> None:
    found = list(modules("planner.core"))
    assert found, "planner/core has no modules"
    for module, path in found:
        for name in imports(path, module):
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or name.startswith("planner.core"), (
                f"{module} imports {name}, which is not in the standard library"
            )


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_inward(package: str) -> None:
    if not ROOT.joinpath(*package.split(".")).is_dir():
        pytest.skip(f"{package} does not exist yet")
    for module, path in modules(package):
        if module.startswith(SERVERS):
            continue
        for name in imports(path, module):
            if name.startswith(package) and not name.startswith(SERVERS):
                continue
            bad = [p for p in FORBIDDEN[package] if name == p.rstrip(".") or name.startswith(p)]
            assert not bad, f"{module} imports {name}, against the arrows of DESIGN.md"


def test_core_never_reads_the_clock_or_environment() -> None:
    banned = re.compile(
        r"\b(datetime\.(now|utcnow|today)|date\.today|os\.environ|getenv)\b"
        r"|(?<![\w.])time\.(time|monotonic)\b"
    )
    for module, path in modules("planner.core"):
        found = banned.search(path.read_text())
        assert found is None, f"{module} uses {found and found[0]}; pass it in as an argument"


def test_nothing_but_tests_and_the_command_imports_the_emulator() -> None:
    for package in ("planner", "integrations"):
        for module, path in modules(package):
            if module.startswith(SERVERS) or module == "planner.server_cli":
                continue
            for name in imports(path, module):
                assert not name.startswith(SERVERS), f"{module} imports the emulator ({name})"
