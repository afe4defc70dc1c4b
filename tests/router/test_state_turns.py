"""The router's turns (rapport_router.stage.StateTurns): one writer at a time, a waiting
message batch before waiting results and timers, and a cancelled waiter never keeps the turn."""

from __future__ import annotations

import asyncio

from rapport_router.stage import StateTurns


async def test_a_waiting_message_batch_goes_before_results_that_waited_longer() -> None:
    turns = StateTurns()
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with turns.turn(messages=False):
            holding.set()
            await release.wait()
            order.append("holder")

    async def writer(name: str, *, messages: bool) -> None:
        async with turns.turn(messages=messages):
            order.append(name)
            await asyncio.sleep(0)  # while it holds the turn, nobody else is let in
            order.append(f"{name} done")

    first = asyncio.create_task(holder())
    await holding.wait()
    waiting = [asyncio.create_task(writer("results", messages=False))]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(writer("timer", messages=False)))
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(writer("messages", messages=True)))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *waiting)
    assert order == [
        "holder",
        "messages",
        "messages done",
        "results",
        "results done",
        "timer",
        "timer done",
    ]


async def test_a_cancelled_waiter_leaves_its_place_and_the_turn_goes_on() -> None:
    turns = StateTurns()
    release = asyncio.Event()
    got: list[str] = []

    async def holder() -> None:
        async with turns.turn(messages=True):
            await release.wait()

    async def writer(name: str, *, messages: bool) -> None:
        async with turns.turn(messages=messages):
            got.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    gone = asyncio.create_task(writer("cancelled", messages=True))
    stays = asyncio.create_task(writer("results", messages=False))
    await asyncio.sleep(0)
    gone.cancel()
    release.set()
    await asyncio.gather(first, stays)
    assert gone.cancelled()
    assert got == ["results"]
    async with asyncio.timeout(1):  # free again: taken at once
        async with turns.turn(messages=False):
            got.append("after")
    assert got == ["results", "after"]


async def test_a_waiter_cancelled_as_it_is_handed_the_turn_passes_it_on() -> None:
    turns = StateTurns()
    got: list[str] = []

    async def writer(name: str, *, messages: bool) -> None:
        async with turns.turn(messages=messages):
            got.append(name)

    async with turns.turn(messages=False):
        handed = asyncio.create_task(writer("handed", messages=True))
        after = asyncio.create_task(writer("results", messages=False))
        await asyncio.sleep(0)  # both wait in line
    # The release handed the turn to "handed", which has not run yet: cancelled now, it must
    # pass the turn on instead of keeping it.
    handed.cancel()
    async with asyncio.timeout(1):
        await asyncio.gather(handed, after, return_exceptions=True)
    assert handed.cancelled()
    assert got == ["results"]
