"""Benchmark `cdk synth` of a stage against a CDK app with one bucket, side by side.

    .venv/bin/python bench/synth.py [--stage prod] [--runs 5]

Each run is a fresh `npx cdk synth` process (the CLI, the Python app, jsii and cdk-nag
start from nothing, as in CI). The baseline app is written to a temporary folder: one
stack, one bucket, the same CLI and Python; the ratio says how much of the time is this
platform rather than the CDK itself. Runs alternate between the two, so a busy machine
slows both alike; the figures are medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_BUCKET_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
app = cdk.App()
s3.Bucket(cdk.Stack(app, "OneBucket"), "Bucket")
app.synth()
"""


def _synth_seconds(cwd: Path, args: list[str], outdir: Path) -> float:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    command = [
        "npx",
        "--no-install",
        "--prefix",
        str(ROOT),
        "cdk",
        "synth",
        "--quiet",
        *args,
        "-o",
        str(outdir),
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        baseline = Path(tmp) / "one-bucket"
        baseline.mkdir()
        (baseline / "app.py").write_text(ONE_BUCKET_APP)
        (baseline / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
        platform_times, baseline_times = [], []
        for run in range(args.runs):
            out = Path(tmp) / f"out-{run}"
            platform_times.append(_synth_seconds(ROOT, ["-c", f"stage={args.stage}"], out / "p"))
            baseline_times.append(_synth_seconds(baseline, [], out / "b"))
    platform, one_bucket = statistics.median(platform_times), statistics.median(baseline_times)
    print(
        f"npx cdk synth -c stage={args.stage}: median {platform:.1f} s "
        f"({min(platform_times):.1f}-{max(platform_times):.1f}, {args.runs} runs)"
    )
    print(
        f"one-bucket app:                 median {one_bucket:.1f} s "
        f"({min(baseline_times):.1f}-{max(baseline_times):.1f})"
    )
    print(f"ratio: {platform / one_bucket:.2f} (goal <= 1.6)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
