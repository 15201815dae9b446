"""What a POST /predict request must be, from its content type down to each review, and
which variant (X-Target-Variant) it may pin.

The body's structure is checked against the one JSON Schema of the request
(`predict_request.schema.json`, which API Gateway's request model is built from too).
What a schema cannot answer with a precise error code (an empty review, lengths, the
review count, the body's size and encoding) is checked here in plain functions, and an
empty review is what `text_normalization.is_empty_review` says, as in the ETL and the model.

The body is parsed as strict JSON (RFC 8259): no NaN or Infinity, no repeated keys (a
parser that keeps the first and one that keeps the last would read different requests),
and nesting too deep for the parser is a 400 like any other malformed body.
"""

from __future__ import annotations

import binascii
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import fastjsonschema
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from api_errors import ApiError
from api_settings import Settings
from predict_request import predict_request_schema
from text_normalization import is_empty_review

_SCHEMA = predict_request_schema()
_FIELDS = frozenset(_SCHEMA["properties"])
_validate = fastjsonschema.compile(_SCHEMA)
# Pins a request (and GET /model) to one production variant; HTTP header names are
# case-insensitive, and so are Powertools' event headers.
TARGET_VARIANT_HEADER = "X-Target-Variant"
# How a schema type reads in a message about the request.
_TYPE_WORDS = {
    "object": 'a JSON object with "reviews"',
    "array": "a list of strings",
    "string": "a string",
}


@dataclass(frozen=True)
class PredictRequest:
    reviews: list[str]
    # The body for the endpoint: always {"reviews": [...]}, as UTF-8 JSON.
    payload: bytes
    # The production variant the caller pinned with X-Target-Variant, if any.
    target_variant: str | None = None


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def check_content_type(value: str) -> None:
    media_type, _, params = value.partition(";")
    if media_type.strip().lower() != "application/json":
        shown = media_type.strip()[:100] or "none"
        raise ApiError(
            415, "unsupported_media_type", f"Content-Type must be application/json, got {shown}."
        )
    for param in params.split(";"):
        name, _, charset = param.partition("=")
        is_charset = name.strip().lower() == "charset"
        if is_charset and charset.strip().strip('"').lower() not in {"utf-8", "utf8"}:
            raise ApiError(415, "unsupported_media_type", "Only UTF-8 encoded JSON is accepted.")


def read_body(event: BaseProxyEvent, max_bytes: int) -> bytes:
    """The body as UTF-8 bytes, base64-decoded when API Gateway encoded it."""
    if not event.body:
        raise ApiError(400, "invalid_json", "The request body is empty; send a JSON object.")
    too_large = ApiError(
        413, "payload_too_large", f"The request body is larger than {max_bytes} bytes."
    )
    # Base64 is 4 characters per 3 bytes: reject before decoding something huge.
    if event.is_base64_encoded and len(event.body) > (max_bytes + 2) // 3 * 4 + 4:
        raise too_large
    try:
        data = (event.decoded_body or "").encode("utf-8")
    except binascii.Error as err:
        raise ApiError(400, "invalid_json", "The request body is not valid base64.") from err
    except UnicodeError as err:  # bytes that are not UTF-8, or a lone surrogate in text
        raise ApiError(400, "invalid_json", "The request body is not valid UTF-8.") from err
    if len(data) > max_bytes:
        raise too_large
    return data


def schema_error(err: fastjsonschema.JsonSchemaValueException) -> ApiError:
    """The schema's complaint in the words of the API (the schema's own name the body "data")."""
    where = (err.name or "data").removeprefix("data").lstrip(".")
    if err.rule == "type":
        wanted = _TYPE_WORDS.get(str(err.rule_definition), str(err.rule_definition))
        return invalid(f"{where or 'The body'} must be {wanted}.")
    if err.rule == "oneOf" and isinstance(err.value, dict) and err.value.keys() >= _FIELDS:
        return invalid('Send either "review" or "reviews", not both.')
    if err.rule == "oneOf":
        return invalid('Missing field "reviews" (or "review").')
    if err.rule == "additionalProperties" and isinstance(err.value, dict):
        unknown = sorted(set(err.value) - _FIELDS)
        return invalid(f"Unknown field(s): {', '.join(repr(name[:40]) for name in unknown[:5])}.")
    return invalid(f"The body does not match the request schema: {err.message}.")


