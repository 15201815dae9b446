"""Serving handlers for the SageMaker scikit-learn container (and their local twin).

The container imports this module from ``/opt/ml/model/code`` (SAGEMAKER_PROGRAM=inference.py)
and calls ``model_fn`` once, then ``input_fn`` -> ``predict_fn`` -> ``output_fn`` per request.

Request bodies:
- ``application/json``: ``{"reviews": ["...", ...]}`` or ``{"review": "..."}``
- ``text/csv``: one review per line; blank lines are ignored; a line wrapped in double
  quotes is unquoted as in CSV (``""`` -> ``"``)
Response (``application/json``): ``{"predictions": [{"label": "positive", "score": 0.97}]}``
where ``score`` is the probability of the returned label.

A bad request raises ``InvalidInputError`` with a stable ``code`` and an HTTP
``status_code`` for the API layer; its message starts with the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# The container installs code/ as the user module directory, but the pickle also needs
# the model's modules and text_normalization importable when this file is loaded directly.
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

    STATUS = {"unsupported_media_type": 415, "not_acceptable": 406}

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status_code = self.STATUS.get(code, 400)


def model_fn(model_dir: str) -> Any:
    """Load the fitted model that train.py wrote."""
    model = load_model(model_dir)
    warm_up = getattr(model, "warm_up", None)
    if callable(warm_up):
        warm_up()  # so the first request does not pay for building lookup tables
    return model


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


def input_fn(request_body: str | bytes, request_content_type: str | None) -> list[str]:
    """Parse a request body into a list of raw review strings (1..MAX_BATCH_SIZE)."""
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
        if not isinstance(review, str):
            raise InvalidInputError(
                "invalid_type", f"review {index} must be a string, got {type(review).__name__}"
            )
        # Markup or whitespace alone is no text to judge: the ETL and the API say the same.
        if is_empty_review(review):
            raise InvalidInputError("empty_review", f"review {index} has no text")
    return reviews


def predict_fn(input_data: list[str], model: Any) -> list[dict[str, Any]]:
    """Label and probability of that label for each review."""
    positive_column = list(model.classes_).index(1)
    probabilities = model.predict_proba(input_data)[:, positive_column]
    predictions = []
    for p_positive in probabilities.tolist():
        # Ties go to "negative", as sklearn's argmax does in model.predict.
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


def output_fn(prediction: list[dict[str, Any]], accept: str | None) -> tuple[str, str]:
    """Serialise as JSON; returns (body, content type), the form both serving stacks of
    the container (gunicorn and multi-model server) turn into a response with that type."""
    if not _accepts_json(accept):
        raise InvalidInputError(
            "not_acceptable", f"cannot answer in {accept!r}; accept {JSON_CONTENT_TYPE}"
        )
    return json.dumps({"predictions": prediction}), JSON_CONTENT_TYPE
