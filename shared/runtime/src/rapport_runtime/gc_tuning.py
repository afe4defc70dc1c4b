"""Python's cycle collector, tuned for a long-running service once it has started.

Why: a service's heap is mostly what it loaded at start (modules, the classifier's lexicons,
the sites' policies, compiled regexes), and CPython's full collection walks all of it. Measured
in ``rapport bench`` (docs/performance.md, 2026-12-04), a full collection took 45-90 CPU-ms in
every service, several times a minute (155-400 ms of wall time on a loaded 2-core machine):
each one stalls every message in that process, and they set the tail of accept -> decision.

So, once the service is ready: one collection, then :func:`gc.freeze` moves every object that
survived it into a generation the collector never walks (they live as long as the process
anyway; reference counting still frees them), and the young generation is collected after
``YOUNG_THRESHOLD`` net container allocations instead of 700: fewer collections, each still
short. ``RAPPORT_GC_TUNED=false`` keeps Python's defaults.

The threshold was measured, not guessed (``rapport bench --duration 5 --rounds 1 --rate 300``,
interleaved, 18:23-18:29 UTC, load 1.2-3.7): 10,000 left a few young collections of up to
40 CPU-ms in the router (a young generation that large holds whole batches) and p99 accept ->
decision 64 and 41 ms; Python's defaults 33 and 54 ms; 2,000 gave 28 and 33 ms, with no young
collection over 5 CPU-ms and the least CPU per message (docs/performance.md, 2026-12-04).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("rapport_runtime.gc_tuning")

# Net container allocations between young collections (CPython's default is 700; measured
# above against 10,000).
YOUNG_THRESHOLD = 2_000


def settle_after_start() -> None:
    """Collect once, freeze what is left, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    log.debug("gc: %d objects frozen; thresholds %s", gc.get_freeze_count(), gc.get_threshold())
