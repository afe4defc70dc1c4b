"""Reading vendor payloads: nested lookups that tolerate missing steps, vendor ids as Rapport
identifiers, tag slugs and the customer a payload names."""

from __future__ import annotations

import re
from typing import Any

from rapport_contracts import AttributeValue, Customer
from rapport_handoff.adapters.base import InboundPayloadError

# Rapport's one id rule (rapport_contracts IDENTIFIER_RULE): no "/", nothing starting with a dot.
_ID_BAD = re.compile(r"[^A-Za-z0-9._:@+=-]")


def ident(value: Any) -> str:
    """A vendor id as a Rapport identifier (printable, at most 200 characters)."""
    if value is None or value == "":
        raise InboundPayloadError("an id the message needs is missing from the payload")
    return _ID_BAD.sub("-", str(value)).lstrip(".")[:200] or "-"


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "queue"


def dig(data: Any, *path: str | int) -> Any:
    """``data[path[0]][path[1]]...``, or None when any step is missing."""
    for key in path:
        if isinstance(data, dict) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def first_dict(*candidates: Any) -> dict[str, Any]:
    """The first candidate that is a non-empty JSON object, else {}."""
    for candidate in candidates:
        if isinstance(candidate, dict) and candidate:
            return candidate
    return {}


def customer_of(
    id_: Any = None, email: Any = None, name: Any = None, **attributes: Any
) -> Customer | None:
    values = {
        "id": str(id_)[:200] if id_ not in (None, "") else None,
        "email": str(email)[:320] if email else None,
        "name": str(name)[:200] if name else None,
    }
    attrs: dict[str, AttributeValue] = {
        k: v
        for k, v in attributes.items()
        if v is not None and isinstance(v, str | int | float | bool)
    }
    if not any(values.values()) and not attrs:
        return None
    return Customer(**values, attributes=attrs)
