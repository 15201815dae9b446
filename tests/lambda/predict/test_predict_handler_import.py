"""The handler imports offline, from its bundle alone, and validates its environment once."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api_settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[3]
# The Lambda asset: lambda/predict/*.py with these files of common/ flat beside them.
BUNDLED_COMMON = ("text_normalization.py", "predict_request.py", "predict_request.schema.json")


def bundle_layout(target: Path) -> Path:
    """Lay out the function's own files as the serving stack bundles them."""
    target.mkdir()
    for source in (REPO_ROOT / "lambda" / "predict").glob("*.py"):
        shutil.copy(source, target)
    for name in BUNDLED_COMMON:
        shutil.copy(REPO_ROOT / "common" / name, target)
    return target


def test_importing_the_handler_needs_no_region_or_credentials(tmp_path):
    """A fresh interpreter with no AWS settings at all imports and configures the handler,
    with nothing of the repository on its path but the bundle's files."""
    bundle = bundle_layout(tmp_path / "bundle")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "PYTHONPATH": str(bundle),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        }
    )
    code = "import handler; print(handler.SETTINGS.max_reviews, handler.SETTINGS.max_review_chars)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["64", "10000"]


def test_settings_are_rejected_at_import_when_malformed():
    with pytest.raises(ValueError, match="MAX_REVIEWS"):
        Settings.from_env({"MAX_REVIEWS": "lots"})
    with pytest.raises(ValueError, match="SAGEMAKER_READ_TIMEOUT"):
        Settings.from_env({"SAGEMAKER_READ_TIMEOUT": "0"})
    settings = Settings.from_env(
        {
            "ENDPOINT_NAME": " ep ",
            "MAX_REVIEWS": "8",
            "SAGEMAKER_MAX_RETRIES": "0",
            "ALLOWED_ORIGIN": "https://d1.cloudfront.net",
        }
    )
    assert dataclasses.astuple(settings)[:5] == (
        "ep",
        "unknown",
        "https://d1.cloudfront.net",
        8,
        10_000,
    )
    assert settings.max_retries == 0
