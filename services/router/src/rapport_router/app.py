"""The router service: per-conversation state plus the site's policy gives a decision for
every customer message; escalations become handoff packets, and the bot is told when to answer,
hold and resume.

Where things live: ``state`` (the stored conversation), ``decision`` (the pure step: state +
message + policy -> plan), ``followup`` (timers and handoff results, pure), ``engine``
(policy evaluation), ``ownership`` (who owns the conversation), ``timers`` (ladder,
resolution and handoff-deadline timers), ``packet`` (the handoff packet), ``stage`` (the Redis
I/O around it all). This module only wires them into a service.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette

from rapport_router.stage import HandoffOutcomeStage, RouterStage, run_timers
from rapport_runtime.config import load_sites
from rapport_runtime.consumer import Stage
from rapport_runtime.service import Runtime, build_app
from rapport_runtime.settings import RapportSettings


def create_app(settings: RapportSettings | None = None) -> Starlette:
    settings = settings or RapportSettings()
    sites = load_sites(settings)  # configuration errors surface before anything starts

    async def stages(runtime: Runtime) -> list[Stage[Any]]:
        stage = RouterStage(runtime.settings, runtime, sites)  # the partition's settings
        runtime.extras["router"] = stage
        return [stage, HandoffOutcomeStage(stage)]

    async def background(runtime: Runtime) -> None:
        # Each partition has its own timers (they share its slot); one loop per partition.
        async with asyncio.TaskGroup() as group:
            for part in runtime.parts():
                group.create_task(run_timers(part.extras["router"], settings.timer_poll_s))

    return build_app("router", settings, stages, background=background)
