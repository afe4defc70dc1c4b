"""Layers point down: contracts <- runtime <- services <- operator apps <- tools. A module may
import its own layer's package and any lower layer, never a higher one, and the services never
import each other (they talk over streams). The console is an operator app, not a service: it
replays recorded history with the router's pure engine, so it sits above the services. Checked
over every import statement, including the lazy ones inside functions, so an ``import`` hidden
in a command cannot reintroduce the cycle."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS: dict[str, int] = {
    "rapport_contracts": 0,
    "rapport_runtime": 1,
    "rapport_sentiment": 2,
    "rapport_router": 2,
    "rapport_handoff": 2,
    "rapport_archive": 2,
    "rapport_console": 3,
    "rapport_tools": 4,
}
SOURCES = {
    "rapport_contracts": ROOT / "shared/contracts/src/rapport_contracts",
    "rapport_runtime": ROOT / "shared/runtime/src/rapport_runtime",
    "rapport_sentiment": ROOT / "services/sentiment/src/rapport_sentiment",
    "rapport_router": ROOT / "services/router/src/rapport_router",
    "rapport_handoff": ROOT / "services/handoff/src/rapport_handoff",
    "rapport_archive": ROOT / "services/archive/src/rapport_archive",
    "rapport_console": ROOT / "services/console/src/rapport_console",
    "rapport_tools": ROOT / "shared/tools/src/rapport_tools",
}
# What the contracts package may import besides the standard library: a third party installs
# it to read the streams and must not pull in Redis, FastStream or a web server.
CONTRACTS_THIRD_PARTY = {"pydantic", "pydantic_core", "typing_extensions"}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str, source: Path) -> list[str]:
    layer = LAYERS[package]
    bad = []
    for path in sorted(source.rglob("*.py")):
        for line, top in imports_of(path):
            where = f"{path.relative_to(source.parent)}:{line}"
            if top in LAYERS and top != package:
                if LAYERS[top] > layer:
                    bad.append(f"{where}: {package} (layer {layer}) imports higher {top}")
                elif LAYERS[top] == layer:
                    bad.append(f"{where}: {package} imports {top}, beside it in layer {layer}")
            allowed = top in LAYERS or top in sys.stdlib_module_names
            if package == "rapport_contracts" and not allowed and top not in CONTRACTS_THIRD_PARTY:
                bad.append(f"{where}: contracts import {top} (Pydantic only)")
    return bad


@pytest.mark.parametrize("package", list(LAYERS))
def test_imports_only_point_down(package: str) -> None:
    assert SOURCES[package].is_dir(), f"{SOURCES[package]} moved: update this test's map"
    assert violations(package, SOURCES[package]) == []


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from rapport_tools.cli import main\n    import redis\n")
    found = violations("rapport_contracts", tmp_path)
    assert any("imports higher rapport_tools" in v for v in found)
    assert any("contracts import redis" in v for v in found)


def test_every_source_package_is_in_a_layer() -> None:
    packages = {
        p.parent.name
        for p in [
            *ROOT.glob("shared/*/src/*/__init__.py"),
            *ROOT.glob("services/*/src/*/__init__.py"),
        ]
    }
    assert packages == set(LAYERS), "a new package needs its place in LAYERS"
