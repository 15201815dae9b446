"""The SageMaker endpoint's local twin: the serving functions of `inference.py`, in process.

`LocalRuntime` answers `invoke_endpoint` and `describe_endpoint` the way boto3's
sagemaker-runtime and sagemaker clients do, so `lambda/predict/handler.py` runs
unchanged against a locally trained model, loaded and served as the scikit-learn serving
container does (`model_container`); a missing or ``*/*`` Accept becomes
``application/json``.

Errors come back as botocore `ClientError`s shaped like SageMaker's: a 4xx answer is a
``ModelError`` with that ``OriginalStatusCode`` and the answer's body as
``OriginalMessage``, an exception inside the model a ``ModelError`` with 500 (the
traceback as message), and an unknown endpoint name a ``ValidationError`` "... not
found", so the handler's error mapping is exercised locally.

Variants: given several `VariantSpec`s, the runtime loads each model and routes every
call as SageMaker does (`variant_router`): by weight, or to the variant a caller names
in ``TargetVariant`` (an unknown name is a ``ValidationError``), and names the one that
answered in ``InvokedProductionVariant``. Optionally each call is written to a data
capture folder (`data_capture`) and to a request log (`request_log`).
"""

from __future__ import annotations

import dataclasses
import io
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError
from botocore.response import StreamingBody

# common/ (review_labels, for the request log) when run from a script.
import repo_paths  # noqa: F401

# isort: split
from data_capture import CaptureWriter
from model_container import ContainerAnswer, load_model, run_container
from request_log import RequestLog
from variant_router import VariantRouter, VariantSpec

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO_ROOT / "build" / "model" / "model"
DEFAULT_ENDPOINT_NAME = "local-endpoint"
VARIANT_NAME = "AllTraffic"
_ACCOUNT = "000000000000"
_REGION = "local"

# The Accept the container substitutes for a missing or "*/*" one
# (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT).
_DEFAULT_ACCEPT = "application/json"


