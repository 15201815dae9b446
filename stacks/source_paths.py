"""Where the stacks find the code and files they ship: one place, from this file's path."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMON = REPO_ROOT / "common"
GLUE_JOBS = REPO_ROOT / "glue_jobs"
TRAINING = REPO_ROOT / "training"
PREDICT_LAMBDA = REPO_ROOT / "lambda" / "predict"
WEB = REPO_ROOT / "web"
BUILD = REPO_ROOT / "build"
