"""Helpers for the Comprehend backend's tests: settings, canned answers, a real client.

The client is a real boto3 client (with dummy credentials) for botocore's Stubber, so
every request is checked against Comprehend's service model and nothing leaves the machine.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
from botocore.stub import Stubber
from predict_fakes import TEST_SETTINGS

COMPREHEND_SETTINGS = dataclasses.replace(
    TEST_SETTINGS,
    backend="comprehend",
    endpoint_name="",
    model_version="amazon-comprehend",
    max_reviews=64,
    max_review_chars=6000,
    max_body_bytes=1_048_576,
)


def comprehend_client(region: str = "eu-west-1") -> Any:
    return boto3.client(
        "comprehend",
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def scores(positive: float, negative: float, neutral: float = 0.0, mixed: float = 0.0):
    return {"Positive": positive, "Negative": negative, "Neutral": neutral, "Mixed": mixed}


def result(index: int, sentiment: str = "POSITIVE", **kwargs: float) -> dict[str, Any]:
    score = scores(**kwargs) if kwargs else scores(0.9, 0.05, 0.05)
    return {"Index": index, "Sentiment": sentiment, "SentimentScore": score}


def positives(count: int) -> dict[str, Any]:
    return {"ResultList": [result(index) for index in range(count)], "ErrorList": []}


def expect(stubber: Stubber, texts: list[str], answer: dict[str, Any]) -> None:
    """Queue one BatchDetectSentiment answer for exactly these texts, in English."""
    stubber.add_response(
        "batch_detect_sentiment", answer, {"TextList": texts, "LanguageCode": "en"}
    )
