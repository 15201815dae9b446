"""SageMaker data-capture records -> the reviews the endpoint scored, with their scores.

One capture file holds one JSON object per invocation (AWS-FACTS.md, "Data capture
records"): ``captureData.endpointInput`` and ``endpointOutput``, each
``{observedContentType, mode, data, encoding}`` where ``encoding`` is JSON or CSV
(``data`` is the body as text) or BASE64 (``data`` is the body base64-encoded), and
``eventMetadata {eventId, inferenceTime}``. Files live under
``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``.

Reading never stops on a bad record: a line that is not a capture record, a side in an
unknown encoding, a record without an output (capture of input only, or a failed call),
bodies this module cannot read, and answers that do not pair one prediction with each
review are counted in `CaptureStats` and skipped. Bodies are the model's request and
answer formats: ``application/json`` (``{"review"}`` or ``{"reviews"}`` in,
``{"predictions"}`` out) and ``application/jsonlines`` (a review per line in, a result or
an error line per line out; error lines carry no score and are counted as rejected).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Iterable, Iterator
from typing import Any

TEXT_ENCODINGS = frozenset({"JSON", "CSV"})
JSON_TYPE = "application/json"
JSON_LINES_TYPE = "application/jsonlines"
# GET /model asks the endpoint for its model card with this request type (inference.py);
# capture records those calls too, and they hold no review to measure.
MODEL_CARD_TYPE = "application/vnd.reviews.model-card+json"


@dataclasses.dataclass(frozen=True)
class ScoredReview:
    review: str
    probability_positive: float
    # None when the answer did not say (a model older than the `uncertain` field).
    uncertain: bool | None


@dataclasses.dataclass
class CaptureStats:
    records: int = 0
    malformed: int = 0
    unknown_encoding: int = 0
    without_output: int = 0
    unreadable: int = 0
    rejected_lines: int = 0
    reviews: int = 0
    # Model-card calls: normal traffic with nothing to measure, so not skipped records.
    model_cards: int = 0

    def skipped(self) -> int:
        return self.malformed + self.unknown_encoding + self.without_output + self.unreadable


class _SkipRecordError(Exception):
    def __init__(self, counter: str) -> None:
        super().__init__(counter)
        self.counter = counter


def endpoint_and_variant(key: str) -> tuple[str, str]:
    """(endpoint, variant) of `.../<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`."""
    parts = key.split("/")
    if len(parts) < 7:
        raise ValueError(f"{key}: not <endpoint>/<variant>/yyyy/mm/dd/hh/<file>")
    return parts[-7], parts[-6]


def _media_type(content_type: object) -> str:
    return str(content_type or "").split(";", 1)[0].strip().lower()


def decode_side(side: object) -> tuple[str, str]:
    """(media type, body text) of endpointInput or endpointOutput, or a skip."""
    if not isinstance(side, dict) or not isinstance(side.get("data"), str):
        raise _SkipRecordError("malformed")
    encoding = str(side.get("encoding", "")).upper()
    if encoding in TEXT_ENCODINGS:
        return _media_type(side.get("observedContentType")), side["data"]
    if encoding != "BASE64":
        raise _SkipRecordError("unknown_encoding")
    try:
        text = base64.b64decode(side["data"], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _SkipRecordError("unreadable") from None
    return _media_type(side.get("observedContentType")), text


def _json_lines(text: str) -> list[Any]:
    # LF alone ends a line, as Batch Transform splits; a bad line stays a None.
    documents = []
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        try:
            documents.append(json.loads(line))
        except ValueError:
            documents.append(None)
    return documents


def request_reviews(media_type: str, text: str) -> list[str | None]:
    """The reviews of a request body, None where a JSON Lines line holds none."""
    if media_type == JSON_LINES_TYPE:
        return [
            d["review"] if isinstance(d, dict) and isinstance(d.get("review"), str) else None
            for d in _json_lines(text)
        ]
    if media_type != JSON_TYPE:
        raise _SkipRecordError("unreadable")
    try:
        document = json.loads(text)
    except ValueError:
        raise _SkipRecordError("unreadable") from None
    reviews = (
        document.get("reviews", [document.get("review")]) if isinstance(document, dict) else None
    )
    if not isinstance(reviews, list) or not all(isinstance(r, str) for r in reviews):
        raise _SkipRecordError("unreadable")
    return list(reviews)


def answer_predictions(media_type: str, text: str) -> list[Any]:
    if media_type == JSON_LINES_TYPE:
        return _json_lines(text)
    try:
        predictions = json.loads(text).get("predictions") if media_type == JSON_TYPE else None
    except (ValueError, AttributeError):
        predictions = None
    if not isinstance(predictions, list):
        raise _SkipRecordError("unreadable")
    return predictions


def probability_of(prediction: Any) -> float | None:
    """P(positive) of one prediction, from its own field or from label and score."""
    if not isinstance(prediction, dict) or "error" in prediction:
        return None
    value = prediction.get("probability_positive")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    label, score = prediction.get("label"), prediction.get("score")
    if not isinstance(score, int | float) or isinstance(score, bool) or not 0 <= score <= 1:
        return None
    if label == "positive":
        return float(score)
    return 1.0 - float(score) if label == "negative" else None


def _scored(record: Any, stats: CaptureStats) -> list[ScoredReview]:
    if not isinstance(record, dict) or not isinstance(record.get("captureData"), dict):
        raise _SkipRecordError("malformed")
    capture = record["captureData"]
    if "endpointOutput" not in capture:
        raise _SkipRecordError("without_output")
    request_type, request_text = decode_side(capture.get("endpointInput"))
    if request_type == MODEL_CARD_TYPE:
        raise _SkipRecordError("model_cards")
    answer_type, answer_text = decode_side(capture["endpointOutput"])
    reviews = request_reviews(request_type, request_text)
    predictions = answer_predictions(answer_type, answer_text)
    if len(reviews) != len(predictions):
        raise _SkipRecordError("unreadable")
    scored = []
    for review, prediction in zip(reviews, predictions, strict=True):
        probability = probability_of(prediction)
        if review is None or probability is None:
            stats.rejected_lines += 1
            continue
        uncertain = prediction.get("uncertain")
        scored.append(
            ScoredReview(review, probability, uncertain if isinstance(uncertain, bool) else None)
        )
    return scored


def read_capture(lines: Iterable[str | bytes], stats: CaptureStats) -> Iterator[ScoredReview]:
    """The scored reviews of one capture file's lines; `stats` counts what was skipped."""
    for line in lines:
        if not line.strip():
            continue
        stats.records += 1
        try:
            scored = _scored(json.loads(line), stats)
        except ValueError:
            stats.malformed += 1
            continue
        except _SkipRecordError as skip:
            setattr(stats, skip.counter, getattr(stats, skip.counter) + 1)
            continue
        stats.reviews += len(scored)
        yield from scored
