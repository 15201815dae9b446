"""The JSON Schema of a POST /predict body, loaded from the one file that defines it.

API Gateway's request model is built from this schema (the serving stack), and the
predict Lambda validates bodies against it too, so the cloud and the local twin refuse
the same requests. The schema file travels beside this module wherever it is shipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("predict_request.schema.json")


def predict_request_schema() -> dict[str, Any]:
    """A fresh copy of the schema (callers may convert or annotate it)."""
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema
