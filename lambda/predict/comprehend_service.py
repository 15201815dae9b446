"""The Comprehend backend: the same API answered by Amazon Comprehend's sentiment.

Reviews go to `BatchDetectSentiment` in English, at most 25 per call, cleaned as the model
cleans them (`text_normalization.normalize_text`: markup is noise to Comprehend and billed
per character), each cut to 5,000 UTF-8 bytes on a character boundary (the review's
answer then says ``"truncated": true``).
POSITIVE and NEGATIVE become that label with its SentimentScore; NEUTRAL and MIXED are
``uncertain`` with the larger of Positive and Negative. A review Comprehend could not
analyse (its ErrorList) is answered with ``{"error": {"code": "backend_item_error",
"message"}}`` while the others are answered. Whole-call failures keep the API's codes
(`api_errors.comprehend_error`). Free of Lambda and Powertools, like `prediction_service`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import NoRegionError

from api_errors import CALL_ERRORS, ApiError, comprehend_error, invalid_model_response, unavailable
from prediction_service import ModelCard, Prediction, ServiceBase, is_probability
from request_rules import PredictRequest
from text_normalization import normalize_text

# Comprehend's limits for BatchDetectSentiment (AWS API reference): 25 texts per call,
# each at most 5 KB of UTF-8; 5,000 bytes stays inside either reading of "5 KB".
BATCH_SIZE = 25
MAX_TEXT_BYTES = 5000
LANGUAGE_CODE = "en"
# Sentiment -> (label, uncertain); None: the label is the larger of Positive/Negative.
_SENTIMENTS: dict[str, tuple[str | None, bool]] = {
    "POSITIVE": ("positive", False),
    "NEGATIVE": ("negative", False),
    "NEUTRAL": (None, True),
    "MIXED": (None, True),
}
# What GET /model answers: Comprehend publishes no metrics of ours, so none are claimed.
STATIC_CARD: dict[str, Any] = {
    "model_version": "amazon-comprehend",
    "name": "Amazon Comprehend (DetectSentiment, English)",
    "trained_at": None,
    "metrics": {},
    "confusion_matrix": None,
    "uncertainty": {"rule": "NEUTRAL or MIXED sentiment is uncertain"},
    "data_rows": {},
    "documentation": "https://docs.aws.amazon.com/comprehend/latest/dg/how-sentiment.html",
}


def cut_to_bytes(text: str, limit: int = MAX_TEXT_BYTES) -> tuple[str, bool]:
    """`text` in at most `limit` UTF-8 bytes, whole characters only; and whether it was cut."""
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes
        return text, False
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    # A cut inside a multi-byte character leaves an incomplete sequence at the very end,
    # the only undecodable bytes there can be: dropping them keeps whole characters.
    return data[:limit].decode("utf-8", errors="ignore"), True


def map_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """One ResultList entry as a prediction; a 502 if Comprehend answered nonsense."""
    sentiment = result.get("Sentiment")
    scores = result.get("SentimentScore")
    if sentiment not in _SENTIMENTS or not isinstance(scores, Mapping):
        raise invalid_model_response(f"result {result.get('Index')} has {str(sentiment)[:40]!r}")
    positive, negative = scores.get("Positive"), scores.get("Negative")
    if not (is_probability(positive) and is_probability(negative)):
        raise invalid_model_response(f"result {result.get('Index')} has scores {scores!r:.80}")
    label, uncertain = _SENTIMENTS[str(sentiment)]
    if label is None:
        # Ties go to "negative", as they do in the project's model.
        label = "positive" if positive > negative else "negative"
    score = positive if label == "positive" else negative
    return {"label": label, "score": float(score), "uncertain": uncertain}


def item_error(error: Mapping[str, Any]) -> dict[str, Any]:
    code = str(error.get("ErrorCode") or "unknown")[:60]
    message = f"Amazon Comprehend could not analyse this review ({code})."
    return {"error": {"code": "backend_item_error", "message": message}}


def map_batch(answer: Mapping[str, Any], size: int) -> list[dict[str, Any]]:
    """One entry per text of the call, in order: a prediction or an item error."""
    entries: dict[int, dict[str, Any]] = {}
    results = answer.get("ResultList") or []
    errors = answer.get("ErrorList") or []
    for item, shape in [(r, map_result) for r in results] + [(e, item_error) for e in errors]:
        index = item.get("Index")
        if type(index) is not int or not 0 <= index < size or index in entries:
            raise invalid_model_response(f"index {str(index)[:20]} for {size} texts")
        entries[index] = shape(item)
    if len(entries) != size:
        raise invalid_model_response(f"{len(entries)} answers for {size} texts")
    return [entries[index] for index in range(size)]


class ComprehendService(ServiceBase):
    """Amazon Comprehend through the (lazily built) client; nothing to deploy or cache."""

    name = "comprehend"
    # Where botocore's endpoint data lists Comprehend, read on the first /health.
    _regions: frozenset[str] | None = None

    def warm_up(self) -> None:
        self.clients.comprehend()

    def _detect(self, texts: list[str]) -> Mapping[str, Any]:
        try:
            return self.clients.comprehend().batch_detect_sentiment(
                TextList=texts, LanguageCode=LANGUAGE_CODE
            )
        except CALL_ERRORS as err:
            raise comprehend_error(err) from err

    def predict(self, request: PredictRequest) -> Prediction:
        cuts = [cut_to_bytes(normalize_text(review)) for review in request.reviews]
        answers: list[dict[str, Any]] = []
        started = self._clock()
        try:
            for start in range(0, len(cuts), BATCH_SIZE):
                texts = [text for text, _ in cuts[start : start + BATCH_SIZE]]
                answers.extend(map_batch(self._detect(texts), len(texts)))
        except ApiError as err:
            err.model_latency_ms = (self._clock() - started) * 1000.0
            raise
        latency_ms = (self._clock() - started) * 1000.0
        for answer, (_, truncated) in zip(answers, cuts, strict=True):
            if truncated:
                answer["truncated"] = True
        failed = sum("error" in answer for answer in answers)
        return Prediction(answers, latency_ms, None, failed)

    def model_card(self, target_variant: str | None) -> ModelCard:
        return ModelCard(dict(STATIC_CARD))

    def health(self) -> dict[str, str]:
        """200 when a Comprehend client exists for a region where botocore's endpoint data
        lists Comprehend. Nothing is called: every Comprehend request is billed."""
        try:
            region = str(self.clients.comprehend().meta.region_name)
        except NoRegionError as err:
            raise unavailable("Amazon Comprehend is not configured.", str(err)) from err
        if self._regions is None:
            import botocore.session

            self._regions = frozenset(
                botocore.session.get_session().get_available_regions("comprehend")
            )
        if region not in self._regions:
            detail = f"Comprehend is not offered in {region}"
            raise unavailable("Amazon Comprehend is not available in this region.", detail)
        model = self.settings.model_version
        return {"status": "ok", "backend": "comprehend", "region": region, "model": model}
