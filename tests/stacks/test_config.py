"""Stage configuration: cdk.json context becomes a typed, validated, frozen object."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import aws_cdk as cdk
import pytest

import app as cdk_app
from stacks.config import ConfigError, deep_merge, load_stage_config, stage_config


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


def _leaf_keys(cls, prefix: str = "") -> list[str]:
    keys = []
    for field in dataclasses.fields(cls):
        hint = typing.get_type_hints(cls)[field.name]
        if dataclasses.is_dataclass(hint):
            keys += _leaf_keys(hint, f"{prefix}{field.name}.")
        else:
            keys.append(f"{prefix}{field.name}")
    return keys


def test_readme_configuration_reference_names_every_key():
    from stacks.config import StageConfig

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    reference = readme.split("## Configuration reference", 1)[1]
    missing = []
    for key in _leaf_keys(StageConfig):
        if key in {"project", "stage"}:
            continue
        leaf = key.rsplit(".", 1)[-1]
        section = key.split(".", 1)[0]
        if (
            section == "data_lake"
            and ".lifecycle." in f".{key}."
            and leaf
            in {
                "infrequent_access_days",
                "glacier_days",
                "expire_days",
            }
        ):
            continue  # documented once for every layer
        if f"`{key}`" not in reference and leaf not in reference:
            missing.append(key)
    assert missing == []


def _stage_with(**overrides):
    import copy

    context = copy.deepcopy(cdk_app.cdk_json_context())
    prod = context["stages"]["prod"]
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        prod.setdefault(section, {})[key] = value
    return stage_config(context, "prod")


VARIANT = {
    "name": "champion",
    "model_package_arn": "bootstrap",
    "weight": 1.0,
    "instance_type": "ml.m5.large",
    "min_instances": 1,
    "max_instances": 2,
}


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"serving.uncertainty_threshold": 0.5}, "serving.uncertainty_threshold"),
        ({"serving.uncertainty_threshold": 1.0}, "serving.uncertainty_threshold"),
        ({"serving.backend": "rekognition"}, "serving.backend"),
        ({"serving.variants": [VARIANT, VARIANT]}, "serving.variants"),
        ({"serving.variants": [{**VARIANT, "weight": 0.0}]}, "weight"),
        ({"serving.variants": [VARIANT], "serving.mode": "serverless"}, "serverless"),
        (
            {
                "serving.variants": [VARIANT, {**VARIANT, "name": "challenger"}],
                "serving.shadow": {
                    "name": "shadow",
                    "model_package_arn": "bootstrap",
                    "instance_type": "ml.m5.large",
                    "instance_count": 1,
                    "sampling_percent": 50,
                },
            },
            "serving.shadow",
        ),
        ({"serving.traffic_shift": {"steps_percent": [50, 25, 100], "wait_minutes": 5}}, "steps"),
        ({"training.uncertainty_target_accuracy": 0.4}, "uncertainty_target_accuracy"),
    ],
)
def test_serving_and_training_rules_name_the_key(overrides, key):
    with pytest.raises(ConfigError, match=key):
        _stage_with(**overrides)


def test_two_named_variants_on_a_provisioned_stage_are_accepted():
    config = _stage_with(
        **{"serving.variants": [VARIANT, {**VARIANT, "name": "challenger", "weight": 0.25}]}
    )
    assert [v.name for v in config.serving.variants] == ["champion", "challenger"]
    assert config.serving.variants[1].weight == 0.25
