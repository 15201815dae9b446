"""What the predict API reads from its environment, validated once at cold start.

The serving stack sets ENDPOINT_NAME, MODEL_VERSION, ALLOWED_ORIGIN, MAX_REVIEWS,
MAX_REVIEW_CHARS, MAX_BODY_BYTES, SAGEMAKER_READ_TIMEOUT, SAGEMAKER_MAX_RETRIES, BACKEND,
ALLOW_TARGET_VARIANT and VARIANTS from the stage configuration; the local server builds
the same mapping from the same stage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

_Number = TypeVar("_Number", int, float)
BackendName = Literal["sagemaker", "comprehend"]
BACKENDS: tuple[BackendName, ...] = ("sagemaker", "comprehend")


def _number_env(env: Mapping[str, str], name: str, default: _Number, minimum: _Number) -> _Number:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    kind = type(default)
    try:
        value = kind(raw)
    except ValueError as err:
        wanted = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {wanted}, got {raw!r}") from err
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {raw!r}")
    return value


def _backend_env(env: Mapping[str, str]) -> BackendName:
    raw = env.get("BACKEND", "").strip().lower() or "sagemaker"
    for backend in BACKENDS:
        if raw == backend:
            return backend
    raise ValueError(f"BACKEND must be one of {', '.join(BACKENDS)}, got {raw[:40]!r}")


def _flag_env(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in {"", "true", "false"}:
        raise ValueError(f"{name} must be true or false, got {raw[:40]!r}")
    return raw == "true"


def _names_env(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    endpoint_name: str = ""
    model_version: str = "unknown"
    allowed_origin: str = "*"
    # 64 keeps one call well inside a serverless endpoint's payload and time budget.
    max_reviews: int = 64
    # IMDb reviews: median 979 characters, 99th percentile 5,213, longest 13,704. The
    # stages raise this (cdk.json `max_review_chars`); this default serves bare imports.
    max_review_chars: int = 10_000
    # 1 MiB: far below API Gateway's 10 MB and SageMaker's 4 MB (serverless) payload limits.
    max_body_bytes: int = 1_048_576
    # DescribeEndpoint is a control-plane call with low rate limits: do not run it per ping.
    health_cache_seconds: float = 10.0
    connect_timeout_seconds: float = 2.0
    # API Gateway gives up after 29 s: (2 + 10) s x 2 attempts + backoff stays under it.
    read_timeout_seconds: float = 10.0
    max_retries: int = 1
    # New fields go last: tests read the first five positionally.
    backend: BackendName = "sagemaker"
    # Callers may pin a request to one of `variants` with X-Target-Variant (A/B stickiness).
    allow_target_variant: bool = False
    variants: tuple[str, ...] = ()
    # The model card changes only with a deployment: one endpoint call a minute is plenty.
    model_card_cache_seconds: float = 60.0

    @property
    def pinning_enabled(self) -> bool:
        """Comprehend has no variants, so a Comprehend stage never pins."""
        return self.allow_target_variant and self.backend == "sagemaker"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from environment variables; raise ValueError on a bad value."""
        return cls(
            endpoint_name=env.get("ENDPOINT_NAME", "").strip(),
            model_version=env.get("MODEL_VERSION", "").strip() or "unknown",
            allowed_origin=env.get("ALLOWED_ORIGIN", "").strip() or "*",
            max_reviews=_number_env(env, "MAX_REVIEWS", 64, 1),
            max_review_chars=_number_env(env, "MAX_REVIEW_CHARS", 10_000, 1),
            max_body_bytes=_number_env(env, "MAX_BODY_BYTES", 1_048_576, 1),
            read_timeout_seconds=_number_env(env, "SAGEMAKER_READ_TIMEOUT", 10.0, 0.1),
            max_retries=_number_env(env, "SAGEMAKER_MAX_RETRIES", 1, 0),
            backend=_backend_env(env),
            allow_target_variant=_flag_env(env, "ALLOW_TARGET_VARIANT"),
            variants=_names_env(env, "VARIANTS"),
        )
