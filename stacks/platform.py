"""Wires the stacks of one stage together; objects pass between them, never strings."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from stacks.config import StageConfig
from stacks.data_lake import DataLakeStack


@dataclass(frozen=True)
class Platform:
    data_lake: DataLakeStack


def build_platform(app: cdk.App, config: StageConfig) -> Platform:
    description = f"{config.project} ({config.stage})"
    data_lake = DataLakeStack(
        app,
        config.stack_id("data-lake"),
        config=config.data_lake,
        description=f"{description}: data lake buckets, KMS key, Glue database, Athena workgroup",
    )
    return Platform(data_lake=data_lake)
