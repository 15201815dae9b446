"""Serving handlers for the SageMaker scikit-learn container (and their local twin).

The container imports this module from ``/opt/ml/model/code`` (SAGEMAKER_PROGRAM=inference.py)
and calls ``model_fn`` once, then ``input_fn`` -> ``predict_fn`` -> ``output_fn`` per request.
Serving needs numpy and scipy only (``model_artifact``): no scikit-learn, no pickle.

Request bodies:
- ``application/json``: ``{"reviews": ["...", ...]}`` or ``{"review": "..."}``
- ``text/csv``: one review per line; blank lines are ignored; a line wrapped in double
  quotes is unquoted as in CSV (``""`` -> ``"``)
- ``application/jsonlines``: Batch Transform's mini-batches, one answer line per input
  line, a bad line answered in place (``json_lines``); no cap on the number of lines
- ``application/vnd.reviews.model-card+json`` (any body): the model card train.py wrote
Response to JSON and CSV (``application/json``)::

    {"predictions": [{"label": "positive", "score": 0.97, "probability_positive": 0.97,
                      "uncertain": false}]}

where ``score`` is the probability of the returned label and ``uncertain`` says it is
below the model's threshold (``uncertainty``): the model.json value, or the
``UNCERTAINTY_THRESHOLD`` environment variable, which model_fn checks (outside (0.5, 1)
the model refuses to load).

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
status (400, 404, 406, 413 or 415) and JSON body. Failures of the model itself still
raise: 500. SageMaker passes the body on as ModelError.OriginalMessage; its message keeps
the "<code>: <reason>" form the predict Lambda parses (api_errors.py). For exactly
``application/json`` or ``text/csv`` the container hands input_fn text it decoded itself
(invalid UTF-8 becomes U+FFFD); otherwise it hands bytes, which are decoded strictly
(400 ``invalid_encoding``; per line for JSON Lines). The container replaces a missing or
``*/*`` Accept with ``application/json``, so a JSON Lines request is answered in JSON
Lines unless its Accept names a type neither of JSON nor of JSON Lines.
The image's multi-model server (SAGEMAKER_MULTI_MODEL) is another path, not used here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

# The container installs code/ as the user module directory; when this file is loaded
# directly (the local twin, tests), its helpers beside it must be importable too.
_CODE_DIR = str(Path(__file__).resolve().parent)
if _CODE_DIR not in sys.path:
    sys.path.append(_CODE_DIR)

from json_lines import (  # noqa: E402
    JSONLINES_CONTENT_TYPE,
    LineAnswers,
    LineBatch,
    answer_lines,
    parse_lines,
    serialize,
)
from model_artifact import load_model  # noqa: E402
from serving_requests import (  # noqa: E402
    JSON_CONTENT_TYPE,
    InvalidInputError,
    RejectedRequest,
    check_review,
    decode_body,
    parse_json_object,
)
from uncertainty import THRESHOLD_ENV, label_and_score, override_threshold  # noqa: E402

CSV_CONTENT_TYPE = "text/csv"
MODEL_CARD_CONTENT_TYPE = "application/vnd.reviews.model-card+json"
# An online endpoint answers small batches; larger jobs belong to batch transform.
MAX_BATCH_SIZE = 256
LABELS = ("negative", "positive")
_ANY = ("application/*", "*/*")
_LOG = logging.getLogger(__name__)


class ModelCardRequest(NamedTuple):
    """A request for the model card (its body, if any, means nothing)."""


class ModelCardAnswer(NamedTuple):
    card: dict[str, Any]


def model_fn(model_dir: str) -> Any:
    """Load the model that train.py wrote (serving_model.ServingModel), warmed up.

    The uncertainty threshold is the model's own unless ``UNCERTAINTY_THRESHOLD`` is set;
    an invalid value raises here, so a misconfigured endpoint never becomes healthy.
    """
    model = load_model(model_dir)
    override = override_threshold(os.environ.get(THRESHOLD_ENV))
    if override is not None:
        model.uncertainty_threshold = override
        model.threshold_source = THRESHOLD_ENV
    # A log record, not a print: the container's logging sends it to CloudWatch, and
    # processes that load the model in-house keep their own output.
    _LOG.info("uncertainty threshold %s (%s)", model.uncertainty_threshold, model.threshold_source)
    return model.warm_up()


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _reviews_from_json(text: str) -> list[Any]:
    payload = parse_json_object(text, "body", '"reviews" or "review"')
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


def parse_reviews(request_body: str | bytes, request_content_type: str | None) -> list[str]:
    """The raw review strings of a request body (1..MAX_BATCH_SIZE); InvalidInputError."""
    media_type = _media_type(request_content_type)
    if media_type == JSON_CONTENT_TYPE:
        reviews = _reviews_from_json(decode_body(request_body))
    elif media_type == CSV_CONTENT_TYPE:
        reviews = _reviews_from_csv(decode_body(request_body))
    else:
        raise InvalidInputError(
            "unsupported_media_type",
            f"content type {request_content_type!r} is not supported; use "
            f"{JSON_CONTENT_TYPE}, {CSV_CONTENT_TYPE}, {JSONLINES_CONTENT_TYPE} or "
            f"{MODEL_CARD_CONTENT_TYPE}",
        )
    if not reviews:
        raise InvalidInputError("empty_batch", "the request holds no review")
    if len(reviews) > MAX_BATCH_SIZE:
        raise InvalidInputError(
            "batch_too_large", f"{len(reviews)} reviews in one request; at most {MAX_BATCH_SIZE}"
        )
    return [check_review(f"review {index}", review) for index, review in enumerate(reviews)]


def input_fn(
    request_body: str | bytes, request_content_type: str | None
) -> list[str] | LineBatch | ModelCardRequest | RejectedRequest:
    """The request's reviews, or the answer refusing it (returned, not raised: see above)."""
    try:
        media_type = _media_type(request_content_type)
        if media_type == JSONLINES_CONTENT_TYPE:
            return parse_lines(request_body)
        if media_type == MODEL_CARD_CONTENT_TYPE:
            return ModelCardRequest()
        return parse_reviews(request_body, request_content_type)
    except InvalidInputError as err:
        return RejectedRequest(err)


