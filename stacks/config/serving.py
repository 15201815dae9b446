"""The serving section: endpoint, API limits, backend, variants and traffic shifts."""

from __future__ import annotations

import dataclasses
from typing import Literal


@dataclasses.dataclass(frozen=True)
class VariantConfig:
    name: str
    # An approved registry package, or "bootstrap" for the locally trained artifact.
    model_package_arn: str
    weight: float
    instance_type: str
    min_instances: int
    max_instances: int


@dataclasses.dataclass(frozen=True)
class ShadowConfig:
    name: str
    model_package_arn: str
    instance_type: str
    instance_count: int
    # Share of production requests copied to the shadow variant.
    sampling_percent: int


@dataclasses.dataclass(frozen=True)
class TrafficShiftConfig:
    """A gated shift of traffic to one variant: these percentages, a wait after each."""

    steps_percent: tuple[int, ...]
    wait_minutes: int


@dataclasses.dataclass(frozen=True)
class ServingConfig:
    mode: Literal["serverless", "provisioned"]
    serverless_memory_mb: int
    serverless_max_concurrency: int
    instance_type: str
    initial_instance_count: int
    min_instance_count: int
    max_instance_count: int
    target_invocations_per_instance: int
    data_capture_percent: int
    # An approved package from the Model Registry; None serves the bootstrap artifact
    # that `make model` trains locally.
    model_package_arn: str | None
    lambda_reserved_concurrency: int | None
    lambda_memory_mb: int
    lambda_timeout_seconds: int
    max_reviews_per_request: int
    max_review_chars: int
    max_body_bytes: int
    throttle_rate_limit: float
    throttle_burst_limit: int
    quota_requests_per_day: int
    # "api_key": a public demo; the key only picks the usage plan (throttle, daily quota)
    # and is handed out by the page, so it authenticates nobody. "iam": private callers
    # sign requests with SigV4 and need execute-api:Invoke.
    auth: Literal["api_key", "iam"]
    waf_enabled: bool
    waf_rate_limit_per_5_minutes: int
    # "sagemaker": the project's model on its endpoint; "comprehend": Amazon Comprehend's
    # sentiment (the managed AI-service baseline), with no endpoint deployed.
    backend: Literal["sagemaker", "comprehend"]
    # Overrides the threshold the model ships (a prediction whose label probability is
    # below it is "uncertain"); None keeps the model's.
    uncertainty_threshold: float | None
    # Named production variants (champion, challenger) on one provisioned endpoint; empty
    # keeps the single variant.
    variants: tuple[VariantConfig, ...]
    # A variant that receives a copy of the traffic while only production answers.
    shadow: ShadowConfig | None
    # Callers may pin a request to a variant with a header (sticky A/B assignment).
    allow_target_variant: bool
    traffic_shift: TrafficShiftConfig

    @property
    def instance_types(self) -> tuple[str, ...]:
        """Every instance type the stage serves on: the endpoint's, its variants', its
        shadow's (a registered package lists them as its supported types)."""
        types = [self.instance_type, *(v.instance_type for v in self.variants)]
        if self.shadow is not None:
            types.append(self.shadow.instance_type)
        return tuple(dict.fromkeys(types))

    def request_limits_environment(self) -> dict[str, str]:
        """The predict handler's request limits as it reads them, in Lambda and locally."""
        return {
            "MAX_REVIEWS": str(self.max_reviews_per_request),
            "MAX_REVIEW_CHARS": str(self.max_review_chars),
            "MAX_BODY_BYTES": str(self.max_body_bytes),
        }
