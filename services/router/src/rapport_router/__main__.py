"""``rapport-router``: run the router service (HTTP health on port 8082 by default)."""

from rapport_router.app import create_app
from rapport_runtime.service import serve

DEFAULT_PORT = 8082


def main() -> None:
    serve("router", create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()
