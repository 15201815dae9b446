"""The AWS clients the API calls (SageMaker, Comprehend), injected so its logic runs
without AWS.

`BotoClients` builds boto3 clients on first use (the Lambda); `StaticClients` hands out
clients that already exist (fakes and botocore Stubbers in tests, the in-process model of
the local server).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from api_settings import Settings


# boto3's parameter names, as the API calls them.
class RuntimeClient(Protocol):
    def invoke_endpoint(
        self,
        *,
        EndpointName: str,  # noqa: N803
        Body: bytes,  # noqa: N803
        ContentType: str,  # noqa: N803
        Accept: str,  # noqa: N803
        TargetVariant: str = ...,  # noqa: N803
    ) -> Mapping[str, Any]: ...


class ControlClient(Protocol):
    def describe_endpoint(self, *, EndpointName: str) -> Mapping[str, Any]: ...  # noqa: N803


class ComprehendClient(Protocol):
    # botocore's client metadata: /health reads the region from it, calling nothing.
    meta: Any

    def batch_detect_sentiment(
        self,
        *,
        TextList: list[str],  # noqa: N803
        LanguageCode: str,  # noqa: N803
    ) -> Mapping[str, Any]: ...


class Clients(Protocol):
    """Hands out clients on demand, so a cold start only builds the ones a route uses."""

    def runtime(self) -> RuntimeClient: ...

    def sagemaker(self) -> ControlClient: ...

    def comprehend(self) -> ComprehendClient: ...


def _given(client: Any, name: str) -> Any:
    if client is None:
        # A backend asked for a client its stage does not use: a wiring bug, loudly.
        raise RuntimeError(f"no {name} client was configured")
    return client


@dataclass(frozen=True)
class StaticClients:
    runtime_client: RuntimeClient | None = None
    sagemaker_client: ControlClient | None = None
    comprehend_client: ComprehendClient | None = None

    def runtime(self) -> RuntimeClient:
        client: RuntimeClient = _given(self.runtime_client, "sagemaker-runtime")
        return client

    def sagemaker(self) -> ControlClient:
        client: ControlClient = _given(self.sagemaker_client, "sagemaker")
        return client

    def comprehend(self) -> ComprehendClient:
        client: ComprehendClient = _given(self.comprehend_client, "comprehend")
        return client


class BotoClients:
    """boto3 clients built on first use, then reused for the life of the environment.

    Building them lazily keeps the import free of region and credential lookups, and a
    cold start that only serves /predict never loads the large SageMaker control-plane
    model, and a SageMaker stage never loads Comprehend's (nor the other way round).
    boto3 itself is imported on first use too: it costs ~0.1 s, which the local twin and
    the tests (whose clients are injected) never need to pay. In Lambda the handler asks
    for its backend's client during init, so the cloud's cold start is as before.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # Lambda sets AWS_REGION; botocore itself only reads AWS_DEFAULT_REGION. None lets
        # botocore resolve the region as usual (profile, AWS_DEFAULT_REGION).
        self._region = os.environ.get("AWS_REGION") or None
        self._clients: dict[str, Any] = {}

    def _config(self) -> Any:
        from botocore.config import Config

        settings = self._settings
        return Config(
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
            # Standard mode retries throttling, 5xx and timeouts with jittered backoff;
            # max_attempts counts retries after the first call.
            retries={"max_attempts": settings.max_retries, "mode": "standard"},
        )

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(
                service, region_name=self._region, config=self._config()
            )
        return self._clients[service]

    def runtime(self) -> RuntimeClient:
        client: RuntimeClient = self._client("sagemaker-runtime")
        return client

    def sagemaker(self) -> ControlClient:
        client: ControlClient = self._client("sagemaker")
        return client

    def comprehend(self) -> ComprehendClient:
        # The same timeouts and standard retries: throttling that outlasts them is a 503.
        client: ComprehendClient = self._client("comprehend")
        return client
