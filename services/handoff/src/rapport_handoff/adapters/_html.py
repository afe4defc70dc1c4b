"""Plain text of the HTML fragments vendors send as message bodies (Intercom, Zammad, Front,
Help Scout): tags dropped, entities decoded, block elements as line breaks."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

_BLOCKS = frozenset({"br", "p", "div", "li"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")


def html_text(value: Any) -> str:
    """Plain text of an HTML fragment; "" for anything that is not a string."""
    if not isinstance(value, str):
        return ""
    if "<" not in value:
        return value.strip()
    parser = _Text()
    parser.feed(value)
    parser.close()
    text = "".join(parser.parts)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
