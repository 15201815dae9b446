"""Stages synthesised with serving overrides (variants, a shadow, Comprehend), each once
per test run and shared by every module that asks for it.

Each override sets values different from the defaults, so a test that finds them in a
template proves the template follows the configuration.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cfn_lint_support import assert_cfn_lint_clean
from synth_support import SynthesisedStage, synthesise

import app as cdk_app

CHALLENGER_PACKAGE = (
    "arn:aws:sagemaker:us-east-1:111122223333:model-package/reviews-prod-ml-sentiment/9"
)
VARIANTS: list[dict[str, Any]] = [
    {
        "name": "champion",
        "model_package_arn": "bootstrap",
        "weight": 0.9,
        "instance_type": "ml.m5.large",
        "min_instances": 1,
        "max_instances": 3,
    },
    {
        "name": "challenger",
        "model_package_arn": CHALLENGER_PACKAGE,
        "weight": 0.1,
        "instance_type": "ml.c5.large",
        "min_instances": 2,
        "max_instances": 4,
    },
]
SHADOW = {
    "name": "candidate",
    "model_package_arn": "bootstrap",
    "instance_type": "ml.c5.large",
    "instance_count": 1,
    "sampling_percent": 30,
}
OVERRIDES: dict[str, tuple[str, dict[str, Any]]] = {
    "variants": (
        "prod",
        {
            "variants": VARIANTS,
            "allow_target_variant": True,
            "uncertainty_threshold": 0.8,
            "traffic_shift": {"steps_percent": [20, 60, 100], "wait_minutes": 5},
        },
    ),
    "shadow": ("prod", {"shadow": SHADOW}),
    "comprehend": ("dev", {"backend": "comprehend"}),
}
_SYNTHESISED: dict[str, SynthesisedStage] = {}


def stages_with(stage: str, serving: dict[str, Any]) -> dict[str, Any]:
    """cdk.json's stages with `serving` overrides merged into one stage."""
    stages = copy.deepcopy(cdk_app.cdk_json_context()["stages"])
    stages[stage].setdefault("serving", {}).update(serving)
    return stages


def serving_stage(name: str, factory: pytest.TempPathFactory) -> SynthesisedStage:
    if name not in _SYNTHESISED:
        stage, serving = OVERRIDES[name]
        _SYNTHESISED[name] = synthesise(
            stage, factory.mktemp(f"cdk-{name}"), stages=stages_with(stage, serving)
        )
    return _SYNTHESISED[name]


def only(template, resource_type: str) -> tuple[str, dict]:
    """The one resource of a type: (logical id, properties)."""
    found = template.find_resources(resource_type)
    assert len(found) == 1, list(found)
    ((logical_id, resource),) = found.items()
    return logical_id, resource["Properties"]


def role_statements(template, prefix: str) -> list[dict]:
    """Every statement of the policies attached to the roles whose logical id starts so."""
    return [
        statement
        for logical_id, policy in template.find_resources("AWS::IAM::Policy").items()
        if logical_id.startswith(prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict) -> list[str]:
    found = statement["Action"]
    return sorted(found if isinstance(found, list) else [found])


def assert_clean(stage: SynthesisedStage) -> None:
    """cdk-nag found nothing unacknowledged and cfn-lint reports no error."""
    report = json.loads((stage.assembly_dir / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["violations"] == [], plugin["pluginName"]
    assert_cfn_lint_clean(stage.template_files())
