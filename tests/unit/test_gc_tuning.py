"""A service tunes its cycle collector once ready (rapport_runtime.gc_tuning); run in a child
process, because a frozen object is never collected and the test process must keep Python's
defaults."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from rapport_runtime.gc_tuning import YOUNG_THRESHOLD, settle_after_start
before = gc.get_threshold()
settle_after_start()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "young": YOUNG_THRESHOLD}))
"""


def test_settling_freezes_what_was_loaded_and_collects_young_objects_less_often() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(done.stdout)
    assert seen["before"][0] == 700  # CPython's default, what an untuned process keeps
    assert seen["after"] == [seen["young"], *seen["before"][1:]]
    assert seen["young"] > 700
    assert seen["frozen"] > 1000  # the modules and objects loaded so far


def test_an_app_in_a_test_process_does_not_tune_it() -> None:
    import gc

    from rapport_runtime.service import build_app
    from rapport_runtime.settings import RapportSettings

    async def no_stages(runtime: object) -> list[object]:
        return []

    app = build_app("probe", RapportSettings(), no_stages)  # type: ignore[arg-type]
    assert app.state.settle_gc is False  # only serve() sets it, from RAPPORT_GC_TUNED
    assert gc.get_freeze_count() == 0
