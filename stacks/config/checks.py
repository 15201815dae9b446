"""Rules across fields that types alone cannot express; each names the key it is about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stacks.typed_json import ConfigError

if TYPE_CHECKING:
    from stacks.config.stage import StageConfig


def check_stage(config: StageConfig) -> None:
    _check_training(config)
    _check_etl(config)
    _check_serving(config)
    _check_variants(config)
    _check_operations(config)


def _check_training(config: StageConfig) -> None:
    training = config.training
    if training.use_spot and training.max_wait_seconds < training.max_runtime_seconds:
        raise ConfigError("training.max_wait_seconds must be >= max_runtime_seconds with spot")
    if not 0.0 < training.accuracy_threshold < 1.0:
        raise ConfigError("training.accuracy_threshold must be between 0 and 1")
    if not 0.5 < training.uncertainty_target_accuracy < 1.0:
        raise ConfigError("training.uncertainty_target_accuracy must be between 0.5 and 1")


def _check_etl(config: StageConfig) -> None:
    etl = config.etl
    if etl.validation_percent + etl.test_percent >= 100:
        raise ConfigError("etl.validation_percent + etl.test_percent must stay below 100")
    if not 0.0 <= etl.max_quarantine_share <= 1.0:
        raise ConfigError("etl.max_quarantine_share must be a share between 0 and 1")


def _check_serving(config: StageConfig) -> None:
    serving = config.serving
    if not (
        1024 <= serving.serverless_memory_mb <= 6144 and serving.serverless_memory_mb % 1024 == 0
    ):
        raise ConfigError("serving.serverless_memory_mb must be 1024..6144 in 1024 MB steps")
    if not 1 <= serving.serverless_max_concurrency <= 200:
        raise ConfigError("serving.serverless_max_concurrency must be 1..200")
    if (
        not serving.min_instance_count
        <= serving.initial_instance_count
        <= serving.max_instance_count
    ):
        raise ConfigError("serving: min <= initial <= max instance count")
    if not 0 <= serving.data_capture_percent <= 100:
        raise ConfigError("serving.data_capture_percent must be 0..100")
    threshold = serving.uncertainty_threshold
    if threshold is not None and not 0.5 < threshold < 1.0:
        raise ConfigError("serving.uncertainty_threshold must be between 0.5 and 1 (exclusive)")
    steps = serving.traffic_shift.steps_percent
    if not steps or list(steps) != sorted(set(steps)) or steps[0] <= 0 or steps[-1] != 100:
        raise ConfigError(
            "serving.traffic_shift.steps_percent must rise strictly from above 0 to 100"
        )


def _check_variants(config: StageConfig) -> None:
    serving = config.serving
    if not serving.variants and serving.shadow is None:
        return
    if serving.backend == "comprehend":
        raise ConfigError("serving.variants/shadow: a comprehend stage deploys no endpoint")
    if serving.mode == "serverless":
        raise ConfigError(
            "serving.variants/shadow: serverless endpoints allow one variant; "
            "set serving.mode to provisioned"
        )
    names = [v.name for v in serving.variants]
    if serving.shadow is not None:
        names.append(serving.shadow.name)
        if len(serving.variants) > 1:
            raise ConfigError(
                "serving.shadow: an endpoint with a shadow holds exactly one production variant"
            )
    if len(set(names)) != len(names) or not all(names):
        raise ConfigError(f"serving.variants: names must be unique and non-empty, got {names}")
    weights = [v.weight for v in serving.variants]
    if any(w < 0 for w in weights) or (weights and sum(weights) <= 0):
        raise ConfigError("serving.variants[].weight: weights must be >= 0 with a positive sum")
    for index, variant in enumerate(serving.variants):
        if not 1 <= variant.min_instances <= variant.max_instances:
            raise ConfigError(f"serving.variants[{index}]: 1 <= min_instances <= max_instances")
    if serving.shadow is not None and not 0 < serving.shadow.sampling_percent <= 100:
        raise ConfigError("serving.shadow.sampling_percent must be 1..100")


def _check_operations(config: StageConfig) -> None:
    drift = config.monitoring.drift
    if not 0 < drift.psi_warning < drift.psi_alarm:
        raise ConfigError("monitoring.drift: 0 < psi_warning < psi_alarm")
    batch = config.batch
    if batch.instance_count < 1 or not 1 <= batch.max_payload_mb <= 100:
        raise ConfigError("batch: instance_count >= 1 and max_payload_mb in 1..100")