def check_reviews(reviews: list[str], settings: Settings, *, batch: bool) -> None:
    if not reviews:
        raise invalid('"reviews" must hold at least one review.')
    if len(reviews) > settings.max_reviews:
        raise ApiError(
            400,
            "too_many_reviews",
            f"At most {settings.max_reviews} reviews per request, got {len(reviews)}.",
        )
    for index, review in enumerate(reviews):
        name = f"reviews[{index}]" if batch else "review"
        if is_empty_review(review):
            raise ApiError(400, "empty_review", f"{name} is empty.")
        if len(review) > settings.max_review_chars:
            raise ApiError(
                413,
                "review_too_long",
                f"{name} has {len(review)} characters; the limit is {settings.max_review_chars}.",
            )
        # Only JSON escapes can put lone surrogates into text, and no model can encode
        # them. isascii() is a flag check, so ASCII reviews skip the encoding test.
        if not review.isascii():
            try:
                review.encode("utf-8")
            except UnicodeEncodeError as err:
                raise invalid(f"{name} is not valid Unicode text.") from err


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        repeated = next(key for key, count in counts.items() if count > 1)
        raise ApiError(400, "invalid_json", f"The request body repeats the key {repeated[:40]!r}.")
    return document


def _constant(name: str) -> Any:
    raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {name} is not JSON.")


def parse_json(text: str) -> Any:
    """The document in `text`, or a 400 `invalid_json` for anything RFC 8259 does not allow."""
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as err:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {err}.") from err
    except ValueError as err:  # an integer longer than int() reads (4,300 digits)
        message = "The request body holds a number too long to read."
        raise ApiError(400, "invalid_json", message, detail=str(err)) from err


def read_target_variant(event: BaseProxyEvent, settings: Settings) -> str | None:
    """The variant named by X-Target-Variant, if the stage lets callers pin one.

    An empty header pins nothing. Names are compared exactly, as SageMaker compares them.
    """
    name = (event.headers.get(TARGET_VARIANT_HEADER) or "").strip()
    if not name:
        return None
    if not settings.pinning_enabled:
        message = f"This API does not accept {TARGET_VARIANT_HEADER}."
        raise ApiError(400, "variant_pinning_disabled", message)
    if name not in settings.variants:
        known = ", ".join(settings.variants) or "none"
        message = f"Unknown variant {name[:64]!r}; the variants are: {known}."
        raise ApiError(400, "unknown_variant", message)
    return name


def read_predict_request(event: BaseProxyEvent, settings: Settings) -> PredictRequest:
    check_content_type(event.headers.get("content-type") or "")
    target_variant = read_target_variant(event, settings)
    data = read_body(event, settings.max_body_bytes)
    try:
        # Text, not bytes: json.loads would guess UTF-16 from a leading NUL and skip a BOM
        # that the model's own parser would then choke on.
        document = parse_json(data.decode("utf-8"))
        _validate(document)
    except fastjsonschema.JsonSchemaValueException as err:
        raise schema_error(err) from err
    except RecursionError as err:
        # The C parser counts nesting against the recursion limit, so a few thousand "["
        # reach it, and a validator may recurse into what it checks. No request needs
        # more than two levels: this is a malformed body, not a server fault.
        raise ApiError(400, "invalid_json", "The request body nests too deeply.") from err
    batch = "reviews" in document
    reviews: list[str] = document["reviews"] if batch else [document["review"]]
    check_reviews(reviews, settings, batch=batch)
    if batch:
        # The body was just validated as exactly {"reviews": [strings]}: forward it as it
        # is rather than spend a millisecond re-encoding 64 long reviews.
        return PredictRequest(reviews, data, target_variant)
    # ensure_ascii=False keeps the payload about as large as the request.
    payload = json.dumps({"reviews": reviews}, ensure_ascii=False).encode()
    return PredictRequest(reviews, payload, target_variant)
