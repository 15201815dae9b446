"""Local twin of CloudFront + API Gateway + Lambda: `make serve` (python local/serve.py).

Serves `web/` and the predict API on 127.0.0.1 through the same Lambda handler as the
cloud, with the request limits of a stage (cdk.json, default the context's own stage)
and the locally trained model (`--model-dir`, default build/model/model) in process.
SIGINT/SIGTERM stop accepting connections, let the running handler call finish and exit.

    python local/serve.py [--model-dir DIR] [--stage dev|prod] [--port 8080] [--quiet]

PORT sets the default port; 0 picks a free one.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from local_runtime import DEFAULT_MODEL_DIR
from local_server import REPO_ROOT, WEB_ROOT, create_server
from stacks.config import ConfigError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=DEFAULT_MODEL_DIR,
        help="trained model directory (model.npz + model.json + code/)",
    )
    parser.add_argument(
        "--stage",
        default=None,
        help="stage of cdk.json whose request limits apply (default: the context's stage)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="bind address; keep loopback unless you mean to expose it",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8080")),
        help="port (env PORT, default 8080; 0 = any free port)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no access log, warnings only, no metric records"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        server = create_server(
            model_dir=args.model_dir,
            host=args.host,
            port=args.port,
            quiet=args.quiet,
            stage=args.stage,
        )
    except (FileNotFoundError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    limits = server.settings
    print(
        f"Serving {WEB_ROOT.relative_to(REPO_ROOT)}/ and the predict API on {server.base_url}/ "
        f"(model {Path(args.model_dir)}; up to {limits.max_reviews} reviews of "
        f"{limits.max_review_chars} characters); Ctrl+C stops.",
        flush=True,
    )
    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    print("Stopping: finishing the request in flight...", flush=True)
    server.stop()
    thread.join(timeout=5)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
