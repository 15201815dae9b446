"""The Batch Transform twin: lines in, one answer line per line out, split like Transform."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from fake_inference import write_fake_model

from batch import BatchJobError, main, mini_batches, transform
from batch_progress import Progress
from local_runtime import LocalRuntime

GOOD = {"review_id": 1, "review": "A wonderful, superb film.", "label": "pos"}
MIXED_LINES = [
    json.dumps(GOOD),
    "this is not JSON",
    json.dumps({"review_id": "b", "review": "Dull and awful.", "label": "negative"}),
    json.dumps({"review_id": 4, "text": "no review field"}),
    json.dumps({"review_id": 5, "review": 123}),
    json.dumps({"review": "   "}),
    # U+2028 is a line break to str.splitlines(), not to Batch Transform.
    json.dumps({"review_id": 7, "review": "Great\u2028fun."}, ensure_ascii=False),
]


@pytest.fixture(scope="module")
def runtime(fake_model_dir: Path) -> LocalRuntime:
    return LocalRuntime(fake_model_dir)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def read_answers(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_good_and_bad_lines_balance_keep_order_and_ids(runtime, tmp_path):
    source = write_lines(tmp_path / "in" / "reviews.jsonl", MIXED_LINES)
    [result] = transform(runtime, source, tmp_path / "out", 6 * 1024 * 1024)
    assert result.target == tmp_path / "out" / "reviews.jsonl.out"
    assert (result.lines, result.scored, result.rejected) == (7, 3, 4)
    answers = read_answers(result.target)
    assert len(answers) == 7
    assert [a.get("review_id") for a in answers] == [1, None, "b", 4, 5, None, 7]
    assert [a["label"] for a in answers if "error" not in a] == ["positive", "negative", "positive"]
    assert answers[0]["true_label"] == "positive" and answers[2]["true_label"] == "negative"
    assert "true_label" not in answers[6]
    errors = {a["line"]: a["error"]["code"] for a in answers if "error" in a}
    assert errors == {2: "invalid_json", 4: "missing_field", 5: "invalid_type", 6: "empty_review"}
    assert all(set(a["error"]) == {"code", "message"} for a in answers if "error" in a)
    assert {"score", "probability_positive", "uncertain"} <= set(answers[0])


def test_an_empty_file_gives_an_empty_output(runtime, tmp_path, capsys):
    source = write_lines(tmp_path / "empty.jsonl", [])
    [result] = transform(runtime, source, tmp_path / "out", 1024)
    assert result.target.read_bytes() == b""
    assert (result.lines, result.scored, result.rejected, result.mini_batches) == (0, 0, 0, 0)


def test_a_tiny_payload_splits_on_line_boundaries_with_the_same_results(runtime, tmp_path):
    lines = [
        json.dumps({"review_id": n, "review": f"Great film number {n}, not dull."})
        for n in range(40)
    ]
    lines[17] = "broken"
    source = write_lines(tmp_path / "many.jsonl.gz", lines)
    [small] = transform(runtime, source, tmp_path / "small", 300)
    [big] = transform(runtime, source, tmp_path / "big", 6 * 1024 * 1024)
    assert big.mini_batches == 1 and small.mini_batches >= 8
    assert (small.lines, small.scored, small.rejected) == (big.lines, big.scored, big.rejected)
    small_answers, big_answers = read_answers(small.target), read_answers(big.target)
    # An error line's number is counted within its mini-batch (the contract), so it
    # differs between splits; everything else is the same, line for line.
    for answers in (small_answers, big_answers):
        for answer in answers:
            answer.pop("line", None)
    assert small_answers == big_answers
    assert [a.get("review_id") for a in big_answers] == [*range(17), None, *range(18, 40)]


def test_mini_batches_hold_whole_lines_up_to_the_payload():
    lines = [b"x" * size for size in (10, 50, 39, 1, 99, 0, 60)]
    batches = list(mini_batches(lines, 100))
    assert [line for batch in batches for line in batch] == lines
    assert all(sum(len(line) + 1 for line in batch) <= 100 for batch in batches)
    # Greedy packing: a batch closes only when the next line would not fit.
    assert [len(batch) for batch in batches] == [2, 2, 1, 2]
    with pytest.raises(BatchJobError, match="line 2 is 101 bytes"):
        list(mini_batches([b"ok", b"y" * 100], 100))


def test_folders_are_walked_and_mirrored_as_an_s3_prefix(runtime, tmp_path):
    write_lines(tmp_path / "in" / "a.jsonl", [json.dumps(GOOD)])
    write_lines(tmp_path / "in" / "day=2" / "b.jsonl.gz", [json.dumps(GOOD)] * 3)
    # What Spark writes (the ETL's scoring channel): gzip whatever the name, plus markers.
    spark = tmp_path / "in" / "scoring"
    write_lines(spark / "part-00000-c000.json.gz", [json.dumps(GOOD)] * 2)
    (spark / "_SUCCESS").write_bytes(b"")
    (spark / ".part-00000-c000.json.gz.crc").write_bytes(b"\x00crc")
    results = transform(runtime, tmp_path / "in", tmp_path / "out", 1024)
    assert sorted(str(r.target.relative_to(tmp_path / "out")) for r in results) == [
        "a.jsonl.out",
        "day=2/b.jsonl.gz.out",
        "scoring/part-00000-c000.json.gz.out",
    ]
    assert sum(r.scored for r in results) == 6


def test_cli_prints_a_balanced_summary(fake_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "reviews.jsonl", MIXED_LINES)
    code = main(
        [str(source), "--output", str(tmp_path / "out"), "--model-dir", str(fake_model_dir)]
    )
    assert code == 0
    output = capsys.readouterr().out
    assert "7 input lines = 3 scored + 4 rejected" in output
    assert "of at most 6 MB" in output  # the dev stage's batch.max_payload_mb


def test_cli_stops_on_a_missing_input_with_code_2(fake_model_dir, tmp_path, capsys):
    missing = tmp_path / "nowhere.jsonl"
    assert main([str(missing), "--model-dir", str(fake_model_dir)]) == 2
    assert f"input {missing} does not exist" in capsys.readouterr().err


def test_the_job_fails_where_batch_transform_fails_it(tmp_path, capsys):
    model_dir = write_fake_model(tmp_path / "model", crash_on="explode")
    source = write_lines(tmp_path / "reviews.jsonl", [json.dumps(GOOD), '{"review": "explode"}'])
    arguments = [str(source), "--output", str(tmp_path / "out"), "--model-dir", str(model_dir)]
    assert main(arguments) == 1
    assert "the model answered 500 to a mini-batch" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only(runtime, tmp_path):
    assert Progress.for_terminal(io.StringIO()) is None
    terminal = _Terminal()
    progress = Progress.for_terminal(terminal)
    source = write_lines(tmp_path / "reviews.jsonl", [json.dumps(GOOD)] * 5)
    transform(runtime, source, tmp_path / "out", 1024, progress)
    drawn = terminal.getvalue()
    assert drawn.startswith("\r[") and drawn.endswith("\n")
    assert "100% 5 lines" in drawn


def test_the_trained_model_answers_the_twin_as_the_contract_says(trained_model_dir, tmp_path):
    """The real inference module (training/json_lines.py), split into several mini-batches."""
    source = write_lines(tmp_path / "reviews.jsonl", MIXED_LINES)
    [result] = transform(LocalRuntime(trained_model_dir), source, tmp_path / "out", 200)
    assert result.mini_batches > 1
    assert (result.lines, result.scored, result.rejected) == (7, 3, 4)
    answers = read_answers(result.target)
    assert [a.get("review_id") for a in answers] == [1, None, "b", 4, 5, None, 7]
    assert [a.get("true_label") for a in answers[:3]] == ["positive", None, "negative"]
    assert [a["error"]["code"] for a in answers if "error" in a] == [
        "invalid_json",
        "missing_field",
        "invalid_type",
        "empty_review",
    ]
    assert all(
        set(a) >= {"score", "probability_positive", "uncertain"}
        for a in answers
        if "error" not in a
    )