def predictions(model: Any, reviews: list[str]) -> list[dict[str, Any]]:
    """Label, its probability, the positive probability and the band, per review."""
    if not reviews:
        return []
    positive_column = list(model.classes_).index(1)
    threshold = model.uncertainty_threshold
    answers = []
    for p_positive in model.predict_proba(reviews)[:, positive_column].tolist():
        label, score = label_and_score(p_positive)
        answers.append(
            {
                "label": LABELS[label],
                "score": round(score, 6),
                "probability_positive": round(p_positive, 6),
                # Compared unrounded: the threshold was chosen on unrounded scores.
                "uncertain": score < threshold,
            }
        )
    return answers


def _model_card(model: Any) -> ModelCardAnswer | RejectedRequest:
    if model.card is None:
        error = InvalidInputError("no_model_card", "this model was saved without a model card")
        return RejectedRequest(error)
    serving = {"uncertainty_threshold": model.uncertainty_threshold}
    return ModelCardAnswer(model.card | {"serving": serving | {"source": model.threshold_source}})


def predict_fn(
    input_data: list[str] | LineBatch | ModelCardRequest | RejectedRequest, model: Any
) -> list[dict[str, Any]] | LineAnswers | ModelCardAnswer | RejectedRequest:
    """Predictions for the reviews (or lines), the card; a refusal passes through."""
    if isinstance(input_data, RejectedRequest):
        return input_data
    if isinstance(input_data, ModelCardRequest):
        return _model_card(model)
    if isinstance(input_data, LineBatch):
        reviews = [line.review for line in input_data.lines if line.review is not None]
        return answer_lines(input_data, predictions(model, reviews))
    return predictions(model, input_data)


def _accepts(accept: str | None, *media_types: str) -> bool:
    if not accept:
        return True
    return any(_media_type(item) in (*media_types, *_ANY) for item in accept.split(","))


def _not_acceptable(accept: str | None, media_type: str) -> RejectedRequest:
    message = f"cannot answer in {accept!r}; accept {media_type}"
    return RejectedRequest(InvalidInputError("not_acceptable", message))


def output_fn(
    prediction: list[dict[str, Any]] | LineAnswers | ModelCardAnswer | RejectedRequest,
    accept: str | None,
) -> tuple[str, str] | RejectedRequest:
    """(body, content type), which the container answers with 200; or the refusal,
    which answers its own status (see the module docstring)."""
    if isinstance(prediction, RejectedRequest):
        return prediction
    if isinstance(prediction, LineAnswers):
        if not _accepts(accept, JSONLINES_CONTENT_TYPE, JSON_CONTENT_TYPE):
            return _not_acceptable(accept, JSONLINES_CONTENT_TYPE)
        return serialize(prediction), JSONLINES_CONTENT_TYPE
    if isinstance(prediction, ModelCardAnswer):
        if not _accepts(accept, MODEL_CARD_CONTENT_TYPE, JSON_CONTENT_TYPE):
            return _not_acceptable(accept, JSON_CONTENT_TYPE)
        return json.dumps(prediction.card), JSON_CONTENT_TYPE
    if not _accepts(accept, JSON_CONTENT_TYPE):
        return _not_acceptable(accept, JSON_CONTENT_TYPE)
    return json.dumps({"predictions": prediction}), JSON_CONTENT_TYPE
