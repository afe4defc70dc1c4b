"""``rapport-handoff``: run the edge and the handoff consumer (HTTP on port 8080 by default)."""

from rapport.service import serve
from rapport_handoff.app import create_app

DEFAULT_PORT = 8080


def main() -> None:
    serve("handoff", create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()
