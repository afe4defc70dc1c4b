"""``rapport-archive``: run the archive service (HTTP health on port 8084 by default);
``rapport-archive migrate``: only bring the store to the newest schema revision."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from rapport_archive.app import create_app
from rapport_runtime.service import serve, settings_problems

DEFAULT_PORT = 8084
USAGE = "usage: rapport-archive [migrate]  (RAPPORT_ARCHIVE_URL names the store)"


def migrate() -> int:
    from rapport_archive.app import ArchiveStoreError, open_store
    from rapport_archive.migrate import head
    from rapport_archive.store import ArchiveURLError, redact_url
    from rapport_runtime.settings import RapportSettings

    try:
        settings = RapportSettings()
    except ValidationError as exc:
        print(f"rapport-archive: {settings_problems(exc)}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        engine = open_store(settings)
    except (ArchiveURLError, ArchiveStoreError) as exc:
        print(f"rapport-archive: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    engine.dispose()
    url = redact_url(settings.archive_url or "")
    print(f"archive store at {url} is at revision {head()} (the newest)")  # noqa: T201
    return 0


def main() -> None:
    args = sys.argv[1:]
    if args in (["-h"], ["--help"]):
        print(USAGE)  # noqa: T201
        return
    if args == ["migrate"]:
        raise SystemExit(migrate())
    if args:
        print(f"rapport-archive: unknown arguments {' '.join(args)!r}; {USAGE}", file=sys.stderr)  # noqa: T201
        raise SystemExit(2)
    serve("archive", create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()
