"""What a served request may be refused for, and the checks one review must pass.

Shared by ``inference`` (JSON and CSV bodies, refused whole) and ``json_lines`` (one
answer line per input line, a bad line answered with its error). The codes are stable:
the predict Lambda parses the ``"<code>: <reason>"`` message (api_errors.py).

Why a refusal is *returned* as a WSGI application instead of raised: see inference.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from text_normalization import is_empty_review

JSON_CONTENT_TYPE = "application/json"


class InvalidInputError(ValueError):
    """A request the model cannot answer; ``code`` is stable, ``status_code`` is HTTP."""

    STATUS = {
        "unsupported_media_type": 415,
        "not_acceptable": 406,
        "batch_too_large": 413,
        "no_model_card": 404,
    }

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status_code = self.STATUS.get(code, 400)

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self)}


class RejectedRequest:
    """A refused request as a WSGI application: its 4xx status and JSON error body."""

    def __init__(self, error: InvalidInputError) -> None:
        self.code = error.code
        self.status_code = error.status_code
        self.message = str(error)
        self.body = json.dumps({"error": error.as_json()}).encode()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        headers = [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(self.body)))]
        start_response(f"{self.status_code} {HTTPStatus(self.status_code).phrase}", headers)
        return [self.body]

    def __repr__(self) -> str:
        return f"RejectedRequest({self.status_code}, {self.message!r})"


def decode_body(body: str | bytes | bytearray) -> str:
    """Text of a body: str as it is, bytes as strict UTF-8 (a BOM dropped)."""
    if isinstance(body, bytes | bytearray):
        try:
            return bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInputError("invalid_encoding", f"body is not UTF-8 ({exc})") from exc
    if isinstance(body, str):
        return body
    raise InvalidInputError("invalid_body", f"body must be str or bytes, got {type(body).__name__}")


def check_review(name: str, review: object) -> str:
    """The review if the model can read it; InvalidInputError naming it (``name``) if not."""
    if not isinstance(review, str):
        raise InvalidInputError(
            "invalid_type", f"{name} must be a string, got {type(review).__name__}"
        )
    # Markup or whitespace alone is no text to judge: the ETL and the API say the same.
    if is_empty_review(review):
        raise InvalidInputError("empty_review", f"{name} has no text")
    if not review.isascii():
        # JSON may escape half of a UTF-16 surrogate pair ("\ud83d"): no text can hold it.
        try:
            review.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInputError(
                "invalid_encoding", f"{name} is not Unicode text ({exc.reason})"
            ) from exc
    return review


def parse_json_object(text: str, what: str, expected: str) -> dict[str, Any]:
    """`text` as a JSON object, or the client's mistake as an InvalidInputError.

    json.loads raises ValueError for more than broken syntax (an integer of more than
    4,300 digits) and RecursionError for deep nesting; each is the sender's fault, never
    the model's, so each is `invalid_json` rather than a 500.
    """
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidInputError("invalid_json", f"{what} is not valid JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise InvalidInputError("invalid_type", f"{what} must be a JSON object with {expected}")
    return payload
