"""JSON Lines in and out: how Batch Transform (SplitType=Line, MultiRecord) talks to the model.

A mini-batch is many lines, one review each::

    {"review_id": "r1", "review": "A fine film.", "label": "positive", ...}

and the answer holds exactly one line per input line, in order, so Batch Transform can
assemble the output file line for line (AssembleWith=Line adds the newline after each
answer, hence none after the last line here)::

    {"review_id": "r1", "label": "positive", "score": 0.97, "probability_positive": 0.97,
     "uncertain": false, "true_label": "positive"}

``true_label`` appears when the input carries a ``label`` that the one label table
(review_labels) reads, so a run's accuracy can be computed in Athena. ``review_id`` is
passed through as given (null when absent). A line the model cannot read does not fail
the mini-batch: it is answered with ``{"line": n, "review_id": ..., "error": {"code",
"message"}}``, ``n`` counting from 1 within the mini-batch and ``review_id`` present
when the line had one. There is no cap on the number of lines: Batch Transform bounds a
mini-batch by MaxPayloadInMB, and the model scores in slices (serving_model).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from review_labels import SENTIMENT_NAMES, parse_label
from serving_requests import InvalidInputError, check_review, parse_json_object

JSONLINES_CONTENT_TYPE = "application/jsonlines"


class Line(NamedTuple):
    """One input line: its review to score (None for a bad line) and its answer so far."""

    review: str | None
    answer: dict[str, Any]


class LineBatch(NamedTuple):
    """A parsed mini-batch (what input_fn returns for JSON Lines)."""

    lines: list[Line]


class LineAnswers(NamedTuple):
    """The answer lines of a mini-batch (what predict_fn returns for JSON Lines)."""

    lines: list[dict[str, Any]]


def _split(body: str | bytes | bytearray) -> list[str | bytes]:
    if isinstance(body, str):
        lines: list[Any] = body.split("\n")
    elif isinstance(body, bytes | bytearray):
        lines = bytes(body).split(b"\n")
    else:
        raise InvalidInputError(
            "invalid_body", f"body must be str or bytes, got {type(body).__name__}"
        )
    # "a\nb\n" is two lines; only "\n" ends a line (JSON strings may hold a raw U+2028).
    if lines and not lines[-1]:
        lines.pop()
    return lines


def _payload(raw: str | bytes) -> dict[str, Any]:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInputError("invalid_encoding", f"line is not UTF-8 ({exc})") from exc
    return parse_json_object(raw.removesuffix("\r"), "line", '"review"')


def _line(number: int, raw: str | bytes) -> Line:
    payload: dict[str, Any] = {}
    try:
        payload = _payload(raw)
        if "review" not in payload:
            raise InvalidInputError("missing_field", 'line needs a "review" string')
        review = check_review("review", payload["review"])
    except InvalidInputError as error:
        answer: dict[str, Any] = {"line": number}
        if "review_id" in payload:
            answer["review_id"] = payload["review_id"]
        answer["error"] = error.as_json()
        return Line(None, answer)
    answer = {"review_id": payload.get("review_id")}
    true_label = parse_label(payload["label"]) if "label" in payload else None
    if true_label is not None:
        answer["true_label"] = SENTIMENT_NAMES[true_label]
    return Line(review, answer)


def parse_lines(body: str | bytes | bytearray) -> LineBatch:
    """Every line of a mini-batch; InvalidInputError only when the body holds no line."""
    lines = [_line(number, raw) for number, raw in enumerate(_split(body), start=1)]
    if not lines:
        raise InvalidInputError("empty_batch", "the request holds no line")
    return LineBatch(lines)


def answer_lines(batch: LineBatch, predictions: list[dict[str, Any]]) -> LineAnswers:
    """Merge the predictions of the good lines (in order) into every line's answer."""
    scored = iter(predictions)
    answers = []
    for line in batch.lines:
        if line.review is None:
            answers.append(line.answer)
            continue
        review_id, rest = line.answer["review_id"], dict(line.answer)
        del rest["review_id"]
        answers.append({"review_id": review_id, **next(scored), **rest})
    return LineAnswers(answers)


def serialize(answers: LineAnswers) -> str:
    return "\n".join(json.dumps(answer) for answer in answers.lines)
