"""Which Redis errors are the connection's, not the command's: waited out by the stage loops,
tried again by the edge's accept. One place, so that every caller agrees on what "Redis went
away under us" looks like in redis-py, which reports it in several shapes."""

from __future__ import annotations

import os

from redis.exceptions import ClusterError, RedisClusterException, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Errors a loop waits out. The cluster ones happen while a master fails over (its slots are
# briefly served by nobody: CLUSTERDOWN, TRYAGAIN, a slot no node covers, no seed node
# reachable while the client re-reads the topology); they are checked before ResponseError,
# of which some are subclasses. A standalone Redis never raises them.
TRANSIENT = (
    RedisConnectionError,
    RedisTimeoutError,
    ClusterError,
    TryAgainError,
    RedisClusterException,
)
# What the loops catch: TRANSIENT; a RuntimeError from a connection whose socket the peer
# closed (uvloop's "the handler is closed", seen when a cluster master is killed and the
# client reuses its connection); and an AttributeError raised inside redis-py's connection code
# (redis-py 8.1, during a fail-over: the cluster client re-reads the topology and closes the
# old nodes' connections while another task is writing on one, "'NoneType' object has no
# attribute 'writelines'"; it killed the router's readers in a fail-over test). Any other
# RuntimeError or AttributeError is a bug and stops the loop.
CAUGHT = (*TRANSIENT, RuntimeError, AttributeError)
_REDIS_PY = f"{os.sep}redis{os.sep}"


class ConnectionClosedError(RedisConnectionError):
    """A command whose connection was closed under it on every try: reported as the connection
    error it is (so every caller treats it as Redis being unavailable), with what happened."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT):
        return True
    if isinstance(exc, (RuntimeError, AttributeError)):
        return is_closed_connection(exc)
    return False


def is_closed_connection(exc: BaseException) -> bool:
    """A connection redis-py closed under the command using it, which redis-py's own retry
    does not cover (it is not a ``ConnectionError``): uvloop's "the handler is closed", or an
    AttributeError from inside redis-py's connection module."""
    if isinstance(exc, RuntimeError):
        text = str(exc)
        return "handler is closed" in text or "closed=True" in text
    if isinstance(exc, AttributeError):
        return _raised_in_redis_py_connection(exc)
    return False


def _raised_in_redis_py_connection(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc`` is redis-py's connection module (a connection
    closed under the command using it), not our code."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    return _REDIS_PY in filename and filename.endswith("connection.py")
