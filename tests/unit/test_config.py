from __future__ import annotations

from pathlib import Path

import pytest

from rapport_runtime.config import ConfigError, load_sites, load_sites_file
from rapport_runtime.settings import RapportSettings


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sites.yaml"
    path.write_text(text)
    return str(path)


def test_valid_file_resolves_secrets_and_policies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SECRET", "abc")
    (tmp_path / "strict.yaml").write_text(
        "id: strict\nversion: '2'\nrules:\n  - {name: all, route: human, queue: vip}\n"
    )
    secret_file = tmp_path / "beta.secret"
    secret_file.write_text("from-a-file\n")
    sites = load_sites_file(
        write(
            tmp_path,
            f"""
sites:
  acme:
    secret: {{env: ACME_SECRET}}
    policy: strict.yaml
  beta:
    secret: {{file: {secret_file}}}
    adapter: {{type: webhook, url: "https://example.test/hook"}}
""",
        )
    )
    assert sites.sites["acme"].secret == "abc"
    assert sites.sites["acme"].policy.id == "strict"
    assert sites.sites["beta"].secret == "from-a-file"
    assert sites.sites["beta"].policy.id == "default"
    assert sites.sites["beta"].adapter.options() == {"url": "https://example.test/hook"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sites:\n  acme:\n    secret: {env: ACME_SECRET}\n    policy:\n      id: p\n"
            "      version: '1'\n      rules:\n        - name: r\n          route: human\n"
            "          queue: q\n          priority: asap\n",
            ":11: sites.acme.policy.rules.0.priority: Input should be",
        ),
        (
            "sites:\n  acme:\n    secret: {env: X, file: /y}\n",
            ":3: sites.acme.secret: give exactly one of `env`",
        ),
        ("sites:\n  acme:\n    secrets: {env: X}\n", ":3: sites.acme.secrets: Extra inputs"),
        ("sites:\n  acme:\n    secret: {env: X}\n  bad: [\n", "not valid YAML"),
        (
            "sites:\n  acme:\n    secret: {env: ACME_SECRET}\n    policy:\n      id: p\n"
            "      version: '1'\n      rules:\n        - {name: r, route: human}\n",
            "routes to a human but names no queue",
        ),
    ],
    ids=[
        "bad-priority",
        "two-secret-sources",
        "unknown-field",
        "broken-yaml",
        "human-without-queue",
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.setenv("ACME_SECRET", "abc")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_sites_file(path)
    assert path in str(info.value)
    assert expected in str(info.value)


def test_missing_secret_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_SECRET", raising=False)
    path = write(tmp_path, "sites:\n  acme:\n    secret: {env: NOPE_SECRET}\n")
    with pytest.raises(
        ConfigError, match=r"sites.yaml:3: sites.acme.secret: .*NOPE_SECRET is not set"
    ):
        load_sites_file(path)


def test_no_file_means_demo_site_in_development(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_DEMO_SECRET", "local")
    sites = load_sites(RapportSettings(config=None))
    assert sites.demo and sites.sites["demo"].secret == "local"
    assert sites.sites["demo"].adapter.type == "inbox"
    assert "local use only" in caplog.text


def test_production_refuses_unsafe_defaults() -> None:
    with pytest.raises(ValueError, match="RAPPORT_CONFIG is not set") as info:
        RapportSettings(env="production", config=None, admin_token=None)
    assert "RAPPORT_ADMIN_TOKEN" in str(info.value)


def test_the_example_sites_file_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACME_WEBHOOK_SECRET", "ACME_HANDOFF_SECRET", "DEMO_INBOX_SECRET"):
        monkeypatch.setenv(name, "x")
    root = Path(__file__).resolve().parents[2]
    sites = load_sites_file(str(root / "deploy" / "examples" / "sites.yaml"))
    assert set(sites.sites) == {"acme", "demo-inbox"}
    acme = sites.sites["acme"]
    assert (acme.policy.id, acme.policy.version) == ("acme", "4")
    assert acme.shadow_policy is not None and acme.shadow_policy.version == "5"
