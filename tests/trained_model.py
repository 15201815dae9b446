"""A small trained model for the serving tests, the same on every machine.

It is trained once per test run through training/train.py's SageMaker script-mode
contract (SM_* variables) on the usable rows of the project's own sample
(data/sample/reviews.csv): no network, no shared datasets, no dependence on whatever
`make train` left in build/, about five seconds of CPU.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from model_artifact import is_model_dir
from review_labels import SENTIMENT_NAMES, parse_label

# Small hash spaces: the sample has a few hundred reviews, and a 2**23-column weight
# matrix would only make the fixture slower.
TINY_HYPERPARAMETERS = ["--word-bits", "16", "--char-bits", "16", "--word-ngram-max", "2"]


def write_clean_sample(source: Path, target: Path) -> int:
    """Copy the rows of a messy review,sentiment CSV that a trainer can use as they are."""
    target.parent.mkdir(parents=True, exist_ok=True)
    kept = 0
    with (
        # The sample holds deliberately broken bytes for the ETL; a fixture model does
        # not care about one replaced character.
        source.open(encoding="utf-8", errors="replace", newline="") as raw,
        target.open("w", encoding="utf-8", newline="") as clean,
    ):
        writer = csv.writer(clean)
        writer.writerow(["review", "sentiment"])
        for row in csv.reader(raw):
            if len(row) != 2:
                continue
            review, label = row[0].strip(), parse_label(row[1])
            if label is not None and len(review) >= 20:
                writer.writerow([review, SENTIMENT_NAMES[label]])
                kept += 1
    return kept


def train_tiny_model(repo_root: Path, workdir: Path) -> Path:
    """Train through train.py exactly as a SageMaker training job would call it."""
    train_channel = workdir / "channels" / "train"
    kept = write_clean_sample(
        repo_root / "data" / "sample" / "reviews.csv", train_channel / "reviews.csv"
    )
    if kept < 20:
        raise RuntimeError(f"only {kept} usable rows in data/sample/reviews.csv")
    model_dir = workdir / "model"
    output_dir = workdir / "output"
    (output_dir / "data").mkdir(parents=True, exist_ok=True)
    model_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SM_MODEL_DIR": str(model_dir),
        "SM_CHANNEL_TRAIN": str(train_channel),
        "SM_CHANNELS": "train",
        "SM_OUTPUT_DIR": str(output_dir),
        "SM_OUTPUT_DATA_DIR": str(output_dir / "data"),
    }
    for name in ("SM_CHANNEL_VALIDATION", "SM_CHANNEL_TEST"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(repo_root / "training" / "train.py"), *TINY_HYPERPARAMETERS],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or not is_model_dir(model_dir):
        raise RuntimeError(f"training the test model failed:\n{done.stdout}\n{done.stderr}")
    return model_dir
