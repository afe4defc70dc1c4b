"""Docs that describe the shipped behaviour say what ships (issue 13, item 8): the default
policy's path, version and rule order in docs/classifier.md, and the commands the docs tell a
user to type exist (`rapport policy --help` once offered a `publish` that did not)."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from rapport_runtime.policies import default_policy
from rapport_tools.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_the_classifier_page_names_the_shipped_default_policy() -> None:
    text = (ROOT / "docs/classifier.md").read_text("utf-8")
    section = text.split("## The default policy\n", 1)[1].split("\n## ", 1)[0]
    path, version = re.findall(r"`([\w/]+default_policy\.yaml)` \(version (\w+)\)", section)[0]
    assert (ROOT / path).is_file(), path
    policy = default_policy()
    assert version == policy.version
    order = section.split("first match wins:", 1)[1].split(". ", 1)[0]
    assert re.findall(r"`([\w-]+)`", order) == [r.name for r in policy.rules]


def _commands() -> tuple[set[str], set[str]]:
    """Every command path, and the groups that take only sub-commands (not `eval FILE...`)."""
    names: set[str] = set()
    strict: set[str] = set()

    def walk(command: object, path: str) -> None:
        names.add(path)
        subs = getattr(command, "commands", {})
        if subs and not getattr(command, "invoke_without_command", False):
            strict.add(path)
        for name, sub in subs.items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return names, strict


def test_every_rapport_command_in_the_docs_exists() -> None:
    known, groups = _commands()
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    typed = re.compile(r"(?:uv run )?rapport ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)")
    for page in pages:
        for block in re.findall(r"```(?:bash|console|sh|shell)?\n(.*?)```", page.read_text(), re.S):
            for line in block.splitlines():
                line = line.removeprefix("$ ").strip()
                if not line.startswith(("uv run rapport ", "rapport ")):
                    continue
                words = typed.match(line)
                assert words, line
                first, _, second = words.group(1).partition(" ")
                assert first in known, f"{page.name}: `rapport {first}` does not exist: {line}"
                if second and first in groups and f"{first} {second}" not in known:
                    raise AssertionError(f"{page.name}: no `rapport {first} {second}`: {line}")


def test_the_example_sites_file_says_to_check_it_with_config_check() -> None:
    text = (ROOT / "deploy/examples/sites.yaml").read_text("utf-8")
    assert "uv run rapport config check deploy/examples/sites.yaml" in text
    assert "rapport-router" not in text  # starting a service is not how to validate a file
