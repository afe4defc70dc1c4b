"""Where a service's time goes, from the raw stacks ``rapport bench --profile DIR`` writes.

    uv run rapport bench --duration 10 --rounds 1 --profile /tmp/prof
    uv run python benchmarks/profile_summary.py /tmp/prof/*.txt [--top 15]

Each file is py-spy's collapsed format (``frame;frame;... count``, frames as
``function (file:line)``). Prints, per service, the share of samples by area (a frame anywhere
on the stack: inclusive, so areas overlap) and the functions with the most self time.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# Inclusive areas: the first pattern found on a stack, looked for in every frame.
AREAS = (
    ("classifier", r"rapport_sentiment/classifier"),
    (
        "pydantic validate/serialise",
        r"pydantic|model_dump_json|model_validate",
    ),
    ("json", r"json/(encoder|decoder|__init__)"),
    ("redis-py (commands, parsing, pool)", r"/redis/"),
    # Every stack runs under uvicorn's Server.run: only the request path counts as HTTP.
    ("stages (StageRunner: read, process, write)", r"rapport_runtime/consumer\.py"),
    ("HTTP requests (httptools/h11/starlette)", r"httptools_impl|/h11/|starlette"),
    ("httpx client (webhook adapter)", r"httpx|httpcore"),
    ("HMAC / signing", r"hmac|signing\.py"),
    ("logging / metrics", r"/logging/|prometheus_client|rapport_runtime/logs"),
    # Not runners.py: every stack of a running service passes through Runner.run.
    ("asyncio machinery", r"asyncio/(tasks|events|timeouts|streams|base_events|locks)"),
)


def load(path: Path) -> Counter[str]:
    stacks: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def short(frame: str) -> str:
    found = re.match(r"(.*) \((.*?):(\d+)\)$", frame)
    if not found:
        return frame
    name, file, _line = found.groups()
    parts = file.split("/")
    where = "/".join(parts[-2:]) if len(parts) > 1 else file
    return f"{name} ({where})"


def summarise(path: Path, top: int) -> None:
    stacks = load(path)
    # py-spy attaches as the service starts: its imports and setup, before the event loop
    # runs, are not per-message work.
    startup = sum(n for s, n in stacks.items() if "Runner.run" not in s)
    stacks = Counter({s: n for s, n in stacks.items() if "Runner.run" in s})
    total = sum(stacks.values()) or 1
    idle = sum(n for s, n in stacks.items() if _idle(s))
    busy = total - idle or 1
    print(f"\n== {path.stem}: {total} samples, {100 * idle / total:.0f} % idle (waiting in select)")
    print(f"  ({startup} samples before the event loop ran, the startup, left out)")
    areas: Counter[str] = Counter()
    for stack, n in stacks.items():
        if _idle(stack):
            continue
        for name, pattern in AREAS:
            if re.search(pattern, stack):
                areas[name] += n
    print("  busy samples by area (inclusive, overlapping):")
    for name, n in areas.most_common():
        print(f"    {100 * n / busy:5.1f} %  {name}")
    selfs: Counter[str] = Counter()
    for stack, n in stacks.items():
        if not _idle(stack):
            selfs[short(stack.split(";")[-1])] += n
    print(f"  top {top} self time (share of busy samples):")
    for frame, n in selfs.most_common(top):
        print(f"    {100 * n / busy:5.1f} %  {frame}")


def _idle(stack: str) -> bool:
    last = stack.split(";")[-1]
    return (
        bool(re.match(r"(select|poll|epoll_wait|_worker|wait) \(", last)) or "selectors.py" in last
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    for path in args.files:
        summarise(path, args.top)


if __name__ == "__main__":
    main()
