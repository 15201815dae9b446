"""Helpers for the training tests: a tiny synthetic review set and a script-mode runner.

The data is made here (a few dozen reviews from word lists) so the tests never touch the
real IMDb files. Small hash spaces keep the artifact and the run short.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAIN_SCRIPT = REPO_ROOT / "training" / "train.py"
RUN_TRAINING = REPO_ROOT / "local" / "run_training.py"
# Tiny feature spaces and networks: the recipe's defaults would write a 30 MB model per
# test run.
SMALL_MODEL_ARGS = [
    *("--word-bits", "14", "--char-bits", "12", "--word-c", "4", "--char-c", "4"),
    *("--network-word-features", "400", "--network-char-features", "300"),
    *("--network-hidden-units", "8", "--n-jobs", "1"),
]

_POSITIVE = ["wonderful", "brilliant", "moving", "superb", "delightful", "great", "loved"]
_NEGATIVE = ["awful", "boring", "dreadful", "terrible", "dull", "waste", "hated"]
_NEUTRAL = ["the film", "this movie", "the plot", "the acting", "the ending", "the cast"]


def make_reviews(n: int, seed: int) -> pd.DataFrame:
    """Balanced reviews whose sentiment follows from their adjectives, with HTML breaks."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        words = _POSITIVE if positive else _NEGATIVE
        text = (
            f"{rng.choice(_NEUTRAL).capitalize()} was {rng.choice(words)}.<br /><br />"
            f"Honestly {rng.choice(_NEUTRAL)} felt {rng.choice(words)} and "
            f"{rng.choice(words)}{rng.choice(['!', '.', '...'])}"
        )
        rows.append({"review": text, "sentiment": "positive" if positive else "negative"})
    return pd.DataFrame(rows)


def with_label(frame: pd.DataFrame) -> pd.DataFrame:
    """The ETL's curated form: review_id, review, sentiment, label."""
    out = frame.copy()
    out.insert(0, "review_id", [f"r{i:04d}" for i in range(len(out))])
    out["label"] = (out["sentiment"] == "positive").astype(int)
    return out


def run_train(
    tmp: Path,
    channels: dict[str, Path],
    *args: str,
    failure_dir: Path | None = None,
    script: Path = TRAIN_SCRIPT,
) -> subprocess.CompletedProcess:
    """Run train.py as SageMaker would: a fresh process configured by SM_* variables."""
    # A developer's own MLflow settings must not make tests log to their store.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SM_", "MLFLOW_")) and k != "PYTHONPATH"
    }
    env.update(
        {
            "SM_MODEL_DIR": str(tmp / "model"),
            "SM_OUTPUT_DATA_DIR": str(tmp / "output" / "data"),
            "SM_OUTPUT_DIR": str(failure_dir or tmp / "no-such-dir"),
        }
    )
    for name, folder in channels.items():
        env[f"SM_CHANNEL_{name.upper()}"] = str(folder)
    return subprocess.run(
        [sys.executable, str(script), *SMALL_MODEL_ARGS, *args],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )


def random_binary(rows: int, columns: int, density: float, seed: int) -> sparse.csr_matrix:
    """A reproducible binary float32 CSR matrix (a stand-in for hashed n-grams)."""
    matrix = sparse.random(rows, columns, density=density, random_state=seed, format="csr")
    matrix.data[:] = 1.0
    return matrix.astype(np.float32)
