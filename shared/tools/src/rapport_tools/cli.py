"""The ``rapport`` command line: run Rapport locally, send a test message, inspect contracts.

This module only builds the command tree; each command or group lives in its own module under
:mod:`rapport_tools.commands` (what they share, in ``commands._common``), plus ``eval``
(:mod:`rapport_tools.evaluation.command`) and ``bench`` (:mod:`rapport_tools.bench`).

Start-up cost matters (``rapport --help`` is the first thing a user types): every module
imported here imports only the standard library and typer at the top; everything heavy
(Pydantic models, httpx, redis, the classifier) is imported inside the command that needs it.
``benchmarks/cli_startup.py`` measures it.

Errors are one line on standard error: wrong arguments exit with 2, a failure with 1. Commands
that use Redis find it through ``REDIS_URL``, else a running ``rapport dev`` (its state file),
else the default, and say on standard error which one they used.
"""

from __future__ import annotations

from rapport_tools.bench import bench
from rapport_tools.commands import (
    adapters,
    config,
    contracts,
    dev,
    dlq,
    forget,
    policy,
    resolve,
    send,
    status,
)
from rapport_tools.commands._common import DEMO_SECRET_ENV, OneLineErrors, new_typer
from rapport_tools.evaluation.command import eval_app

__all__ = ["DEMO_SECRET_ENV", "app", "main"]

app = new_typer(
    "Rapport: escalate customer conversations from automation to people.", cls=OneLineErrors
)
# The order `rapport --help` lists them in.
for command in (dev, send, resolve, contracts, adapters, config, policy, dlq, status, forget):
    command.register(app)
# The eval command module imports its heavy parts (the classifier, the router) inside its
# commands, so mounting it here costs nothing; a broken install still fails loudly there.
app.add_typer(eval_app, name="eval")
app.command("bench")(bench)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
