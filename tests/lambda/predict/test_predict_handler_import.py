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


def bundle_layout(target: Path) -> Path:
    """Lay out the function's own files as the serving stack bundles them."""
    target.mkdir()
    for source in (REPO_ROOT / "lambda" / "predict").glob("*.py"):
        shutil.copy(source, target)
    # The files of common/ the serving stack ships flat beside them.
    from stacks.constructs.serving.predict_function import SHARED_FILES

    for name in SHARED_FILES:
        shutil.copy(REPO_ROOT / "common" / name, target)
    return target


def import_in_fresh_process(tmp_path: Path, code: str, **environment: str) -> list[str]:
    """Run `code` in a fresh interpreter whose path holds the bundle's files alone and
    whose environment has no AWS settings but `environment`; return its printed words."""
    bundle = bundle_layout(tmp_path / "bundle")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "LAMBDA_", "_X_AMZN"))
    }
    env.update(
        {
            "PYTHONPATH": str(bundle),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            **environment,
        }
    )
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
    return done.stdout.split()


def test_importing_the_handler_needs_no_region_or_credentials(tmp_path):
    """A fresh interpreter with no AWS settings at all imports and configures the handler,
    with nothing of the repository on its path but the bundle's files."""
    code = "import handler; print(handler.SETTINGS.max_reviews, handler.SETTINGS.max_review_chars)"
    assert import_in_fresh_process(tmp_path, code) == ["64", "10000"]


# What the import must leave alone outside Lambda: boto3 loads with the first client,
# and the X-Ray SDK (whose recorder builds a botocore client on import) only in Lambda.
COLD_START_PROBE = (
    "import sys, handler; "
    "print(handler.tracer is not None, *(name in sys.modules for name in "
    "('boto3', 'botocore.session', 'aws_xray_sdk', 'sqlalchemy')))"
)


def test_outside_lambda_the_import_loads_neither_boto3_nor_xray(tmp_path):
    """The cheap stand-in for the 0.3 s import goal (bench/handler_import.py times it)."""
    assert import_in_fresh_process(tmp_path, COLD_START_PROBE) == ["False"] * 5


def test_in_lambda_the_tracer_patches_botocore_alone(tmp_path):
    """In Lambda the tracer is built at init and traces the SageMaker calls (botocore);
    it patches nothing else, so no other library is imported to be patched."""
    probe = (
        COLD_START_PROBE + "; from aws_xray_sdk.core.patcher import _PATCHED_MODULES; "
        "print(sorted(_PATCHED_MODULES))"
    )
    words = import_in_fresh_process(
        tmp_path,
        probe,
        LAMBDA_TASK_ROOT=str(tmp_path / "bundle"),
        AWS_LAMBDA_FUNCTION_NAME="predict-test",
        AWS_REGION="eu-west-1",
        AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
    )
    # The runtime client is built during init, so boto3 is loaded; SQLAlchemy is not.
    assert words == ["True", "True", "True", "True", "False", "['botocore']"]


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


def test_a_comprehend_stage_builds_only_its_client_and_only_in_lambda(tmp_path):
    (tmp_path / "lambda").mkdir()
    probe = (
        "import sys, handler; print(handler._service.name, 'boto3' in sys.modules, "
        "*sorted(handler._service.clients._clients))"
    )
    assert import_in_fresh_process(tmp_path, probe, BACKEND="comprehend") == [
        "comprehend",
        "False",
    ]
    in_lambda = import_in_fresh_process(
        tmp_path / "lambda",
        probe,
        BACKEND="comprehend",
        AWS_LAMBDA_FUNCTION_NAME="predict-test",
        AWS_REGION="eu-west-1",
    )
    # The Comprehend client is built during init; SageMaker's are never built.
    assert in_lambda == ["comprehend", "True", "comprehend"]


def test_backend_and_pinning_settings_are_read_and_checked():
    settings = Settings.from_env(
        {"BACKEND": " Comprehend ", "ALLOW_TARGET_VARIANT": "TRUE", "VARIANTS": " a, b ,,"}
    )
    assert (settings.backend, settings.allow_target_variant, settings.variants) == (
        "comprehend",
        True,
        ("a", "b"),
    )
    # Comprehend has no variants: a stage that says otherwise still pins nothing.
    assert settings.pinning_enabled is False
    defaults = Settings.from_env({})
    assert (defaults.backend, defaults.allow_target_variant, defaults.variants) == (
        "sagemaker",
        False,
        (),
    )
    with pytest.raises(ValueError, match="BACKEND"):
        Settings.from_env({"BACKEND": "bedrock"})
    with pytest.raises(ValueError, match="ALLOW_TARGET_VARIANT"):
        Settings.from_env({"ALLOW_TARGET_VARIANT": "yes"})
