"""The deploy tests reuse the e2e pipeline: the three services as real processes."""

from tests.e2e.conftest import pipeline

__all__ = ["pipeline"]
