"""What the page shows of each answer (uncertain, truncated, per-review errors, the variant)
and the served model's card: first with the local server and a real trained model, then
with API answers stubbed in the browser for what a local model never answers
(Comprehend's truncation and per-review errors) and for a card that fails."""

from __future__ import annotations

import json
import shutil

import pytest
from browser_pages import open_page

from local_server import running_server

pytestmark = pytest.mark.browser

CARD = {
    "model_version": "v7",
    "trained_at": "2026-11-30T12:00:00Z",
    "metrics": {
        "validation": {"accuracy": 0.9, "precision": 0.91, "recall": 0.89, "f1": 0.9},
        "test": {"accuracy": 0.88, "precision": 0.87, "recall": 0.9, "f1": 0.885, "roc_auc": 0.95},
    },
    "confusion_matrix": {"labels": ["negative", "positive"], "test": [[45, 5], [6, 44]]},
    "uncertainty": {
        "validation": {"threshold": 0.7, "coverage": 0.8, "kept_accuracy": 0.97},
        "test": {"threshold": 0.7, "coverage": 0.78, "kept_accuracy": 0.965},
    },
    "serving": {"uncertainty_threshold": 0.75, "source": "UNCERTAINTY_THRESHOLD"},
    "data_rows": {"train": 800, "validation": 100, "test": 100},
    "backend": "sagemaker",
    "variant": "champion",
}
COMPREHEND_ANSWER = {
    "predictions": [
        {"label": "positive", "score": 0.41, "uncertain": True},
        {"label": "negative", "score": 0.97, "uncertain": False, "truncated": True},
        {"error": {"code": "backend_item_error", "message": "Amazon Comprehend could not..."}},
    ],
    "model": "amazon-comprehend",
    "backend": "comprehend",
    "variant": None,
}


@pytest.fixture(scope="module")
def doubtful_model_dir(trained_model_dir, tmp_path_factory):
    """The trained model with a threshold no score reaches: every answer is uncertain."""
    copy = tmp_path_factory.mktemp("doubtful") / "model"
    shutil.copytree(trained_model_dir, copy)
    metadata = json.loads((copy / "model.json").read_text())
    metadata["uncertainty_threshold"] = 0.9999
    (copy / "model.json").write_text(json.dumps(metadata))
    return copy


@pytest.fixture(scope="module")
def base_url(doubtful_model_dir):
    with running_server(model_dir=doubtful_model_dir) as server:
        yield server.base_url


def predict(page, examples):
    for index, example in enumerate(examples):
        if index:
            page.get_by_role("button", name="Add another review").click()
        page.get_by_role("button", name=example).click()
    page.get_by_role("button", name="Predict sentiment").click()
    page.locator("#results .prediction").nth(len(examples) - 1).wait_for()
    return page.locator("#results .prediction")


# -- the local server and a real trained model ----------------------------------------------
def test_an_uncertain_answer_shows_the_badge_and_the_variant(browser, base_url):
    with open_page(browser, base_url) as page:
        prediction = predict(page, ["Enthusiastic"]).first
        assert prediction.locator(".flag-uncertain").inner_text() == "Uncertain"
        # The label is still given, as the API gives it.
        assert prediction.locator(".badge").inner_text() in {"▲ Positive", "▼ Negative"}
        summary = page.locator("#results .summary").inner_text()
        assert "1 uncertain" in summary
        assert "variant AllTraffic" in summary


def test_the_served_models_card_appears_under_the_form(browser, base_url):
    with open_page(browser, base_url) as page:
        card = page.locator("#model-card")
        card.locator(".card-title").wait_for()
        assert card.locator(".card-title").inner_text().startswith("Model local-")
        assert "answered by variant AllTraffic" in card.inner_text()
        assert "below 0.9999" in card.inner_text()  # the doubtful copy's threshold
        # The fixture model trains without validation or test channels, so its card has
        # no metrics to tabulate (the stubbed card below has them).
        tables, hint = card.locator(".metrics-table"), card.get_by_text("No evaluation metrics")
        assert tables.count() + hint.count() == 1


# -- stubbed answers -----------------------------------------------------------------------
def test_comprehend_answers_show_uncertain_truncated_and_failed_reviews(browser, base_url):
    stubs = {"/predict": (200, COMPREHEND_ANSWER)}
    with open_page(browser, base_url, stubs) as page:
        uncertain, truncated, failed = predict(
            page, ["Mixed", "Disappointed", "Short and blunt"]
        ).all()
        assert uncertain.locator(".flag-uncertain").inner_text() == "Uncertain"
        assert uncertain.locator(".badge").inner_text() == "▲ Positive"
        assert truncated.locator(".flag-truncated").inner_text() == "Truncated"
        assert truncated.locator(".flag-uncertain").count() == 0
        assert failed.locator(".flag-error").inner_text() == "Not analysed"
        assert "could not" in failed.locator(".item-error").inner_text()
        assert page.locator("#results .summary").inner_text() == (
            "3 reviews: 1 positive, 1 negative, 1 uncertain, 1 not analysed (Amazon Comprehend)."
        )


def test_the_card_shows_metrics_the_confusion_matrix_and_the_threshold(browser, base_url):
    with open_page(browser, base_url, {"/model": (200, CARD)}) as page:
        card = page.locator("#model-card")
        card.locator(".confusion-table").wait_for()
        rows = card.locator(".metrics-table tbody tr").all_inner_texts()
        assert [row.split("\t")[0] for row in rows] == ["validation", "test"]
        assert rows[1].split("\t")[1:] == ["0.880", "0.870", "0.900", "0.885", "0.950"]
        assert rows[0].split("\t")[-1] == "—"
        matrix = card.locator(".confusion-table tbody tr").all_inner_texts()
        assert matrix == ["Actually negative\t45\t5", "Actually positive\t6\t44"]
        text = card.inner_text()
        assert "below 0.75" in text and "78.0%" in text and "96.5%" in text
        assert "answered by variant champion" in text
        assert "train 800" in text


def test_the_comprehend_health_is_said_in_the_footer(browser, base_url):
    health = {"status": "ok", "backend": "comprehend", "region": "eu-west-1", "model": "c"}
    with open_page(browser, base_url, {"/health": (200, health)}) as page:
        page.get_by_text("Backend: Amazon Comprehend (eu-west-1) · model c").wait_for()


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ((404, {"error": {"code": "model_card_unavailable", "message": "No card."}}), "No card."),
        ((200, [1, 2]), "cannot read"),
        ((0, None), "Could not reach the API"),
    ],
    ids=["404", "not-an-object", "network"],
)
def test_a_card_that_fails_says_so_and_predictions_still_work(browser, base_url, answer, shown):
    with open_page(browser, base_url, {"/model": answer}) as page:
        page.locator("#model-card .card-error").wait_for()
        assert shown in page.locator("#model-card").inner_text()
        assert predict(page, ["Enthusiastic"]).count() == 1


def test_an_odd_card_shows_what_it_can(browser, base_url):
    odd = {"model_version": 7, "metrics": "none", "confusion_matrix": {"test": [[1]]}}
    with open_page(browser, base_url, {"/model": (200, odd)}) as page:
        page.get_by_text("No evaluation metrics are published for this model.").wait_for()
        assert page.locator("#model-card .card-title").inner_text() == "Model 7."
        assert page.locator("#model-card .confusion-table").count() == 0
