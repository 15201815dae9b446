"""The API's errors, and what each SageMaker or Comprehend failure means to a caller.

An `ApiError` becomes ``{"error": {"code", "message", "request_id"}}`` with its status
and headers. Upstream messages, model tracebacks and resource names go to `detail`,
which is logged and never returned.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

# An answer that broke off while it was being read (the connection dropped mid-body).
_CUT_OFF = (ResponseStreamingError, IncompleteReadError)
# What a SageMaker call raises: an error answer, no answer (unreachable, timed out), or
# an answer cut off.
CALL_ERRORS = (
    ClientError,
    ReadTimeoutError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
    *_CUT_OFF,
)
# Error codes botocore's standard retry mode treats as throttling: if one still reaches
# us, the retries are spent and the caller should come back later.
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)
# SageMaker runtime errors that mean "the endpoint cannot answer right now".
# ModelNotReadyException is what a serverless endpoint says while a cold container starts.
_UNAVAILABLE_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ModelNotReadyException",
        "InternalFailure",
        "InternalDependencyException",
    }
)
# Our own credentials or permissions are wrong: a deployment bug, not an upstream state.
# These propagate so the entry point logs the stack trace and answers 500.
_CONFIGURATION_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
    }
)
# Comprehend's refusals of the text itself: the review's doing, so a 400 like the model's.
_COMPREHEND_TEXT_REASONS = {
    "InvalidRequestException": "Amazon Comprehend found a review invalid",
    "TextSizeLimitExceededException": "a review is too long for Amazon Comprehend",
    "UnsupportedLanguageException": "Amazon Comprehend does not support the review's language",
}
# "<code>: <reason>", the form of inference.py's InvalidInputError messages.
_CODED_REASON = re.compile(r"(?P<code>[a-z][a-z0-9_]{1,40}): (?P<reason>.+)")


# eq=False keeps the exception hashable, as the traceback machinery expects.
@dataclass(eq=False)
class ApiError(Exception):
    status: int
    code: str
    message: str
    detail: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    model_latency_ms: float | None = None
    # Fields of the error body beside "error" (/health adds the endpoint status).
    extra: dict[str, Any] = field(default_factory=dict)


def unavailable(message: str, detail: str | None = None, retry_after: str = "") -> ApiError:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return ApiError(503, "endpoint_unavailable", message, detail, headers)


def invalid_model_response(reason: str) -> ApiError:
    """A 502 for an answer the API cannot pass on; the reason is only logged."""
    message = "The model answered something invalid."
    return ApiError(502, "invalid_model_response", message, f"invalid model answer: {reason}")


def error_detail(err: Exception) -> str:
    """What a botocore failure says, for the log."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return f"{type(err).__name__}: {err}"


def _first_line(text: Any, limit: int = 200) -> str:
    line = str(text or "").strip().splitlines()[0:1]
    return line[0][:limit] if line else ""


def _model_reason(original: Any) -> str:
    """The model's own reason: inference.py answers {"error": {"code", "message"}}, whose
    message starts with its code; anything else is read as plain text."""
    try:
        message = json.loads(str(original or ""))["error"]["message"]
    except (ValueError, TypeError, KeyError):
        return _first_line(original)
    return _first_line(message)


def _model_error(err: ClientError, detail: str) -> ApiError:
    original_status = err.response.get("OriginalStatusCode")
    original = err.response.get("OriginalMessage", "")
    detail = f"{detail} (original {original_status}: {original})"
    if isinstance(original_status, int) and 400 <= original_status < 500:
        # The model's typed input errors (one line, no traceback) help the caller;
        # inference.py starts them with a code ("empty_review: review 1 has no text").
        reason = _model_reason(original) or "no reason given"
        coded = _CODED_REASON.match(reason)
        message = (
            f"The model rejected the input ({coded['code']}): {coded['reason']}"
            if coded
            else f"The model rejected the input: {reason}"
        )
        return ApiError(400, "rejected_by_model", message, detail)
    return ApiError(502, "model_error", "The model failed to answer.", detail)


def endpoint_error(err: Exception) -> ApiError:
    """The answer to a failed InvokeEndpoint; re-raises our own permission errors."""
    detail = error_detail(err)
    if isinstance(err, ReadTimeoutError | ConnectTimeoutError):
        return ApiError(504, "endpoint_timeout", "The model did not answer in time.", detail)
    if isinstance(err, _CUT_OFF):
        cut = "The model's answer was cut off; retry shortly."
        return ApiError(502, "upstream_error", cut, detail)
    if not isinstance(err, ClientError):
        return unavailable("The model endpoint could not be reached.", detail, "5")
    code = str(err.response.get("Error", {}).get("Code", ""))
    message = str(err.response.get("Error", {}).get("Message", ""))
    if code == "ModelError":
        return _model_error(err, detail)
    if code in _THROTTLING_CODES:
        busy = "The model is busy; retry shortly."
        return ApiError(503, "throttled", busy, detail, {"Retry-After": "1"})
    if code in _UNAVAILABLE_CODES:
        return unavailable("The model is not available; retry shortly.", detail, "5")
    if code == "ValidationError" and "not found" in message.lower():
        # The endpoint is missing, e.g. torn down or still being created.
        return unavailable("The model endpoint is not available.", detail)
    if code in _CONFIGURATION_CODES:
        raise err
    if code == "ValidationError":
        rejected = "The model endpoint rejected the request."
        return ApiError(502, "upstream_rejected", rejected, detail)
    return ApiError(502, "upstream_error", "The model endpoint answered with an error.", detail)


def comprehend_error(err: Exception) -> ApiError:
    """The answer to a failed BatchDetectSentiment, in the API's existing codes: throttling,
    timeouts, unreachable service and our own permissions as for the endpoint."""
    if isinstance(err, ClientError):
        code = str(err.response.get("Error", {}).get("Code", ""))
        detail = error_detail(err)
        if code in _COMPREHEND_TEXT_REASONS:
            reason = _COMPREHEND_TEXT_REASONS[code]
            return ApiError(
                400, "rejected_by_model", f"The model rejected the input: {reason}.", detail
            )
        if code == "InternalServerException":
            return unavailable("The model is not available; retry shortly.", detail, "5")
        if code == "BatchSizeLimitExceededException":
            # The API cuts batches to Comprehend's limit; this is our bug, not the caller's.
            rejected = "The model endpoint rejected the request."
            return ApiError(502, "upstream_rejected", rejected, detail)
    return endpoint_error(err)
