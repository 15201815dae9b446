"""Serving handlers for the SageMaker scikit-learn container (and their local twin).

The container imports this module from ``/opt/ml/model/code`` (SAGEMAKER_PROGRAM=inference.py)
and calls ``model_fn`` once, then ``input_fn`` -> ``predict_fn`` -> ``output_fn`` per request.
Serving needs numpy and scipy only (``model_artifact``): no scikit-learn, no pickle.

Request bodies:
- ``application/json``: ``{"reviews": ["...", ...]}`` or ``{"review": "..."}``
- ``text/csv``: one review per line; blank lines are ignored; a line wrapped in double
  quotes is unquoted as in CSV (``""`` -> ``"``)
Response (``application/json``): ``{"predictions": [{"label": "positive", "score": 0.97}]}``
where ``score`` is the probability of the returned label.

Bad requests answer 4xx with ``{"error": {"code": "...", "message": "<code>: <reason>"}}``
(``RejectedRequest``), and are never raised. The image (1.9-0) serves this module through
sagemaker-containers 2.8.6.post2: its ``Transformer`` wraps input_fn, predict_fn and
output_fn so that *any* exception they raise, ValueError included, is re-raised as its
``ClientError``, which Flask answers with a 500 HTML page: a model error to SageMaker, to
the rollback alarm and to Batch Transform, with the code lost. (The Transformer's own 415
and 406 answers only catch ``UnsupportedFormatError`` from its default functions, never
from a wrapped user function.) So ``input_fn`` returns a ``RejectedRequest`` in place of
the reviews, ``predict_fn`` passes it on and ``output_fn`` returns it. The Transformer
makes a 200 response of a returned tuple only and hands anything else to Flask, which
runs a WSGI callable to build the response; ``RejectedRequest`` is one, answering its own
status (400, 406, 413 or 415) and JSON body. Failures of the model itself still raise:
500. SageMaker passes the body on as ModelError.OriginalMessage; its message keeps the
"<code>: <reason>" form the predict Lambda parses (api_errors.py). For exactly
``application/json`` or ``text/csv`` the container hands input_fn text it decoded itself
(invalid UTF-8 becomes U+FFFD); with a charset parameter it hands bytes, which input_fn
decodes strictly (400 ``invalid_encoding``).
The image's multi-model server (SAGEMAKER_MULTI_MODEL) is another path, not used here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

# The container installs code/ as the user module directory; when this file is loaded
# directly (the local twin, tests), its helpers beside it must be importable too.
_CODE_DIR = str(Path(__file__).resolve().parent)
if _CODE_DIR not in sys.path:
    sys.path.append(_CODE_DIR)

from model_artifact import load_model  # noqa: E402
from text_normalization import is_empty_review  # noqa: E402

JSON_CONTENT_TYPE = "application/json"
CSV_CONTENT_TYPE = "text/csv"
# An online endpoint answers small batches; larger jobs belong to batch transform.
MAX_BATCH_SIZE = 256
LABELS = ("negative", "positive")


class InvalidInputError(ValueError):
    """A request the model cannot answer; ``code`` is stable, ``status_code`` is HTTP."""

    STATUS = {"unsupported_media_type": 415, "not_acceptable": 406, "batch_too_large": 413}

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status_code = self.STATUS.get(code, 400)


class RejectedRequest:
    """A refused request as a WSGI application: its 4xx status and JSON error body."""

    def __init__(self, error: InvalidInputError) -> None:
        self.code = error.code
        self.status_code = error.status_code
        self.message = str(error)
        self.body = json.dumps({"error": {"code": self.code, "message": self.message}}).encode()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        headers = [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(self.body)))]
        start_response(f"{self.status_code} {HTTPStatus(self.status_code).phrase}", headers)
        return [self.body]

    def __repr__(self) -> str:
        return f"RejectedRequest({self.status_code}, {self.message!r})"


def model_fn(model_dir: str) -> Any:
    """Load the model that train.py wrote (serving_model.ServingModel), warmed up."""
    return load_model(model_dir).warm_up()


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _decode(body: str | bytes | bytearray) -> str:
    if isinstance(body, bytes | bytearray):
        try:
            return bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInputError("invalid_encoding", f"body is not UTF-8 ({exc})") from exc
    if isinstance(body, str):
        return body
    raise InvalidInputError("invalid_body", f"body must be str or bytes, got {type(body).__name__}")


def _reviews_from_json(text: str) -> list[Any]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError("invalid_json", f"body is not valid JSON ({exc.msg})") from exc
    if not isinstance(payload, dict):
        raise InvalidInputError(
            "invalid_type", 'body must be a JSON object with "reviews" or "review"'
        )
    if "reviews" in payload:
        reviews = payload["reviews"]
        if not isinstance(reviews, list):
            raise InvalidInputError("invalid_type", '"reviews" must be a list of strings')
        return reviews
    if "review" in payload:
        return [payload["review"]]
    raise InvalidInputError("missing_field", 'body needs a "reviews" list or a "review" string')


def _unquote_csv_line(line: str) -> str:
    if len(line) >= 2 and line[0] == '"' and line[-1] == '"':
        return line[1:-1].replace('""', '"')
    return line


def _reviews_from_csv(text: str) -> list[Any]:
    lines = (line.strip() for line in text.splitlines())
    return [_unquote_csv_line(line) for line in lines if line]


def _check_review(index: int, review: object) -> None:
    if not isinstance(review, str):
        raise InvalidInputError(
            "invalid_type", f"review {index} must be a string, got {type(review).__name__}"
        )
    # Markup or whitespace alone is no text to judge: the ETL and the API say the same.
    if is_empty_review(review):
        raise InvalidInputError("empty_review", f"review {index} has no text")
    if not review.isascii():
        # JSON may escape half of a UTF-16 surrogate pair ("\ud83d"): no text can hold it.
        try:
            review.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInputError(
                "invalid_encoding", f"review {index} is not Unicode text ({exc.reason})"
            ) from exc


def parse_reviews(request_body: str | bytes, request_content_type: str | None) -> list[str]:
    """The raw review strings of a request body (1..MAX_BATCH_SIZE); InvalidInputError."""
    media_type = _media_type(request_content_type)
    if media_type == JSON_CONTENT_TYPE:
        reviews = _reviews_from_json(_decode(request_body))
    elif media_type == CSV_CONTENT_TYPE:
        reviews = _reviews_from_csv(_decode(request_body))
    else:
        raise InvalidInputError(
            "unsupported_media_type",
            f"content type {request_content_type!r} is not supported; "
            f"use {JSON_CONTENT_TYPE} or {CSV_CONTENT_TYPE}",
        )
    if not reviews:
        raise InvalidInputError("empty_batch", "the request holds no review")
    if len(reviews) > MAX_BATCH_SIZE:
        raise InvalidInputError(
            "batch_too_large", f"{len(reviews)} reviews in one request; at most {MAX_BATCH_SIZE}"
        )
    for index, review in enumerate(reviews):
        _check_review(index, review)
    return reviews


def input_fn(
    request_body: str | bytes, request_content_type: str | None
) -> list[str] | RejectedRequest:
    """The request's reviews, or the answer refusing it (returned, not raised: see above)."""
    try:
        return parse_reviews(request_body, request_content_type)
    except InvalidInputError as err:
        return RejectedRequest(err)


