"""The handlers' answers, on a stub model: the uncertain band, JSON Lines, the model card.

The stub scores by keyword, so every probability is known in advance; the trained model
is served the same way in test_inference.py and under the container's worker in
test_serving_container.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from inference import (
    MODEL_CARD_CONTENT_TYPE,
    RejectedRequest,
    input_fn,
    output_fn,
    predict_fn,
)
from json_lines import JSONLINES_CONTENT_TYPE

JSONL = JSONLINES_CONTENT_TYPE
CARD = {"model_version": "stub-1", "metrics": {"test": {"accuracy": 0.9}}}


class StubModel:
    """What inference needs of a served model, with probabilities chosen by keyword."""

    classes_ = np.array([0, 1])
    PROBABILITIES = {"good": 0.9375, "meh": 0.5625, "bad": 0.125}

    def __init__(self, threshold: float = 0.875, card: dict | None = None) -> None:
        self.uncertainty_threshold = threshold
        self.threshold_source = "model.json"
        self.card = card

    def predict_proba(self, texts):
        p = [next(v for k, v in self.PROBABILITIES.items() if k in t) for t in texts]
        return np.column_stack([1 - np.asarray(p), p])


def _serve(body, content_type, accept=None, model=None):
    model = model or StubModel(card=CARD)
    return output_fn(predict_fn(input_fn(body, content_type), model), accept)


def test_every_prediction_carries_the_band():
    body, content_type = _serve(json.dumps({"reviews": ["good", "meh", "bad"]}), "application/json")
    assert content_type == "application/json"
    assert json.loads(body)["predictions"] == [
        {"label": "positive", "score": 0.9375, "probability_positive": 0.9375, "uncertain": False},
        {"label": "positive", "score": 0.5625, "probability_positive": 0.5625, "uncertain": True},
        {"label": "negative", "score": 0.875, "probability_positive": 0.125, "uncertain": False},
    ]


def test_a_score_equal_to_the_threshold_is_certain():
    body, _ = _serve("good\n", "text/csv", model=StubModel(threshold=0.9375))
    assert json.loads(body)["predictions"][0]["uncertain"] is False


MINI_BATCH = "\n".join(
    [
        '{"review_id": 1, "review": "good film", "label": "pos", "extra": [1]}',
        "not json",
        '{"review_id": "b", "text": "a review in the wrong field"}',
        '{"review_id": "c", "review": 5}',
        '{"review": "<br /> "}',
        '{"review": "meh", "label": "neutral"}',
        "[1, 2]",
        "",
        '{"review_id": null, "review": "bad film", "label": 0}',
        '{"review_id": 9, "review": "fine \\ud83d"}',
    ]
)


def test_json_lines_answer_one_line_per_line_in_order():
    body, content_type = _serve(MINI_BATCH + "\n", JSONL, "application/jsonlines")
    assert content_type == JSONL
    assert not body.endswith("\n")  # AssembleWith=Line adds the newline
    lines = [json.loads(line) for line in body.split("\n")]
    assert len(lines) == 10
    assert lines[0] == {
        "review_id": 1,
        "label": "positive",
        "score": 0.9375,
        "probability_positive": 0.9375,
        "uncertain": False,
        "true_label": "positive",
    }
    errors = {n: line["error"]["code"] for n, line in enumerate(lines, 1) if "error" in line}
    assert errors == {
        2: "invalid_json",
        3: "missing_field",
        4: "invalid_type",
        5: "empty_review",
        7: "invalid_type",
        8: "invalid_json",
        10: "invalid_encoding",
    }
    assert all(lines[n - 1]["line"] == n for n in errors)
    assert all(lines[n - 1]["error"]["message"].startswith(f"{c}: ") for n, c in errors.items())
    # review_id: passed through on error lines when the line had one.
    ids = [lines[n - 1].get("review_id", "absent") for n in errors]
    assert ids == ["absent", "b", "c", "absent", "absent", "absent", 9]
    # An unknown label spelling: no true_label, but the review is still answered.
    assert lines[5]["uncertain"] is True and "true_label" not in lines[5]
    assert lines[8] == {
        "review_id": None,
        "label": "negative",
        "score": 0.875,
        "probability_positive": 0.125,
        "uncertain": False,
        "true_label": "negative",
    }


def test_json_lines_read_bytes_line_by_line():
    body = b'{"review": "good"}\r\n{"review": "\xff"}\r\n\xef\xbb\xbf{"review": "bad"}'
    answer, _ = _serve(body, JSONL)
    lines = [json.loads(line) for line in answer.split("\n")]
    assert [line.get("label") for line in lines] == ["positive", None, "negative"]
    assert lines[1]["error"]["code"] == "invalid_encoding"


def test_json_lines_have_no_batch_cap():
    body = "\n".join(json.dumps({"review_id": i, "review": "good"}) for i in range(1000))
    answer, _ = _serve(body, JSONL)
    lines = answer.split("\n")
    assert len(lines) == 1000
    assert json.loads(lines[-1])["review_id"] == 999


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", JSONL, "application/*"])
def test_json_lines_are_answered_in_json_lines(accept):
    # The container turns a missing Accept into application/json: JSON Lines still.
    assert _serve('{"review": "good"}', JSONL, accept)[1] == JSONL


def test_json_lines_refuse_other_accept_types_and_empty_bodies():
    refused = _serve('{"review": "good"}', JSONL, "text/csv")
    assert isinstance(refused, RejectedRequest)
    assert (refused.status_code, refused.code) == (406, "not_acceptable")
    for body in ("", b""):
        empty = _serve(body, JSONL)
        assert isinstance(empty, RejectedRequest)
        assert (empty.status_code, empty.code) == (400, "empty_batch")
    # One empty line is a line: answered with its error, the mini-batch still a 200.
    answer, _ = _serve("\n", JSONL)
    assert json.loads(answer)["error"]["code"] == "invalid_json"
    rejected = input_fn(None, JSONL)
    assert isinstance(rejected, RejectedRequest) and rejected.code == "invalid_body"


@pytest.mark.parametrize("body", ["", "{}", b"anything"])
def test_model_card_is_answered_with_the_serving_threshold(body):
    answer, content_type = _serve(body, MODEL_CARD_CONTENT_TYPE, MODEL_CARD_CONTENT_TYPE)
    assert content_type == "application/json"
    card = json.loads(answer)
    assert card == CARD | {"serving": {"uncertainty_threshold": 0.875, "source": "model.json"}}


def test_a_model_without_card_answers_404():
    refused = _serve("{}", MODEL_CARD_CONTENT_TYPE, model=StubModel(card=None))
    assert isinstance(refused, RejectedRequest)
    assert (refused.status_code, refused.code) == (404, "no_model_card")
