"""A whole stage's configuration: read from CDK context, typed, checked.

`app.py` is the only reader of CDK context; the local twins read the same `cdk.json`
through `cdk_json_context`. Both call `stage_config`, which merges `defaults` with the
chosen stage's overrides and hands the result to `load_stage_config`, which turns
plain JSON into dataclasses (`stacks.typed_json`) and checks the rules that types alone
cannot express (`stacks.config.checks`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stacks.config.checks import check_stage
from stacks.config.sections import (
    BatchConfig,
    CicdConfig,
    DataLakeConfig,
    EtlConfig,
    MonitoringConfig,
    TrainingConfig,
)
from stacks.config.serving import ServingConfig
from stacks.typed_json import ConfigError, build, deep_merge

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"


@dataclasses.dataclass(frozen=True)
class StageConfig:
    project: str
    stage: str
    data_lake: DataLakeConfig
    etl: EtlConfig
    training: TrainingConfig
    serving: ServingConfig
    monitoring: MonitoringConfig
    cicd: CicdConfig
    batch: BatchConfig

    def stack_id(self, component: str) -> str:
        """`reviews-dev-data-lake`: project, stage and component, as the README promises."""
        return f"{self.project}-{self.stage}-{component}"

    @property
    def tags(self) -> dict[str, str]:
        return {"project": self.project, "stage": self.stage, "managed-by": "aws-cdk"}


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The context block of `cdk.json`: what the CDK CLI hands the app."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    return context


def stage_config(context: Mapping[str, Any], stage: str | None = None) -> StageConfig:
    """One stage's configuration from a context block (`stage` defaults to its own)."""
    stage = stage if stage is not None else context.get("stage")
    stages = context.get("stages") or {}
    if stage not in stages or stage == "defaults":
        choices = sorted(name for name in stages if name != "defaults")
        raise ConfigError(f"unknown stage {stage!r}; choose one of {choices} with -c stage=...")
    merged = deep_merge(stages.get("defaults", {}), stages[stage])
    merged = {"project": context.get("project"), "stage": stage, **merged}
    # A CD pipeline promotes an approved model without editing cdk.json:
    # `npx cdk deploy -c model_package_arn=arn:...`.
    package_arn = context.get("model_package_arn")
    if package_arn:
        merged = deep_merge(merged, {"serving": {"model_package_arn": package_arn}})
    return load_stage_config(merged)


def load_stage_config(raw: Mapping[str, Any]) -> StageConfig:
    """Build a StageConfig from merged context values, or raise ConfigError."""
    config = build(StageConfig, raw, "stage")
    check_stage(config)
    return config
