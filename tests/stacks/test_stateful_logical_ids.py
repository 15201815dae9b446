"""Stateful resources keep their logical ids: a changed id makes CloudFormation replace
the resource, and a replaced bucket, key, catalog or registry in a real account is lost
data. The ids are pinned in stateful_logical_ids.json; a refactor that moves one fails
here (keep it in its stack's scope, or `override_logical_id` to the pinned id)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PINNED = json.loads((Path(__file__).with_name("stateful_logical_ids.json")).read_text())
STATEFUL_TYPES = {
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::Glue::Database",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::Athena::WorkGroup",
    "AWS::Logs::LogGroup",
    "AWS::SageMaker::MlflowApp",
}


@pytest.mark.parametrize("stage_name", sorted(PINNED))
def test_pinned_stateful_resources_keep_their_logical_ids(synthesised, stage_name):
    stage = synthesised[stage_name]
    for component, pinned in PINNED[stage_name].items():
        resources = stage.template(component).to_json()["Resources"]
        for logical_id, resource_type in pinned.items():
            assert logical_id in resources, f"{component}: {logical_id} would be replaced"
            assert resources[logical_id]["Type"] == resource_type


@pytest.mark.parametrize("stage_name", sorted(PINNED))
def test_every_stateful_resource_is_pinned(synthesised, stage_name):
    """A new stateful resource is added to the list on purpose, not by accident."""
    stage = synthesised[stage_name]
    for path in stage.template_files():
        prefix = f"{stage.config.project}-{stage.config.stage}-"
        component = path.name.removesuffix(".template.json").removeprefix(prefix)
        resources = json.loads(path.read_text())["Resources"]
        stateful = {k for k, v in resources.items() if v["Type"] in STATEFUL_TYPES}
        assert stateful <= set(PINNED[stage_name].get(component, {})), component
