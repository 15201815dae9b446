"""Local twin of the drift job: `make drift CAPTURE=<dir> [MODEL=<dir>]`.

Reads the data-capture files `make serve --capture-dir` wrote (the SageMaker layout,
``<dir>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``; every hour, not only the last
period), measures each variant against its model's ``drift_baseline.json`` with the
same code as the scheduled Lambda (lambda/drift) and prints the metrics it would publish,
with the stage's thresholds (``monitoring.drift``: psi_warning, psi_alarm,
oov_rate_alarm) and ``min_reviews``. A model without a baseline is said so, exit 0.

    python local/drift.py CAPTURE_DIR [--model-dir DIR] [--variant-model NAME=DIR ...]
        [--stage dev|prod]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

# Run as a script, the twin puts its import roots on sys.path before anything else.
import repo_paths  # noqa: F401

# isort: split
from capture_records import CaptureStats, ScoredReview, endpoint_and_variant, read_capture
from drift_features import BASELINE_FILENAME
from drift_metrics import BaselineError, VariantDrift, check_baseline, variant_drift
from local_runtime import DEFAULT_MODEL_DIR
from stacks.config import ConfigError, DriftConfig, cdk_json_context, stage_config

COLUMNS = ("ScorePsi", "LengthPsi", "OovRate", "PositiveShare", "UncertainShare")


def read_capture_dir(
    capture_dir: Path, stats: CaptureStats
) -> dict[tuple[str, str], list[ScoredReview]]:
    groups: dict[tuple[str, str], list[ScoredReview]] = defaultdict(list)
    for path in sorted(capture_dir.rglob("*.jsonl")):
        try:
            group = endpoint_and_variant(path.relative_to(capture_dir).as_posix())
        except ValueError:
            continue
        with path.open("rb") as lines:
            groups[group].extend(read_capture(lines, stats))
    return dict(groups)


def load_baseline(model_dir: Path) -> dict[str, Any] | None:
    path = model_dir / BASELINE_FILENAME
    if not path.is_file():
        return None
    return check_baseline(json.loads(path.read_text()))


def verdict(name: str, value: float, config: DriftConfig) -> str:
    """What the cloud alarms would say: they fire above their threshold, not at it."""
    if name in ("ScorePsi", "LengthPsi"):
        if value > config.psi_alarm:
            return "ALARM"
        return "warning" if value > config.psi_warning else "ok"
    if name == "OovRate":
        return "ALARM" if value > config.oov_rate_alarm else "ok"
    return ""


def table(results: list[VariantDrift], config: DriftConfig) -> str:
    rows = []
    for drift in results:
        head = f"{drift.endpoint}/{drift.variant}: {drift.reviews:,} reviews"
        if drift.metrics is None:
            rows.append(f"{head}, fewer than min_reviews={config.min_reviews}: nothing published")
            continue
        rows.append(head)
        rows.append(f"  {'metric':<15}{'live':>10}{'baseline':>10}  verdict")
        for name in COLUMNS:
            live, base = drift.metrics[name], drift.baseline[name]
            rows.append(f"  {name:<15}{live:>10.4f}{base:>10.4f}  {verdict(name, live, config)}")
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("capture_dir", type=Path)
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument(
        "--variant-model",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="the model a variant serves, when not --model-dir (repeat)",
    )
    parser.add_argument("--stage", help="stage of cdk.json whose monitoring.drift applies")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = stage_config(cdk_json_context(), args.stage).monitoring.drift
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not args.capture_dir.is_dir():
        print(f"error: capture folder {args.capture_dir} does not exist", file=sys.stderr)
        return 2
    models = {name: Path(d) for name, _, d in (v.partition("=") for v in args.variant_model)}
    stats = CaptureStats()
    groups = read_capture_dir(args.capture_dir, stats)
    print(
        f"{stats.records:,} capture records, {stats.reviews:,} scored reviews; skipped: "
        f"{stats.malformed} malformed, {stats.unknown_encoding} of unknown encoding, "
        f"{stats.without_output} without output, {stats.unreadable} unreadable; "
        f"{stats.rejected_lines} rejected lines; {stats.model_cards} model-card calls"
    )
    results = []
    for (endpoint, variant), reviews in sorted(groups.items()):
        model_dir = models.get(variant, args.model_dir)
        try:
            baseline = load_baseline(model_dir)
        except (BaselineError, ValueError) as err:
            print(f"{endpoint}/{variant}: the baseline of {model_dir} is unusable: {err}")
            continue
        if baseline is None:
            print(
                f"{endpoint}/{variant}: model {model_dir} has no {BASELINE_FILENAME}; "
                "nothing to compare with (retrain it with the current train.py)"
            )
            continue
        results.append(variant_drift(endpoint, variant, reviews, baseline, config.min_reviews))
    if not groups:
        print(f"no capture files under {args.capture_dir}")
    print(table(results, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
