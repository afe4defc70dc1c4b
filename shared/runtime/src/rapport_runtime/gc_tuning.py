"""Python's cycle collector, tuned for a long-running service once it has started.

Why: a service's heap is mostly what it loaded at start (modules, the classifier's lexicons,
the sites' policies, compiled regexes), and CPython's full collection walks all of it. Measured
in ``rapport bench`` at ~180 msg/s on a loaded 2-core machine (docs/performance.md,
2026-12-04), a full collection stopped the router for 159-400 ms, the handoff stage for
127-277 ms and the sentiment stage for 167-206 ms, every few seconds: each one is a stall of
every message in that process, and they set the tail of accept -> decision.

So, once the service is ready: one collection, then :func:`gc.freeze` moves every object that
survived it into a generation the collector never walks (they live as long as the process
anyway; reference counting still frees them), and the young generation is collected after
``YOUNG_THRESHOLD`` container allocations instead of 700, so that the objects of a batch in
flight (a few thousand per batch of 100 messages) mostly die by reference count before a
collection looks at them. ``RAPPORT_GC_TUNED=false`` keeps Python's defaults.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("rapport_runtime.gc_tuning")

# Net container allocations between young collections (CPython's default is 700). A young
# collection walks at most about this many objects: ~1-2 ms at 10,000 on these machines.
YOUNG_THRESHOLD = 10_000


def settle_after_start() -> None:
    """Collect once, freeze what is left, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    log.debug("gc: %d objects frozen; thresholds %s", gc.get_freeze_count(), gc.get_threshold())
