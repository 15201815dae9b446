"""Session fixtures shared by every test module.

The CDK app is synthesised once per stage for the whole run (with cdk-nag attached,
so an unacknowledged finding fails every stack test at once), and one small model is
trained once for every test that serves predictions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from synth_support import STAGES, SynthesisedStage, synthesise
from trained_model import train_tiny_model

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory) -> dict[str, SynthesisedStage]:
    return {stage: synthesise(stage, tmp_path_factory.mktemp(f"cdk-{stage}")) for stage in STAGES}


@pytest.fixture(scope="session")
def dev(synthesised) -> SynthesisedStage:
    return synthesised["dev"]


@pytest.fixture(scope="session")
def prod(synthesised) -> SynthesisedStage:
    return synthesised["prod"]


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model trained once per run (serving, local twin and web page tests)."""
    return train_tiny_model(REPO_ROOT, tmp_path_factory.mktemp("trained-model"))
