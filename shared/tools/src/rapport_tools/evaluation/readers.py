"""Reading ``rapport eval``'s input: JSONL files in the format of the labelled data (one object
per line with ``id``, ``text``, ``context``, labels). Every problem is an :class:`EvalError`
naming the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rapport_contracts import Author, Turn

_AUTHORS: frozenset[str] = frozenset({"customer", "bot", "agent", "system"})


class EvalError(Exception):
    """A problem with the input that the user can fix; printed without a traceback."""


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; EvalError on anything else."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise EvalError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EvalError(f"{path}: is a directory, not a JSONL file") from None
    except OSError as exc:
        raise EvalError(f"{path}: cannot open ({exc.strerror})") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvalError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
                if not isinstance(obj, dict):
                    raise EvalError(f"{path}:{number}: expected a JSON object per line") from None
                yield number, obj
        except UnicodeDecodeError:
            raise EvalError(f"{path}: not UTF-8 text") from None


def parse_context(raw: Any, where: str) -> tuple[Turn, ...]:
    """Context items are strings (customer turns) or ``{"author", "text"}`` objects."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise EvalError(f"{where}: 'context' must be a list")
    turns: list[Turn] = []
    for item in raw:
        if isinstance(item, str):
            turns.append(Turn(author="customer", text=item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            author = item.get("author", "customer")
            if author not in _AUTHORS:
                raise EvalError(f"{where}: unknown context author {author!r}")
            turns.append(Turn(author=_author(author), text=item["text"]))
        else:
            raise EvalError(f"{where}: context items must be strings or {{author, text}} objects")
    return tuple(turns)


def _author(value: str) -> Author:
    if value == "bot":
        return "bot"
    if value == "agent":
        return "agent"
    if value == "system":
        return "system"
    return "customer"
