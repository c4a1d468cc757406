"""Run the stand-in: python -m orchestrator_standin --host 127.0.0.1 --port 8000"""

from __future__ import annotations

import argparse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m orchestrator_standin",
        description="Run the in-memory stand-in for the Chiffon orchestrator HTTP API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (warning)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    import uvicorn  # a development dependency, needed only to serve the stand-in

    args = parse_args(argv)
    uvicorn.run(
        "orchestrator_standin.app:app", host=args.host, port=args.port, log_level=args.log_level
    )


if __name__ == "__main__":
    main()
