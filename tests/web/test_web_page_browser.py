"""The web page in headless Chromium against the local server and a locally trained model."""

from __future__ import annotations

import pytest
from browser_pages import open_page

from local_server import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(trained_model_dir):
    with running_server(model_dir=trained_model_dir) as server:
        yield server.base_url


@pytest.fixture
def page(browser, base_url):
    with open_page(browser, base_url) as page:
        yield page


def test_typing_a_review_shows_a_label_and_confidence(page):
    page.get_by_role("textbox", name="Review 1", exact=True).fill(
        "A wonderful, moving film with a superb cast. I loved every minute."
    )
    page.get_by_role("button", name="Predict sentiment").click()

    prediction = page.locator("#results .prediction").first
    prediction.wait_for()
    assert prediction.locator(".badge").inner_text() == "▲ Positive"
    assert page.locator("#results .confidence").first.inner_text().endswith("% confident")
    meter = page.get_by_role("meter").first
    assert 50 <= int(meter.get_attribute("aria-valuenow")) <= 100
    # The health check in the footer reached the same API.
    page.get_by_text("Model endpoint: InService").wait_for()


def test_an_empty_review_shows_the_api_error(page):
    page.get_by_role("button", name="Predict sentiment").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert "HTTP 400" in text
    assert "reviews[0] is empty." in text
    assert "empty_review" in text
    assert (
        page.get_by_role("textbox", name="Review 1", exact=True).get_attribute("aria-invalid")
        == "true"
    )


def test_examples_and_several_reviews_keep_their_order(page):
    page.get_by_role("button", name="Enthusiastic").click()
    page.get_by_role("button", name="Add another review").click()
    page.get_by_role("button", name="Short and blunt").click()
    page.get_by_role("button", name="Predict sentiment").click()

    page.locator("#results .prediction").nth(1).wait_for()
    texts = page.locator("#results .review-text").all_inner_texts()
    assert texts[0].startswith("An absolute delight")
    assert texts[1] == "Boring, predictable and far too long."


def test_api_key_is_sent_as_header_and_kept_only_for_the_tab(page):
    page.get_by_text("API key", exact=True).click()
    page.get_by_label("API key", exact=False).first.fill("test-key-123")
    page.get_by_label("Remember for this tab").check()
    page.get_by_role("textbox", name="Review 1", exact=True).fill("Good fun.")
    with page.expect_request("**/predict") as sent:
        page.get_by_role("button", name="Predict sentiment").click()
    assert sent.value.headers.get("x-api-key") == "test-key-123"
    stored = page.evaluate(
        "[sessionStorage.getItem('reviewSentiment.apiKey'), localStorage.length]"
    )
    assert stored == ["test-key-123", 0]


def test_clear_all_leaves_one_empty_box_and_no_results(page):
    page.get_by_role("button", name="Mixed").click()
    page.get_by_role("button", name="Predict sentiment").click()
    page.locator("#results .prediction").first.wait_for()
    page.get_by_role("button", name="Add another review").click()

    page.get_by_role("button", name="Clear all").click()

    assert page.locator("#review-list textarea").count() == 1
    assert page.get_by_role("textbox", name="Review 1", exact=True).input_value() == ""
    assert page.locator("#results").inner_text() == "No predictions yet."
