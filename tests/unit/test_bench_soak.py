"""`rapport bench --soak`'s verdict (issue 14): flat only if no service's RSS keeps growing
after the warm-up and each message costs Redis the same late in the run as early on."""

from __future__ import annotations

from typing import Any

from rapport_tools.bench import soak_verdict


def samples(rss: list[float], redis_per_msg: list[float]) -> list[dict[str, Any]]:
    out, used, accepted = [], 10_000_000, 0
    for i, (mb, cost) in enumerate(zip(rss, redis_per_msg, strict=True)):
        if i:
            accepted += 1000
            used += int(1000 * cost)
        out.append(
            {
                "t_s": float(i),
                "rss_mb": {"router": mb, "sentiment": 60.0},
                "redis_used_bytes": used,
                "accepted": accepted,
            }
        )
    return out


def test_a_warm_up_then_a_plateau_is_flat() -> None:
    # The first tenth (the warm-up) grows by 20 MB; after it, a few MB of noise.
    rss = [40.0, 60.0, 61.0, 62.0, 61.5, 62.5, 61.0, 63.0, 62.0, 62.5, 63.0, 62.0]
    verdict = soak_verdict(samples(rss, [3000.0] * len(rss)))
    assert verdict["flat"], verdict
    assert verdict["redis_bytes_per_msg"]["steady"]


def test_rss_that_keeps_growing_is_not_flat() -> None:
    rss = [60.0 + 4 * i for i in range(12)]
    verdict = soak_verdict(samples(rss, [3000.0] * len(rss)))
    assert not verdict["rss"]["router"]["flat"]
    assert verdict["rss"]["sentiment"]["flat"]
    assert not verdict["flat"]


def test_redis_costing_more_per_message_later_is_not_flat() -> None:
    rss = [60.0] * 12
    verdict = soak_verdict(samples(rss, [3000.0] * 6 + [6000.0] * 6))
    assert not verdict["redis_bytes_per_msg"]["steady"]
    assert not verdict["flat"]
