"""What every command shares: one-line errors, finding Redis and the edge, the site's secret.

Standard library and typer only at the top (every command module imports this one, and
``rapport --help`` imports every command module); the rest is imported where it is used.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    import httpx

    from rapport_runtime.settings import RapportSettings
    from rapport_tools.devstate import DevState

# Mirrors rapport_runtime.config (kept here so that `--help` does not import it; a test checks).
DEMO_SECRET_ENV = "RAPPORT_DEMO_SECRET"  # noqa: S105 - a variable name, not a secret
DEFAULT_EDGE = "http://127.0.0.1:8080"
REDIS_ENV = ("REDIS_URL", "RAPPORT_REDIS_URL")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _click_exceptions() -> Any:
    """Click's exception classes as typer raises them (typer >= 0.20 vendors click)."""
    import importlib

    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # an older typer on the real click
        return importlib.import_module("click.exceptions")


class OneLineErrors(TyperGroup):
    """Usage errors as one line (``error: ... (see `rapport x --help`)``, exit 2) instead of
    click's usage block; everything else as click does it."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        click_exc = _click_exceptions()
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name or "rapport",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click_exc.NoArgsIsHelpError as exc:
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except click_exc.UsageError as exc:
            if not standalone_mode:
                raise
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            message = " ".join(exc.format_message().split())
            typer.secho(f"error: {message}{where}", err=True, fg=typer.colors.RED)
            sys.exit(2)
        except click_exc.ClickException as exc:
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def new_typer(help_text: str, **kwargs: Any) -> typer.Typer:
    # No rich: plain click help renders in a fraction of the time (rich costs ~0.2 s to import).
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        **kwargs,
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def usage(message: str) -> typer.Exit:
    """Wrong arguments: one line, exit code 2."""
    return fail(message, 2)


def load_settings() -> RapportSettings:
    from rapport_runtime.settings import RapportSettings

    try:
        return RapportSettings()
    except ValueError as exc:
        raise usage(" ".join(str(exc).split())) from None


def redis_settings(quiet: bool = False) -> RapportSettings:
    """The settings with the Redis this command should use: ``REDIS_URL`` when set, else the
    running ``rapport dev``'s (and its key prefix unless ``RAPPORT_PREFIX`` is set), else the
    default. Says which on standard error, unless ``quiet`` (``--json``: the output is for a
    program, and test runners mix standard error into it)."""
    from rapport_tools.devstate import read_state, state_path

    found = load_settings()
    if any(os.environ.get(name) for name in REDIS_ENV):
        how = "from REDIS_URL"
    elif (dev := read_state()) is not None:
        update: dict[str, Any] = {"redis_url": dev.redis_url}
        if not os.environ.get("RAPPORT_PREFIX"):
            update["prefix"] = dev.prefix
        found = found.model_copy(update=update)
        how = f"the running `rapport dev`, pid {dev.pid}"
    else:
        how = f"the default: REDIS_URL is unset and no `rapport dev` runs ({state_path()})"
    if not quiet:
        prefix = "" if found.prefix == "rapport" else f", prefix {found.prefix}"
        typer.echo(f"redis: {found.redis_url} ({how}{prefix})", err=True)
    return found


def redis_down(found: RapportSettings, exc: BaseException) -> typer.Exit:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return fail(
        f"cannot reach Redis at {found.redis_url}: {first}. Start `uv run rapport dev`, "
        "or set REDIS_URL to your Redis"
    )


def run_redis(found: RapportSettings, work: Any) -> Any:
    """Run the coroutine function ``work(redis)`` on a connection; Redis being unreachable is
    one line, not a traceback."""
    import asyncio

    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    from rapport_runtime.redis import connect

    async def run() -> Any:
        redis = connect(found.redis_url)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    try:
        return asyncio.run(run())
    except (RedisConnectionError, RedisTimeout, OSError) as exc:
        raise redis_down(found, exc) from None


def running_dev(url: str | None) -> DevState | None:
    """The running ``rapport dev`` this command talks to: none when ``--url`` names another
    edge."""
    from rapport_tools.devstate import read_state

    dev = read_state()
    if dev is None or (url and url.rstrip("/") != dev.edge_url):
        return None
    return dev


def edge_url(url: str | None) -> str:
    """``--url``, else the running ``rapport dev``'s edge, else the default."""
    if url:
        return url.rstrip("/")
    dev = running_dev(None)
    return dev.edge_url if dev is not None else DEFAULT_EDGE


def site_secret(site: str, given: str | None, url: str | None) -> str:
    """The secret that signs requests for ``site``: ``--secret``; else, when the edge is the
    running ``rapport dev``'s, the one it serves (its sites file's, or the demo secret, from its
    state file); else ``$RAPPORT_CONFIG``'s; else ``$RAPPORT_DEMO_SECRET`` or the demo one."""
    if given:
        return given
    dev = running_dev(url)
    config = dev.sites_file if dev is not None else os.environ.get("RAPPORT_CONFIG")
    if dev is not None and dev.sites_file is None:
        from rapport_runtime.config import DEMO_SECRET_DEFAULT

        return dev.demo_secret or DEMO_SECRET_DEFAULT
    if not config:
        from rapport_runtime.config import DEMO_SECRET_DEFAULT

        return os.environ.get(DEMO_SECRET_ENV) or DEMO_SECRET_DEFAULT
    from pathlib import Path

    from rapport_runtime.config import ConfigError, SitesFile, parse_yaml

    try:  # only this site's secret: another site's variable need not be set in this shell
        parsed, _ = parse_yaml(config, Path(config).read_text("utf-8"), SitesFile)
        entry = parsed.sites.get(site)
        secret = entry.secret.resolve() if entry is not None else None
    except (OSError, ConfigError) as exc:
        first = str(exc).strip().splitlines()[-1].strip()
        raise fail(
            f"cannot read the secret of site {site!r} from {config}: {first}; "
            "set it in this shell too, or give --secret"
        ) from None
    if secret is None:
        raise usage(f"--site {site!r}: no such site in {config} ({', '.join(parsed.sites)})")
    return str(secret)


def read_conversation(http: httpx.Client, url: str, token: str) -> dict[str, Any] | None:
    """The conversation endpoint's answer; None when Rapport has no record of it."""
    reply = http.get(url, headers={"Authorization": f"Bearer {token}"})
    if reply.status_code == 401:
        raise fail("the admin token was refused; set RAPPORT_ADMIN_TOKEN to the server's")
    if reply.status_code == 404 and reply.json().get("error") == "unknown_site":
        raise fail(reply.json()["message"])
    view: dict[str, Any] = reply.json()
    return view if reply.status_code == 200 else None


def post_signed(
    http: httpx.Client, base: str, site: str, secret: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Sign ``payload`` with the site's secret and post it to the site's messages endpoint;
    anything but a 202 is one line (the edge's own error)."""
    import json

    from rapport_runtime.signing import sign

    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **sign(secret, body)}
    reply = http.post(f"{base}/v1/sites/{site}/messages", content=body, headers=headers)
    answer: Any = (
        reply.json()
        if reply.headers.get("content-type", "").startswith("application/json")
        else reply.text
    )
    if reply.status_code != 202:
        raise fail(f"HTTP {reply.status_code}: {json.dumps(answer)}")
    accepted: dict[str, Any] = answer
    return accepted


def edge_down(base: str, exc: BaseException) -> typer.Exit:
    return fail(f"cannot reach {base}: {exc}. Is `uv run rapport dev` running?")
