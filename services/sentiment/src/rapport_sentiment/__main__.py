"""``rapport-sentiment``: run the sentiment service (HTTP health on port 8081 by default)."""

from rapport_runtime.service import serve
from rapport_sentiment.app import create_app

DEFAULT_PORT = 8081


def main() -> None:
    serve("sentiment", create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()