def predict_fn(
    input_data: list[str] | RejectedRequest, model: Any
) -> list[dict[str, Any]] | RejectedRequest:
    """Label and probability of that label for each review; a refusal passes through."""
    if isinstance(input_data, RejectedRequest):
        return input_data
    positive_column = list(model.classes_).index(1)
    probabilities = model.predict_proba(input_data)[:, positive_column]
    predictions = []
    for p_positive in probabilities.tolist():
        # Ties go to "negative", as argmax over the probabilities would.
        if p_positive > 0.5:
            predictions.append({"label": LABELS[1], "score": round(p_positive, 6)})
        else:
            predictions.append({"label": LABELS[0], "score": round(1.0 - p_positive, 6)})
    return predictions


def _accepts_json(accept: str | None) -> bool:
    if not accept:
        return True
    for item in accept.split(","):
        if _media_type(item) in (JSON_CONTENT_TYPE, "application/*", "*/*"):
            return True
    return False


def output_fn(
    prediction: list[dict[str, Any]] | RejectedRequest, accept: str | None
) -> tuple[str, str] | RejectedRequest:
    """(JSON body, content type), which the container answers with 200; or the refusal,
    which answers its own status (see the module docstring)."""
    if isinstance(prediction, RejectedRequest):
        return prediction
    if not _accepts_json(accept):
        return RejectedRequest(
            InvalidInputError(
                "not_acceptable", f"cannot answer in {accept!r}; accept {JSON_CONTENT_TYPE}"
            )
        )
    return json.dumps({"predictions": prediction}), JSON_CONTENT_TYPE
