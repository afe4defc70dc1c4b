"""`rapport policy`: check, schema, replay (from a file and from recorded history) and diff."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis as redis_sync
from typer.testing import CliRunner

from rapport_contracts import (
    Classification,
    ClassifiedMessage,
    Decision,
    Message,
    Reason,
    Route,
    Signal,
)
from rapport_contracts.policy import Policy
from rapport_contracts.stored import deflate
from rapport_runtime.settings import RapportSettings
from rapport_tools.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

STRICT = """\
id: strict
version: "3"
rules:
  - name: any-negative
    when: {sentiment_score_at_most: -0.2}
    route: human
    queue: support
    priority: high
"""


def test_check_accepts_a_good_policy_and_names_line_and_field_of_a_bad_one(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(STRICT)
    bad.write_text('id: bad\nversion: "1"\nrules:\n  - name: x\n    route: humans\n')
    result = runner.invoke(app, ["policy", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "ok: policy strict version 3, 1 rules" in result.output
    result = runner.invoke(app, ["policy", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:5: rules.0.route: Input should be 'automation' or 'human'" in result.output


def test_the_default_policy_passes_its_own_check() -> None:
    result = runner.invoke(
        app,
        ["policy", "check", str(ROOT / "shared/runtime/src/rapport_runtime/default_policy.yaml")],
    )
    assert result.exit_code == 0, result.output


def test_published_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "policy.schema.json").read_text())
    assert published == Policy.model_json_schema(), (
        "docs/policy.schema.json is stale: uv run rapport policy schema > docs/policy.schema.json"
    )


def test_replay_a_file_in_the_eval_format(tmp_path: Path) -> None:
    policy, data = tmp_path / "strict.yaml", tmp_path / "conversations.jsonl"
    policy.write_text(STRICT)
    rows = [
        {"id": "x1", "text": "How do I update my billing address?", "context": []},
        {
            "id": "x2",
            "text": "This is terrible, my order arrived broken and nobody answers",
            "context": [],
        },
        {
            "id": "x3",
            "text": "I want to talk to a real person",
            "context": ["hi", {"author": "bot", "text": "Sorry, I didn't understand that."}],
        },
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = runner.invoke(app, ["policy", "replay", str(policy), "--input", str(data), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["candidate"]["policy"] == "strict@3"
    assert report["candidate"]["messages"] == report["baseline"]["messages"] == 3
    changed = {c["message_id"]: (c["before"], c["after"]) for c in report["changed"]}
    # The strict policy has no rule for an explicit request; the default has.
    assert changed["x3"][0].startswith("human/") and changed["x3"][1] == "automation/default"


def test_replay_refuses_a_bad_input(tmp_path: Path) -> None:
    policy, data = tmp_path / "strict.yaml", tmp_path / "broken.jsonl"
    policy.write_text(STRICT)
    data.write_text('{"id": "a", "text": "fine"}\n{not json\n')
    result = runner.invoke(app, ["policy", "replay", str(policy), "--input", str(data)])
    assert result.exit_code == 1
    assert "broken.jsonl:2: not valid JSON" in result.output


def classification(score: float, *signals: Signal) -> Classification:
    return Classification(
        sentiment="negative" if score < -0.2 else "neutral",
        sentiment_score=score,
        frustration=max(0.0, -score),
        complexity=0.1,
        complexity_level="low",
        signals=signals,
        classifier_version="t",
    )


@pytest.mark.integration
@pytest.mark.parametrize("stored_form", ["json", "deflate"])
def test_replay_from_stream_and_diff_live_against_shadow(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stored_form: str,
) -> None:
    """Entries in either stored form (RAPPORT_STORED_FORM) replay and diff the same."""
    store = deflate if stored_form == "deflate" else str
    settings = make_settings()
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("RAPPORT_PREFIX", prefix)
    now = datetime.now(UTC)
    texts = [("c1", "m1", -0.5), ("c1", "m2", -0.9), ("c2", "m1", 0.3)]
    for cid, mid, score in texts:
        message = Message(
            site="demo",
            conversation_id=cid,
            message_id=mid,
            author="customer",
            text=f"text {cid}{mid}",
            sent_at=now,
        )
        event = ClassifiedMessage(message=message, classification=classification(score))
        redis_client.xadd(f"{prefix}:classified", {"__data__": store(event.compact_json())})
    policy = tmp_path / "strict.yaml"
    policy.write_text(STRICT)
    result = runner.invoke(
        app, ["policy", "replay", str(policy), "--from-stream", "--site", "demo", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["candidate"]["messages"], report["candidate"]["escalated"]) == (3, 2)
    assert report["baseline"]["escalated"] == 1  # the default escalates only the -0.9 one

    def decision(mid: str, route: Route, rule: str, shadow: bool) -> Decision:
        return Decision(
            decision_id=f"{'s' if shadow else 'd'}{mid}",
            site="demo",
            conversation_id="c1",
            message_id=mid,
            route=route,
            queue="q" if route == "human" else None,
            priority="high",
            reasons=(Reason(rule=rule),),
            policy_id="p",
            policy_version="1",
            classifier_version="t",
            shadow=shadow,
        )

    for d in (
        decision("m1", "automation", "default", False),
        decision("m1", "human", "any-negative", True),
        decision("m2", "human", "strongly-negative", False),
        decision("m2", "human", "any-negative", True),
    ):
        redis_client.xadd(f"{prefix}:decisions", {"__data__": store(d.compact_json())})
    result = runner.invoke(app, ["policy", "diff", "--site", "demo", "--since", "1h", "--json"])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.output)
    assert (diff["live"]["escalated"], diff["shadow"]["escalated"], diff["compared"]) == (1, 2, 2)
    assert diff["changed"] == [
        {
            "conversation_id": "c1",
            "message_id": "m1",
            "live": "automation/default",
            "shadow": "human/any-negative",
        }
    ]


def test_the_documented_example_policy_is_valid(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "policy.md").read_text()
    example = text.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(example)
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "ladders for: security, support, business hours: Europe/Berlin" in result.output


def test_every_default_rule_is_documented() -> None:
    from rapport_runtime.policies import default_policy

    text = (ROOT / "docs" / "policy.md").read_text()
    section = text.split("## The default policy", 1)[1].split("## A complete example", 1)[0]
    policy = default_policy()
    assert f"version {policy.version}" in section
    for rule in policy.rules:
        assert f"`{rule.name}`" in section, f"docs/policy.md does not list rule {rule.name}"


def test_check_refuses_a_misspelled_signal_with_the_closest_name(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        STRICT.replace("{sentiment_score_at_most: -0.2}", "{any_signal: [human_requets]}")
    )
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}:5: rules.0.when.any_signal.0: unknown signal 'human_requets'; "
        "did you mean 'human_request'?" in result.output
    )


def test_check_refuses_an_unknown_condition_and_a_contradiction(tmp_path: Path) -> None:
    unknown, contradiction = tmp_path / "unknown.yaml", tmp_path / "contradiction.yaml"
    unknown.write_text(STRICT.replace("sentiment_score_at_most", "sentiment_below"))
    contradiction.write_text(
        STRICT.replace(
            "{sentiment_score_at_most: -0.2}", "{bot_failures_at_least: 3, bot_failures_at_most: 1}"
        )
    )
    result = runner.invoke(app, ["policy", "check", str(unknown), str(contradiction)])
    assert result.exit_code == 1
    assert (
        f"{unknown}:5: rules.0.when: unknown condition 'sentiment_below'; "
        "did you mean 'sentiment_score_at_most'?" in result.output
    )
    assert f"{contradiction}:5: rules.0.when: bot_failures_at_least 3" in result.output


SHADOWED = """\
id: shadowed
version: "1"
rules:
  - name: explicit
    when: {any_signal: [human_request, safety]}
    route: human
    queue: support
  - name: vip-request
    when: {any_signal: [human_request], min_signal_score: 0.9, customer: {tier: [gold]}}
    route: human
    queue: vip
  - name: catch-all
    route: automation
  - name: negative
    when: {sentiment_score_at_most: -0.5}
    route: human
    queue: support