def _client_error(
    operation: str, code: str, message: str, http_status: int, **modeled: Any
) -> ClientError:
    """A ClientError as botocore parses it, modeled fields (OriginalStatusCode...) on top."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": http_status, "HTTPHeaders": {}},
    }
    response.update(modeled)
    return ClientError(response, operation)


@dataclasses.dataclass(frozen=True)
class _LoadedVariant:
    spec: VariantSpec
    inference: ModuleType
    model: Any


class LocalRuntime:
    """A boto3-shaped sagemaker-runtime *and* sagemaker client over in-process models."""

    def __init__(
        self,
        model_dir: Path | str = DEFAULT_MODEL_DIR,
        endpoint_name: str = DEFAULT_ENDPOINT_NAME,
        *,
        variants: Sequence[VariantSpec] = (),
        seed: int | None = None,
        capture: CaptureWriter | None = None,
        request_log: RequestLog | None = None,
    ) -> None:
        specs = list(variants) or [VariantSpec(VARIANT_NAME, Path(model_dir))]
        self.router = VariantRouter(specs, seed)
        self.variants: dict[str, _LoadedVariant] = {}
        for spec in specs:
            resolved = dataclasses.replace(spec, model_dir=spec.model_dir.resolve())
            self.variants[spec.name] = _LoadedVariant(resolved, *load_model(resolved.model_dir))
        self.endpoint_name = endpoint_name
        # The first variant stands for "the model" where one is meant (version, benchmarks).
        primary = self.variants[specs[0].name]
        self.model_dir = primary.spec.model_dir
        self.inference, self.model = primary.inference, primary.model
        self.capture = capture
        self.request_log = request_log

    @property
    def model_version(self) -> str:
        """A version label for answers: when the model artefact was written."""
        metadata = self.model_dir / "model.json"
        artefact = metadata if metadata.is_file() else self.model_dir
        written = datetime.fromtimestamp(artefact.stat().st_mtime, tz=UTC)
        return "local-" + written.strftime("%Y%m%dT%H%MZ")

    def _check_endpoint(self, operation: str, name: str) -> None:
        if name != self.endpoint_name:
            raise _client_error(
                operation,
                "ValidationError",
                f"Endpoint {name} of account {_ACCOUNT} not found.",
                400,
            )

    def _route(self, target: str | None) -> _LoadedVariant:
        try:
            return self.variants[self.router.choose(target)]
        except KeyError:
            # The wording is ours; SageMaker answers a ValidationError (400) here too.
            message = f"Variant {target} not found for endpoint {self.endpoint_name}."
            raise _client_error("InvokeEndpoint", "ValidationError", message, 400) from None

    def _record(
        self,
        variant: str,
        answer: ContainerAnswer,
        latency_ms: float,
        body: bytes,
        content_type: str,
    ) -> None:
        if self.request_log is not None:
            self.request_log.record(
                endpoint=self.endpoint_name,
                variant=variant,
                latency_ms=latency_ms,
                status=answer.status,
                error_code=answer.error_code,
                payload=answer.payload,
                content_type=answer.content_type,
            )
        # Only answered calls are captured: the drift job needs both sides.
        if self.capture is not None and answer.status == 200:
            self.capture.write(
                variant=variant,
                request=body,
                request_type=content_type,
                response=answer.payload,
                response_type=answer.content_type,
            )

    def invoke_endpoint(
        self,
        *,
        EndpointName: str,  # noqa: N803 (boto3's parameter names)
        Body: bytes | str,  # noqa: N803
        ContentType: str = "application/json",  # noqa: N803
        Accept: str = "application/json",  # noqa: N803
        TargetVariant: str | None = None,  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        self._check_endpoint("InvokeEndpoint", EndpointName)
        variant = self._route(TargetVariant)
        name = variant.spec.name
        body = Body.encode("utf-8") if isinstance(Body, str) else bytes(Body)
        accept = _DEFAULT_ACCEPT if Accept in ("", "*/*") else Accept
        started = time.perf_counter()
        try:
            answer = run_container(variant.inference, variant.model, body, ContentType, accept)
        except Exception as err:
            latency_ms = (time.perf_counter() - started) * 1000
            self._record(
                name, ContainerAnswer(500, "", b"", "model_error"), latency_ms, body, ContentType
            )
            # The container answers 500 with an error page; the traceback says more here.
            raise _client_error(
                "InvokeEndpoint",
                "ModelError",
                "Received server error (500) from primary. "
                "See the local server log for more information.",
                424,
                OriginalStatusCode=500,
                OriginalMessage=traceback.format_exc(),
            ) from err
        self._record(name, answer, (time.perf_counter() - started) * 1000, body, ContentType)
        if answer.status >= 400:
            message = answer.payload.decode("utf-8", errors="replace")
            raise _client_error(
                "InvokeEndpoint",
                "ModelError",
                f"Received client error ({answer.status}) from primary with message "
                f'"{message}". See the local server log for more information.',
                424,
                OriginalStatusCode=answer.status,
                OriginalMessage=message,
            )
        return {
            "Body": StreamingBody(io.BytesIO(answer.payload), len(answer.payload)),
            "ContentType": answer.content_type,
            "InvokedProductionVariant": name,
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }

    def describe_endpoint(self, *, EndpointName: str) -> dict[str, Any]:  # noqa: N803
        self._check_endpoint("DescribeEndpoint", EndpointName)
        variants = [
            {
                "VariantName": name,
                "CurrentWeight": weight,
                "DesiredWeight": weight,
                "CurrentInstanceCount": 1,
            }
            for name, weight in zip(self.router.names, self.router.weights, strict=True)
        ]
        return {
            "EndpointName": self.endpoint_name,
            "EndpointArn": f"arn:aws:sagemaker:{_REGION}:{_ACCOUNT}:endpoint/{self.endpoint_name}",
            "EndpointConfigName": f"{self.endpoint_name}-config",
            "EndpointStatus": "InService",
            "ProductionVariants": variants,
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }

    def close(self) -> None:
        """Close the capture files and the request log, if any."""
        if self.capture is not None:
            self.capture.close()
        if self.request_log is not None:
            self.request_log.close()
