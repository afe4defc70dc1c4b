"""`rapport config check sites.yaml`: every problem at once, each with file:line:field, without
starting a service."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport_tools.cli import app

ROOT = Path(__file__).resolve().parents[2]

BROKEN = """\
sites:
  acme:
    secret: {env: CHECK_ACME_SECRET}
    adapter:
      type: zendesk
      subdomain: acme
    policy: policies/missing.yaml
  beta:
    secret: {file: /nonexistent/beta.secret}
    adapter: {type: webhook}
    policy: policies/typo.yaml
  gamma:
    secret: {env: CHECK_GAMMA_SECRET}
    adapter: {type: inbox}
    policy:
      id: g
      version: "1"
      rules:
        - name: r
          route: human
          queue: q
          priority: asap
"""

TYPO = """\
id: typo
version: "1"
rules:
  - name: everything
    route: human
    queue: support
  - name: wants-a-person
    when: {any_signal: [human_requets]}
    route: human
    queue: support
"""


def test_every_problem_is_reported_at_once_with_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHECK_ACME_SECRET", raising=False)
    monkeypatch.setenv("CHECK_GAMMA_SECRET", "set")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "typo.yaml").write_text(TYPO)
    sites = tmp_path / "sites.yaml"
    sites.write_text(BROKEN)
    result = CliRunner().invoke(app, ["config", "check", str(sites)])
    assert result.exit_code == 1, result.output
    err = result.stderr
    expected = [
        # the schema error of gamma's inline policy
        f"{sites}:22: sites.gamma.policy.rules.0.priority: Input should be",
        # acme: an unset variable, a missing policy file, the zendesk adapter's options
        f"{sites}:3: sites.acme.secret: environment variable CHECK_ACME_SECRET is not set",
        f"{sites}:7: sites.acme.policy: policy file {tmp_path / 'policies/missing.yaml'} "
        "does not exist",
        "adapter.email: Field required",
        # beta: an unreadable secret file, a webhook without url, a policy with a typo
        f"{sites}:9: sites.beta.secret: cannot read secret file /nonexistent/beta.secret",
        "adapter.url: Field required",
        f"{tmp_path / 'policies/typo.yaml'}:8: rules.1.when.any_signal.0: unknown signal "
        "'human_requets'; did you mean 'human_request'?",
    ]
    for line in expected:
        assert line in err, f"missing: {line}\n--- got:\n{err}"
    assert "Traceback" not in result.output
    assert err.strip().splitlines()[-1].startswith(f"error: {sites}: ")


def test_a_good_file_passes_and_warns_about_rules_that_can_never_fire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECK_ACME_SECRET", "s3cret")
    (tmp_path / "catch-all-first.yaml").write_text(TYPO.replace("human_requets", "human_request"))
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        "sites:\n  acme:\n    secret: {env: CHECK_ACME_SECRET}\n    policy: catch-all-first.yaml\n"
    )
    result = CliRunner().invoke(app, ["config", "check", str(sites)])
    assert result.exit_code == 0, result.output
    assert f"{sites}: ok: 1 site(s): acme" in result.stdout
    assert (
        f"{tmp_path / 'catch-all-first.yaml'}:7: warning: rules.1: rule 'wants-a-person' can "
        "never fire" in result.stderr
    )


def test_the_example_sites_file_checks_once_its_variables_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = ROOT / "deploy/examples/sites.yaml"
    for name in ("ACME_WEBHOOK_SECRET", "ACME_HANDOFF_SECRET", "DEMO_INBOX_SECRET"):
        monkeypatch.delenv(name, raising=False)
    missing = CliRunner().invoke(app, ["config", "check", str(example)])
    assert missing.exit_code == 1
    assert "ACME_WEBHOOK_SECRET is not set" in missing.stderr
    assert "ACME_HANDOFF_SECRET is not set" in missing.stderr
    for name in ("ACME_WEBHOOK_SECRET", "ACME_HANDOFF_SECRET", "DEMO_INBOX_SECRET"):
        monkeypatch.setenv(name, "x" * 20)
    ok = CliRunner().invoke(app, ["config", "check", str(example)])
    assert ok.exit_code == 0, ok.output
    assert "ok: 2 site(s): acme, demo-inbox" in ok.stdout


def test_rapport_config_is_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  acme:\n    secret: {env: CHECK_ACME_SECRET}\n")
    monkeypatch.setenv("CHECK_ACME_SECRET", "s3cret")
    monkeypatch.setenv("RAPPORT_CONFIG", str(sites))
    result = CliRunner().invoke(app, ["config", "check"])
    assert result.exit_code == 0, result.output
