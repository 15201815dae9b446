"""Session fixtures shared by every test module.

The CDK app is synthesised once per stage for the whole run (with cdk-nag attached,
so an unacknowledged finding fails every stack test at once).
"""

from __future__ import annotations

import pytest
from synth_support import STAGES, SynthesisedStage, synthesise


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory) -> dict[str, SynthesisedStage]:
    return {stage: synthesise(stage, tmp_path_factory.mktemp(f"cdk-{stage}")) for stage in STAGES}


@pytest.fixture(scope="session")
def dev(synthesised) -> SynthesisedStage:
    return synthesised["dev"]


@pytest.fixture(scope="session")
def prod(synthesised) -> SynthesisedStage:
    return synthesised["prod"]
