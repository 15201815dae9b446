"""End of `make demo`: ask the local API about a few reviews over real HTTP, then stop.

Starts the local server (`local_server.py`) on a free loopback port in a background thread (the same
handler and the same locally trained model as `make serve`), sends a batch of reviews,
one request the API must refuse and a health check, prints the answers and shuts the
server down. Exits non-zero if any answer is not what the API contract promises.

    python local/predict_demo.py [--model-dir build/model/model] [--stage dev|prod]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from local_runtime import DEFAULT_MODEL_DIR
from local_server import running_server
from stacks.config import ConfigError

DEMO_REVIEWS = [
    "A wonderful, moving film with a superb cast. I loved every minute of it.",
    "Dreadful. The plot is a mess, the acting is wooden and it goes on forever.",
    "Not perfect, but the final act is brilliant and the score is gorgeous.",
    "I wanted to like it, yet it was dull, predictable and far too long.",
]


def call(base_url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One HTTP request; returns (status, parsed JSON body) for errors as well."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(base_url + path, data=data, method=method)  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_demo(model_dir: Path, stage: str | None = None) -> int:
    problems: list[str] = []
    with running_server(model_dir=model_dir, stage=stage) as server:
        base = server.base_url
        print(f"Local API (API Gateway event -> Lambda handler -> in-process model) on {base}")

        status, health = call(base, "GET", "/health")
        print(f"GET /health -> {status} {json.dumps(health)}")
        if status != 200:
            problems.append(f"/health answered {status}")

        status, answer = call(base, "POST", "/predict", {"reviews": DEMO_REVIEWS})
        print(
            f"POST /predict ({len(DEMO_REVIEWS)} reviews) -> {status}, model {answer.get('model')}"
        )
        if status == 200 and len(answer["predictions"]) == len(DEMO_REVIEWS):
            print(f"  {'label':<9} {'score':>5}  {'':<9}  review")
            for review, prediction in zip(DEMO_REVIEWS, answer["predictions"], strict=True):
                band = "uncertain" if prediction.get("uncertain") else ""
                print(
                    f"  {prediction['label']:<9} {prediction['score']:>5.2f}  {band:<9}  "
                    f"{shorten(review)}"
                )
        else:
            problems.append(f"/predict answered {status}: {answer}")

        status, refusal = call(base, "POST", "/predict", {"reviews": ["Great fun.", "   "]})
        print(f"POST /predict with an empty review -> {status} {json.dumps(refusal)}")
        if status != 400 or refusal.get("error", {}).get("code") != "empty_review":
            problems.append(f"empty review answered {status}: {refusal}")
    print("Server stopped.")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--stage", help="stage of cdk.json whose request limits apply")
    args = parser.parse_args(argv)
    try:
        return run_demo(args.model_dir, args.stage)
    except (FileNotFoundError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
