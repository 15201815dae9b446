"""Typed, frozen stage configuration: the only shape in which settings reach the stacks."""

from stacks.config.sections import (
    AlarmThresholds,
    BatchConfig,
    CicdConfig,
    DataLakeConfig,
    DriftConfig,
    EtlConfig,
    LayerLifecycle,
    LifecycleConfig,
    MonitoringConfig,
    TrainingConfig,
)
from stacks.config.serving import ServingConfig, ShadowConfig, TrafficShiftConfig, VariantConfig
from stacks.config.stage import (
    CDK_JSON,
    StageConfig,
    cdk_json_context,
    load_stage_config,
    stage_config,
)
from stacks.typed_json import ConfigError, deep_merge

__all__ = [
    "CDK_JSON",
    "AlarmThresholds",
    "BatchConfig",
    "CicdConfig",
    "ConfigError",
    "DataLakeConfig",
    "DriftConfig",
    "EtlConfig",
    "LayerLifecycle",
    "LifecycleConfig",
    "MonitoringConfig",
    "ServingConfig",
    "ShadowConfig",
    "StageConfig",
    "TrafficShiftConfig",
    "TrainingConfig",
    "VariantConfig",
    "cdk_json_context",
    "deep_merge",
    "load_stage_config",
    "stage_config",
]
