"""Start-up time of the ``rapport`` command (issue 13: ``rapport --help`` under 0.3 s).

    uv run python benchmarks/cli_startup.py [--runs 20] [--target 0.3]

Runs the installed ``rapport`` entry point (``.venv/bin/rapport``, what ``uv run rapport``
execs after its own check) as a fresh process, several times, and prints min / median / max
wall time for ``rapport --help`` and a few sub-command helps, beside two floors: a bare
interpreter and ``import typer``. Two cases:

- warm: Python may cache bytecode (what a user normally has after the first run). The cache
  goes to a temporary ``PYTHONPYCACHEPREFIX``, so the virtual environment is left untouched.
- cold: no bytecode cache at all (``PYTHONDONTWRITEBYTECODE=1`` and an empty prefix), every
  module compiled from source on each run.

Also lists the heavy modules ``rapport --help`` must not import (it fails if one is). Exits 1
when the warm median of ``rapport --help`` is over ``--target`` seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "pydantic",
    "httpx",
    "redis",
    "yaml",
    "rich",
    "rapport_contracts",
    "rapport_runtime",
    "rapport_sentiment",
    "rapport_router",
)


def rapport_binary() -> str:
    here = Path(sys.executable).parent / "rapport"
    found = str(here) if here.exists() else shutil.which("rapport")
    if not found:
        raise SystemExit("no `rapport` entry point; run `uv sync` first")
    return found


def uv_binary() -> str:
    found = shutil.which("uv")
    if not found:
        raise SystemExit("no `uv` on PATH")
    return found


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        out.append(time.perf_counter() - start)
    return out


def row(name: str, times: list[float]) -> str:
    return (
        f"  {name:<32} min {min(times):.3f} s   median {statistics.median(times):.3f} s   "
        f"max {max(times):.3f} s"
    )


def heavy_imports(env: dict[str, str]) -> list[str]:
    probe = (
        "import sys\n"
        "from rapport_tools.cli import app\n"
        "import typer.main\n"
        "cmd = typer.main.get_command(app)\n"
        "try:\n"
        "    cmd.main(['--help'], prog_name='rapport')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = {HEAVY!r}\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return done.stderr.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--target", type=float, default=0.3)
    args = parser.parse_args()
    rapport = rapport_binary()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "rapport --help": [rapport, "--help"],
        "rapport policy --help": [rapport, "policy", "--help"],
        "rapport send --help": [rapport, "send", "--help"],
        # What the README types (uv's own start and lock check included; for information).
        "uv run --no-sync rapport --help": [uv_binary(), "run", "--no-sync", "rapport", "--help"],
    }
    verdict = 0
    with tempfile.TemporaryDirectory(prefix="rapport-pycache-") as cache:
        warm = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        warm.pop("PYTHONDONTWRITEBYTECODE", None)
        cold = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        cold["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="rapport-nocache-")
        for argv in cases.values():  # fill the warm cache
            subprocess.run(
                argv, env=warm, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        print(f"{rapport} on {os.cpu_count()} CPU(s), {args.runs} runs each")
        results: dict[str, dict[str, list[float]]] = {}
        for label, env in (("warm (bytecode cached)", warm), ("cold (no bytecode)", cold)):
            print(label)
            results[label] = {}
            for name, argv in cases.items():
                times = timed(argv, env, args.runs)
                results[label][name] = times
                print(row(name, times))
        heavy = heavy_imports(warm)
        shutil.rmtree(cold["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    median = statistics.median(results["warm (bytecode cached)"]["rapport --help"])
    print(f"heavy modules imported by `rapport --help`: {', '.join(heavy) or 'none'}")
    print(f"rapport --help, warm median: {median:.3f} s (target {args.target} s)")
    if heavy:
        verdict = 1
    if median > args.target:
        verdict = 1
    return verdict


if __name__ == "__main__":
    sys.exit(main())
