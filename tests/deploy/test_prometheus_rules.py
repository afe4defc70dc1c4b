"""The alert rules under ``promtool``: they load, their unit tests (deploy/prometheus/
alerts.test.yaml: a failing helpdesk fires its alert, a quiet system fires none, DLQ growth,
lag, pending, a service down) pass, every alert is exercised both ways, and a broken rule makes
those unit tests fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import DEPLOY, exported_metrics, require_binary, selectors

RULES = DEPLOY / "prometheus" / "alerts.yaml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts.test.yaml"


@pytest.fixture(scope="module")
def promtool() -> str:
    return require_binary("promtool", "prometheus")


def run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_the_rules_load(promtool: str) -> None:
    result = run(promtool, "check", "rules", str(RULES), cwd=RULES.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


def test_the_rule_unit_tests_pass(promtool: str) -> None:
    result = run(promtool, "test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    fired = {c["alertname"] for c in cases if c.get("exp_alerts")}
    quiet = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    alerts = {rule["alert"] for rule in rules()}
    assert alerts == fired, f"alerts never tested firing: {alerts - fired}"
    assert alerts == quiet, f"alerts never tested staying quiet: {alerts - quiet}"


def test_the_rules_use_metrics_the_services_export() -> None:
    exported = exported_metrics()
    for rule in rules():
        used = selectors(rule["expr"])
        assert used, rule["alert"]
        for name, labels in used:
            assert name in exported, f"{rule['alert']}: {name} is not exported"
            unknown = labels - exported[name] - {"job", "instance"}
            assert not unknown, f"{rule['alert']}: {name} has no label {sorted(unknown)}"


# Each mutation is a plausible regression; the unit tests must catch every one of them.
MUTATIONS = {
    # The classic counter bug: increase() alone misses the failure that creates the series.
    "first failure after a restart": (
        "          or\n"
        "          sum by (site, adapter) (\n"
        '            rapport_handoffs_total{status="failed"}\n'
        '            unless rapport_handoffs_total{status="failed"} offset 15m\n'
        "          ) > 0\n",
        "\n",
    ),
    "handoff alert on the wrong status": ('{status="failed"}[15m]', '{status="delivered"}[15m]'),
    "dead letters of the default prefix only": ('{stream=~".+:dlq"}', '{stream="rapport:dlq"}'),
    "lag alert without its hold": ("        for: 10m\n        labels: {severity: warning}\n", ""),
    "a service down never noticed": ('up{job=~"rapport.*"} == 0', 'up{job="rapport"} == 0'),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_broken_rule_fails_the_unit_tests(promtool: str, tmp_path: Path, mutation: str) -> None:
    old, new = MUTATIONS[mutation]
    text = RULES.read_text()
    assert old in text, f"the mutation {mutation!r} no longer applies: update it"
    (tmp_path / RULES.name).write_text(text.replace(old, new, 1))
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    result = run(promtool, "test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert result.returncode != 0, f"{mutation}: the unit tests still pass\n{result.stdout}"
    assert "FAILED" in result.stdout + result.stderr
