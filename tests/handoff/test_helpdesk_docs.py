"""Each helpdesk has its page, and the ``sites.yaml`` example on it is a valid configuration
for that adapter (so the docs cannot drift from the options)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rapport_handoff.adapters import ADAPTERS, adapter_class
from rapport_runtime.config import load_sites_file

DOCS = Path(__file__).resolve().parents[2] / "docs" / "helpdesks"
HELPDESKS = sorted(set(ADAPTERS) - {"webhook", "inbox"})
SECTIONS = (
    "## 1. Configure the webhook",
    "## 2. API credentials and permissions",
    "## 3. Priority mapping",
    "## 4. `sites.yaml`",
    "## 5. What the agent sees",
)


@pytest.mark.parametrize("name", HELPDESKS)
def test_the_page_exists_with_every_section(name: str) -> None:
    text = (DOCS / f"{name}.md").read_text("utf-8")
    for section in SECTIONS:
        assert section in text, section
    assert f"/webhooks/{name}" in text
    assert f"[{name}.md]({name}.md)" in (DOCS / "README.md").read_text("utf-8")


@pytest.mark.parametrize("name", HELPDESKS)
def test_the_sites_yaml_example_is_valid(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (DOCS / f"{name}.md").read_text("utf-8")
    [example] = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert "webhook_secret:" in example, "every example keeps the webhook key apart"
    for env in re.findall(r"\{env: ([A-Z0-9_]+)\}", example):
        monkeypatch.setenv(env, f"value-of-{env}")  # distinct: a shared token is refused
    secret = tmp_path / "secret"
    secret.write_text("value-from-a-file")
    example = re.sub(r"\{file: [^}]+\}", f"{{file: {secret}}}", example)
    config = tmp_path / "sites.yaml"
    config.write_text(example)
    sites = load_sites_file(str(config))
    [site] = sites.sites.values()
    assert site.adapter.type == name
    adapter_class(name).check(site)
