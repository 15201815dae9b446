"""Data capture of the local endpoint: SageMaker's record format and folder layout."""

from __future__ import annotations

import base64
import json
import re

import pytest
from botocore.exceptions import ClientError

from capture_records import CaptureStats, endpoint_and_variant, read_capture
from data_capture import CaptureWriter
from local_runtime import LocalRuntime
from variant_router import VariantSpec

_FILE = re.compile(r"\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl")


def capture_runtime(model_dir, folder, encoding) -> LocalRuntime:
    variants = [VariantSpec("blue", model_dir, 1), VariantSpec("green", model_dir, 1)]
    return LocalRuntime(
        variants=variants, seed=3, capture=CaptureWriter(folder, "local-endpoint", encoding)
    )


def records(folder) -> list[tuple[str, dict]]:
    found = []
    for path in sorted(folder.rglob("*.jsonl")):
        relative = path.relative_to(folder).as_posix()
        found.extend((relative, json.loads(line)) for line in path.read_text().splitlines())
    return found


@pytest.mark.parametrize("encoding", ["json", "base64"])
def test_each_answered_call_becomes_one_record_in_the_variant_folder(
    fake_model_dir, tmp_path, encoding
):
    runtime = capture_runtime(fake_model_dir, tmp_path, encoding)
    body = json.dumps({"reviews": ["A great film.", "Dull."]})
    runtime.invoke_endpoint(EndpointName=runtime.endpoint_name, Body=body, TargetVariant="green")
    with pytest.raises(ClientError):
        runtime.invoke_endpoint(EndpointName=runtime.endpoint_name, Body='{"review": " "}')
    runtime.close()
    [(path, record)] = records(tmp_path)
    assert endpoint_and_variant(path) == ("local-endpoint", "green")
    assert _FILE.fullmatch(path.split("/", 2)[2])
    assert set(record) == {"captureData", "eventMetadata", "eventVersion"}
    request, answer = (
        record["captureData"]["endpointInput"],
        record["captureData"]["endpointOutput"],
    )
    assert (request["mode"], answer["mode"]) == ("INPUT", "OUTPUT")
    assert request["observedContentType"] == answer["observedContentType"] == "application/json"
    if encoding == "json":
        assert (request["encoding"], request["data"]) == ("JSON", body)
    else:
        assert request["encoding"] == answer["encoding"] == "BASE64"
        assert base64.b64decode(request["data"]).decode() == body
    metadata = record["eventMetadata"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", metadata["inferenceTime"])
    assert len(metadata["eventId"]) == 36
    # The drift job reads the twin's records back.
    with (tmp_path / path).open("rb") as lines:
        scored = list(read_capture(lines, CaptureStats()))
    assert [(s.review, s.uncertain) for s in scored] == [("A great film.", False), ("Dull.", False)]


def test_json_lines_batches_are_captured_as_json(fake_model_dir, tmp_path):
    runtime = capture_runtime(fake_model_dir, tmp_path, "json")
    body = json.dumps({"review_id": 1, "review": "Superb."}) + "\n" + "oops\n"
    runtime.invoke_endpoint(
        EndpointName=runtime.endpoint_name,
        Body=body,
        ContentType="application/jsonlines",
        Accept="application/jsonlines",
    )
    runtime.close()
    [(path, record)] = records(tmp_path)
    assert record["captureData"]["endpointOutput"]["encoding"] == "JSON"
    stats = CaptureStats()
    [scored] = list(read_capture((tmp_path / path).read_bytes().splitlines(), stats))
    assert scored.review == "Superb." and stats.rejected_lines == 1


def test_an_unknown_encoding_switch_is_refused(tmp_path):
    with pytest.raises(ValueError, match="json or base64"):
        CaptureWriter(tmp_path, "e", "xml")  # type: ignore[arg-type]
