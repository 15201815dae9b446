"""Benchmark the local twin of the Glue ETL job on the full IMDb data (50,000 reviews).

    .venv/bin/python bench/etl.py [--data ../shared/datasets/imdb] [--runs 3]

Each run is a fresh ``python glue_jobs/clean_reviews.py --local`` process, so Spark's
start-up is included, as it is for a user. The two input files are the original
train/test split of the dataset, so the job is given ``--split-from-filename``: every
``test.csv.gz`` review that survives cleaning lands in the test channel, duplicates across
the two files keep their test copy, and validation is carved from train only.
The data is read where it lies; nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT / "glue_jobs" / "clean_reviews.py"
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "imdb"
FILES = ("train.csv.gz", "test.csv.gz")


def run_once(inputs: list[Path], output: Path, extra: list[str]) -> tuple[float, dict]:
    command = [
        sys.executable,
        str(JOB),
        "--local",
        "--input",
        *map(str, inputs),
        "--output",
        str(output),
        "--split-from-filename",
        *extra,
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"ETL run failed with exit code {done.returncode}")
    return seconds, json.loads((output / "summary.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, help="output directory (default: a temp dir)")
    parser.add_argument("extra", nargs="*", help="more job options, after --")
    args = parser.parse_args()
    inputs = [args.data / name for name in FILES]
    missing = [str(p) for p in inputs if not p.is_file()]
    if missing:
        raise SystemExit(f"missing benchmark data: {', '.join(missing)}")

    with tempfile.TemporaryDirectory(prefix="etl-bench-") as scratch:
        output = args.output or Path(scratch) / "out"
        timings = []
        summary: dict = {}
        for number in range(1, args.runs + 1):
            seconds, summary = run_once(inputs, output, args.extra)
            timings.append(seconds)
            rate = summary["input_rows"] / seconds
            print(f"run {number}: {seconds:.1f} s, {rate:,.0f} rows/s", flush=True)
    median = statistics.median(timings)
    print(
        f"median of {len(timings)}: {median:.1f} s, "
        f"{summary['input_rows'] / median:,.0f} rows/s (Spark start-up included)"
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