"""


def test_check_warns_about_rules_that_can_never_fire_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "shadowed.yaml"
    path.write_text(SHADOWED)
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0, result.output  # warnings do not fail the check
    assert "ok: policy shadowed version 1, 4 rules" in result.stdout
    assert "2 warning(s)" in result.stdout
    assert (
        f"{path}:8: warning: rules.1: rule 'vip-request' can never fire: rule 'explicit' fires "
        "first on every message this one would ('explicit' is at line 4)" in result.stderr
    )
    assert (
        f"{path}:14: warning: rules.3: rule 'negative' can never fire: rule 'catch-all' has no "
        "conditions" in result.stderr
    )
    strict = runner.invoke(app, ["policy", "check", "--strict", str(path)])
    assert strict.exit_code == 1


def test_a_narrow_rule_before_a_broad_one_is_not_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "ordered.yaml"
    lines = SHADOWED.splitlines(keepends=True)
    # vip-request first, then explicit: both can fire; drop the catch-all and what follows it.
    path.write_text("".join(lines[:3] + lines[7:11] + lines[3:7]))
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_shipped_policies_have_no_warnings() -> None:
    paths = [
        ROOT / "shared/runtime/src/rapport_runtime/default_policy.yaml",
        *sorted((ROOT / "deploy/examples/policies").glob("*.yaml")),
    ]
    result = runner.invoke(app, ["policy", "check", "--strict", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_signals_lists_the_closed_set() -> None:
    from rapport_contracts.signals import SIGNALS

    result = runner.invoke(app, ["policy", "signals"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(SIGNALS)


@pytest.mark.integration
def test_replay_from_stream_skips_and_counts_unreadable_entries(
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings()
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("RAPPORT_PREFIX", prefix)
    message = Message(
        site="demo",
        conversation_id="c1",
        message_id="m1",
        author="customer",
        text="hi",
        sent_at=datetime.now(UTC),
    )
    good = ClassifiedMessage(message=message, classification=classification(-0.9))
    redis_client.xadd(f"{prefix}:classified", {"__data__": "{not json"})
    redis_client.xadd(f"{prefix}:classified", {"__data__": good.model_dump_json()})
    redis_client.xadd(f"{prefix}:classified", {"other": "no data field"})
    policy = tmp_path / "strict.yaml"
    policy.write_text(STRICT)
    result = runner.invoke(app, ["policy", "replay", str(policy), "--from-stream"])
    assert result.exit_code == 0, result.output
    assert "skipped 2 unreadable" in result.stderr
    assert f"redis: {settings.redis_url} (from REDIS_URL, prefix {prefix})" in result.stderr
    assert "Traceback" not in result.output


def test_the_default_policy_table_is_the_policy_in_order() -> None:
    import re

    from rapport_runtime.policies import default_policy

    text = (ROOT / "docs" / "policy.md").read_text()
    section = text.split("## The default policy", 1)[1].split("## A complete example", 1)[0]
    rows = re.findall(r"^\| (\d+) \| `([a-z-]+)` \| (.*?) \| (.*?) \|$", section, re.M)
    policy = default_policy()
    assert [(int(n), name) for n, name, _, _ in rows] == [
        (i, rule.name) for i, rule in enumerate(policy.rules, 1)
    ]
    for (_, _, why, _), rule in zip(rows, policy.rules, strict=True):
        assert why == rule.description, f"docs/policy.md describes {rule.name} differently"
