"""``rapport-handoff``: run the edge and the handoff consumer (HTTP on port 8080 by default)."""

from rapport_handoff.app import create_app
from rapport_runtime.service import serve

DEFAULT_PORT = 8080


def main() -> None:
    serve("handoff", create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()
