"""Revisions, oldest first (Alembic reads them by their ``revision`` ids)."""
