"""Vendor signatures computed the documented way (research brief §15.2), independently of
the adapters' code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime


def hmac_raw(secret: str, message: bytes, algorithm: str) -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_s() -> str:
    return str(int(time.time()))


def now_ms() -> str:
    return str(int(time.time() * 1000))
