"""The archive's Alembic migrations (``versions/``), applied by
:func:`rapport_archive.migrate.upgrade`."""
