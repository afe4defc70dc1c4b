"""``rapport-console``: run the console (HTTP on port 8083 by default)."""

from rapport_console.app import create_app
from rapport_runtime.service import serve

DEFAULT_PORT = 8083


def main() -> None:
    serve("console", create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()
