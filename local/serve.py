"""Local twin of CloudFront + API Gateway + Lambda: `make serve` (python local/serve.py).

Serves `web/` and the predict API on 127.0.0.1 through the same Lambda handler as the
cloud, with the request limits of a stage (cdk.json, default the context's own stage)
and the locally trained model (`--model-dir`, default build/model/model) in process.
SIGINT/SIGTERM stop accepting connections, let the running handler call finish and exit.

    python local/serve.py [--model-dir DIR] [--stage dev|prod] [--port 8080] [--quiet]
        [--variant NAME=MODEL_DIR:WEIGHT ...] [--seed N] [--allow-target-variant]
        [--capture-dir DIR [--capture-encoding json|base64]] [--request-log FILE]

PORT sets the default port; 0 picks a free one. With `--variant` (repeated) the endpoint
serves several models as production variants, routed by weight (seeded with `--seed`)
or pinned with the X-Target-Variant header where allowed; `--capture-dir` writes
SageMaker data-capture records for `make drift`, `--request-log` one JSON line per
model call (variant, latency, status, predictions, and the X-True-Label truth) for
`make ab-report`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from data_capture import CaptureWriter
from local_runtime import DEFAULT_ENDPOINT_NAME, DEFAULT_MODEL_DIR, LocalRuntime
from local_server import REPO_ROOT, WEB_ROOT, create_server
from request_log import RequestLog
from stacks.config import ConfigError
from variant_router import VariantSpec, parse_variant


def _variant(text: str) -> VariantSpec:
    try:
        return parse_variant(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


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
    endpoint = parser.add_argument_group("endpoint (variants, data capture, request log)")
    endpoint.add_argument(
        "--variant",
        type=_variant,
        action="append",
        default=[],
        metavar="NAME=MODEL_DIR:WEIGHT",
        help="a production variant (repeat for A/B); replaces --model-dir",
    )
    endpoint.add_argument("--seed", type=int, default=None, help="seed of the weighted router")
    endpoint.add_argument(
        "--allow-target-variant",
        action="store_true",
        help="let callers pin a variant (X-Target-Variant) even if the stage does not",
    )
    endpoint.add_argument("--capture-dir", type=Path, help="write data capture records here")
    endpoint.add_argument(
        "--capture-encoding",
        choices=("json", "base64"),
        default="json",
        help="JSON bodies as text (content types listed for capture) or all base64",
    )
    endpoint.add_argument("--request-log", type=Path, help="append one JSON line per model call")
    return parser.parse_args(argv)


def build_runtime(args: argparse.Namespace) -> LocalRuntime:
    """The local endpoint the options describe (FileNotFoundError without a model)."""
    capture = (
        CaptureWriter(args.capture_dir, DEFAULT_ENDPOINT_NAME, args.capture_encoding)
        if args.capture_dir
        else None
    )
    return LocalRuntime(
        args.model_dir,
        variants=args.variant,
        seed=args.seed,
        capture=capture,
        request_log=RequestLog(args.request_log) if args.request_log else None,
    )


def _models(runtime: LocalRuntime) -> str:
    if len(runtime.variants) == 1:
        return f"model {runtime.model_dir}"
    shares = runtime.router.shares()
    return "variants " + ", ".join(
        f"{name} {shares[name]:.0%} ({variant.spec.model_dir})"
        for name, variant in runtime.variants.items()
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        server = create_server(
            host=args.host,
            port=args.port,
            quiet=args.quiet,
            stage=args.stage,
            runtime=build_runtime(args),
            allow_target_variant=args.allow_target_variant,
        )
    except (FileNotFoundError, ConfigError, ValueError) as err:
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
        f"({_models(server.runtime)}; up to {limits.max_reviews} reviews of "
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
