"""Stage configuration: cdk.json context becomes a typed, validated, frozen object."""

from __future__ import annotations

import dataclasses

import aws_cdk as cdk
import pytest

import app as cdk_app
from stacks.config import ConfigError, deep_merge, load_stage_config


def _merged(stage: str, **overrides) -> dict:
    stages = cdk_app.cdk_json_context()["stages"]
    merged = deep_merge(stages["defaults"], stages[stage])
    return deep_merge({"project": "reviews", "stage": stage, **merged}, overrides)


def test_prod_overrides_defaults_and_dev_keeps_them():
    dev = load_stage_config(_merged("dev"))
    prod = load_stage_config(_merged("prod"))
    assert (dev.serving.mode, prod.serving.mode) == ("serverless", "provisioned")
    assert (dev.data_lake.retain_data, prod.data_lake.retain_data) == (False, True)
    assert prod.training.approval_status == "PendingManualApproval"
    # untouched by prod, so inherited from defaults
    assert prod.etl.max_chars == dev.etl.max_chars


def test_config_is_frozen():
    config = load_stage_config(_merged("dev"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.stage = "prod"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"etl": {"worker_typo": "G.1X"}}, "unknown keys"),
        ({"etl": {"number_of_workers": "two"}}, "expected int"),
        ({"serving": {"mode": "spot"}}, "is not one of"),
        ({"serving": {"serverless_memory_mb": 1500}}, "1024 MB steps"),
        ({"training": {"max_wait_seconds": 10}}, "max_wait_seconds"),
        ({"etl": {"validation_percent": 60, "test_percent": 40}}, "below 100"),
    ],
)
def test_bad_values_fail_with_the_offending_path(override, message):
    with pytest.raises(ConfigError, match=message):
        load_stage_config(_merged("dev", **override))


def test_unknown_stage_is_rejected_with_the_choices():
    app = cdk.App(context={**cdk_app.cdk_json_context(), "stage": "qa"})
    with pytest.raises(ConfigError, match=r"\['dev', 'prod'\]"):
        cdk_app.read_stage_config(app)


def test_model_package_arn_from_the_command_line_reaches_serving():
    arn = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/reviews/3"
    app = cdk.App(context={**cdk_app.cdk_json_context(), "model_package_arn": arn})
    assert cdk_app.read_stage_config(app).serving.model_package_arn == arn
