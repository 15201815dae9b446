"""Data-capture records as SageMaker writes them -> scored reviews; bad records skipped."""

from __future__ import annotations

import json

import pytest
from capture_fixtures import record, side

from capture_records import CaptureStats, endpoint_and_variant, read_capture

ONE_REVIEW = json.dumps({"review": "A fine film."})
ONE_ANSWER = json.dumps(
    {
        "predictions": [
            {"label": "positive", "score": 0.8, "probability_positive": 0.8, "uncertain": False}
        ]
    }
)


@pytest.mark.parametrize("encoding", ["JSON", "BASE64"])
def test_json_and_base64_records_give_the_same_reviews(encoding):
    line = record(
        side("INPUT", "application/json", ONE_REVIEW, encoding),
        side("OUTPUT", "application/json", ONE_ANSWER, encoding),
    )
    stats = CaptureStats()
    [scored] = list(read_capture([line], stats))
    assert (scored.review, scored.probability_positive, scored.uncertain) == (
        "A fine film.",
        0.8,
        False,
    )
    assert (stats.records, stats.reviews, stats.skipped()) == (1, 1, 0)


def test_a_batch_of_reviews_pairs_with_its_predictions_and_old_answers_still_read():
    request = json.dumps({"reviews": ["Great.", "Awful."]})
    # An answer without probability_positive or uncertain (a model before the contract).
    answer = json.dumps(
        {"predictions": [{"label": "positive", "score": 0.9}, {"label": "negative", "score": 0.7}]}
    )
    line = record(
        side("INPUT", "application/json", request, "JSON"),
        side("OUTPUT", "application/json; charset=utf-8", answer, "BASE64"),
    )
    scored = list(read_capture([line.encode()], CaptureStats()))
    assert [(s.review, s.probability_positive, s.uncertain) for s in scored] == [
        ("Great.", 0.9, None),
        ("Awful.", pytest.approx(0.3), None),
    ]


def test_json_lines_skip_error_lines_and_count_them():
    request = "\n".join([json.dumps({"review_id": 1, "review": "Good\u2028film."}), "not json", ""])
    answer = "\n".join(
        [
            json.dumps(
                {
                    "review_id": 1,
                    "label": "negative",
                    "score": 0.6,
                    "probability_positive": 0.4,
                    "uncertain": True,
                }
            ),
            json.dumps({"line": 2, "error": {"code": "invalid_json", "message": "..."}}),
        ]
    )
    stats = CaptureStats()
    line = record(
        side("INPUT", "application/jsonlines", request, "JSON"),
        side("OUTPUT", "application/jsonlines", answer, "BASE64"),
    )
    [scored] = list(read_capture([line], stats))
    assert (scored.review, scored.probability_positive, scored.uncertain) == (
        "Good\u2028film.",
        0.4,
        True,
    )
    assert (stats.reviews, stats.rejected_lines, stats.skipped()) == (1, 1, 0)


def test_bad_records_are_counted_and_skipped_never_fatal():
    good = record(
        side("INPUT", "application/json", ONE_REVIEW, "JSON"),
        side("OUTPUT", "application/json", ONE_ANSWER, "JSON"),
    )
    lines = [
        "{not json",
        json.dumps({"eventVersion": "0"}),
        record(
            side("INPUT", "application/json", ONE_REVIEW, "XML"),
            side("OUTPUT", "application/json", ONE_ANSWER, "JSON"),
        ),
        record(side("INPUT", "application/json", ONE_REVIEW, "JSON"), None),
        record(
            {
                "observedContentType": "application/json",
                "mode": "INPUT",
                "data": "@@@",
                "encoding": "BASE64",
            },
            side("OUTPUT", "application/json", ONE_ANSWER, "JSON"),
        ),
        record(
            side("INPUT", "application/json", json.dumps({"reviews": ["a", "b"]}), "JSON"),
            side("OUTPUT", "application/json", ONE_ANSWER, "JSON"),
        ),
        record(
            side("INPUT", "text/csv", "a review", "CSV"),
            side("OUTPUT", "application/json", ONE_ANSWER, "JSON"),
        ),
        "",
        good,
    ]
    stats = CaptureStats()
    scored = list(read_capture(lines, stats))
    assert len(scored) == 1
    assert (stats.records, stats.malformed, stats.unknown_encoding) == (8, 2, 1)
    assert (stats.without_output, stats.unreadable, stats.reviews) == (1, 3, 1)
    assert stats.skipped() == 7


def test_the_variant_comes_from_the_capture_path():
    key = "data-capture/reviews-prod/challenger/2026/01/31/12/05-07-123-abc.jsonl"
    assert endpoint_and_variant(key) == ("reviews-prod", "challenger")
    with pytest.raises(ValueError):
        endpoint_and_variant("challenger/2026/01/31.jsonl")


def test_model_card_calls_are_counted_apart_not_skipped():
    # GET /model asks the endpoint for its card; capture records those calls too.
    card = record(
        side("INPUT", "application/vnd.reviews.model-card+json", "{}", "JSON"),
        side("OUTPUT", "application/json", json.dumps({"model_version": "v1"}), "JSON"),
    )
    stats = CaptureStats()
    assert list(read_capture([card, card], stats)) == []
    assert (stats.records, stats.model_cards, stats.skipped()) == (2, 2, 0)


def test_the_card_request_type_is_the_one_inference_and_the_api_use():
    # Three bundles (model code, predict Lambda, drift Lambda) each carry the constant.
    from pathlib import Path

    from capture_records import MODEL_CARD_TYPE

    root = Path(__file__).resolve().parents[3]
    for path in (root / "training/inference.py", root / "lambda/predict/prediction_service.py"):
        assert f'MODEL_CARD_CONTENT_TYPE = "{MODEL_CARD_TYPE}"' in path.read_text(), path
