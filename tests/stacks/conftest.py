"""A third synthesis of dev with every optional ML switch on, shared by the modules that
test those switches (one synthesis for all of them: each costs tens of seconds)."""

from __future__ import annotations

import copy

import pytest
from synth_support import SynthesisedStage, synthesise

import app as cdk_app

# Tuning, MLflow tracking and a batch-scoring schedule, all in one dev variant.
SWITCHES = {
    "training": {"tuning_enabled": True, "experiment_tracking": True},
    "batch": {"schedule": "cron(0 6 * * ? *)"},
}


@pytest.fixture(scope="session")
def dev_switched_on(tmp_path_factory) -> SynthesisedStage:
    stages = copy.deepcopy(cdk_app.cdk_json_context()["stages"])
    for section, values in SWITCHES.items():
        stages["dev"].setdefault(section, {}).update(values)
    return synthesise("dev", tmp_path_factory.mktemp("cdk-dev-switched-on"), stages=stages)
