"""Local twin of a SageMaker Batch Transform job: `make batch INPUT=... OUTPUT=...`.

The job the batch-scoring pipeline runs (SplitType=Line, BatchStrategy=MultiRecord,
AssembleWith=Line, content type and Accept ``application/jsonlines``), over local files.
INPUT is a file or a folder; a folder means every file under it, as an S3 prefix does,
except the hidden ``.crc`` and ``_SUCCESS`` files Spark writes beside its output. Gzip
and plain files are told apart by their first bytes (CompressionType=Gzip). Each file is
cut into lines, the lines are packed whole into mini-batches of at most MaxPayloadInMB
(the stage's ``batch.max_payload_mb``), each mini-batch goes through the model's
``input_fn`` -> ``predict_fn`` -> ``output_fn`` as the serving container runs them
(`local_runtime`), and the answers are joined into ``<input name>.out``, one line per
input line, in order.

Where Batch Transform fails the whole job, so does the twin (exit code 1): a single line
larger than MaxPayloadInMB, a mini-batch the model refuses (4xx) or crashes on (5xx),
an answer without exactly one line per input line. A bad *line* is the model's to
answer with an error line (training/json_lines.py), which counts as rejected.

    python local/batch.py [INPUT] [--output build/batch] [--model-dir DIR]
        [--stage dev|prod] [--max-payload-mb N]

Without INPUT it scores the local ETL's scoring channel (curated/scoring/, the test
split). Exit codes: 0 done, 1 the job failed, 2 nothing to run (no input, no model, bad
stage).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import io
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

# Run as a script, the twin puts its import roots on sys.path before anything else.
import repo_paths

# isort: split

from botocore.exceptions import ClientError

from batch_progress import Progress
from local_runtime import DEFAULT_MODEL_DIR, LocalRuntime
from stacks.config import ConfigError, cdk_json_context, stage_config

JSON_LINES = "application/jsonlines"
MEGABYTE = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_OUTPUT = repo_paths.REPO_ROOT / "build" / "batch"


class BatchJobError(Exception):
    """What makes Batch Transform fail the job."""


@dataclasses.dataclass
class FileResult:
    source: Path
    target: Path
    lines: int = 0
    scored: int = 0
    rejected: int = 0
    mini_batches: int = 0


def default_input() -> Path:
    """The local ETL's JSON Lines scoring channel, build/etl/curated/<scoring>/."""
    import lake_layout

    return repo_paths.REPO_ROOT / "build" / "etl" / "curated" / lake_layout.SCORING_CHANNEL


def _hidden(path: Path, base: Path) -> bool:
    # Hadoop's convention, which Spark follows: "_SUCCESS", ".part-0000.json.gz.crc".
    return any(part.startswith((".", "_")) for part in path.relative_to(base).parts)


def input_files(path: Path) -> list[Path]:
    if not path.exists():
        raise FileNotFoundError(f"input {path} does not exist")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
    if not files:
        raise FileNotFoundError(f"no input files under {path}")
    return files


def read_lines(raw: io.BufferedReader) -> Iterator[bytes]:
    """The file's lines without their newline: Batch Transform splits on LF alone."""
    gzipped = raw.peek(2)[:2] == GZIP_MAGIC
    stream: Iterable[bytes] = gzip.GzipFile(fileobj=raw) if gzipped else raw
    for line in stream:
        yield line[:-1] if line.endswith(b"\n") else line


def mini_batches(lines: Iterable[bytes], max_payload_bytes: int) -> Iterator[list[bytes]]:
    """Whole lines, each with its newline, packed up to `max_payload_bytes` per batch."""
    batch: list[bytes] = []
    size = 0
    for number, line in enumerate(lines, start=1):
        needed = len(line) + 1
        if needed > max_payload_bytes:
            raise BatchJobError(
                f"line {number} is {needed:,} bytes, over MaxPayloadInMB "
                f"({max_payload_bytes:,} bytes): Batch Transform fails the job on it"
            )
        if batch and size + needed > max_payload_bytes:
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += needed
    if batch:
        yield batch


def score_mini_batch(runtime: LocalRuntime, lines: list[bytes]) -> list[bytes]:
    """The model's answer lines for one mini-batch (exactly one per line, or an error)."""
    try:
        answer = runtime.invoke_endpoint(
            EndpointName=runtime.endpoint_name,
            Body=b"".join(line + b"\n" for line in lines),
            ContentType=JSON_LINES,
            Accept=JSON_LINES,
        )
    except ClientError as err:
        status = err.response.get("OriginalStatusCode", "?")
        detail = str(err.response.get("OriginalMessage", ""))[:500]
        raise BatchJobError(f"the model answered {status} to a mini-batch: {detail}") from err
    answered = answer["Body"].read().split(b"\n")
    if answered and answered[-1] == b"":
        answered.pop()
    if len(answered) != len(lines):
        raise BatchJobError(
            f"the model answered {len(answered)} lines to a mini-batch of {len(lines)}"
        )
    return answered


def _is_rejected(line: bytes) -> bool:
    try:
        document = json.loads(line)
    except ValueError:
        return True
    return not isinstance(document, dict) or "error" in document


def transform_file(
    runtime: LocalRuntime,
    source: Path,
    target: Path,
    max_payload_bytes: int,
    progress: Progress | None = None,
) -> FileResult:
    result = FileResult(source, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if progress is not None:
        progress.next_file()
    with source.open("rb") as raw, target.open("wb") as out:
        lines = read_lines(raw)
        for batch in mini_batches(lines, max_payload_bytes):
            answered = score_mini_batch(runtime, batch)
            # AssembleWith=Line: each record's answer ends with a newline.
            out.write(b"".join(line + b"\n" for line in answered))
            rejected = sum(_is_rejected(line) for line in answered)
            result.mini_batches += 1
            result.lines += len(batch)
            result.rejected += rejected
            result.scored += len(batch) - rejected
            if progress is not None:
                progress.update(raw.tell(), len(batch))
    return result


def transform(
    runtime: LocalRuntime,
    source: Path,
    output_dir: Path,
    max_payload_bytes: int,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Every input file under `source` into `output_dir`, folders kept, as `<name>.out`."""
    files = input_files(source)
    base = source if source.is_dir() else source.parent
    if progress is not None:
        progress.start(sum(path.stat().st_size for path in files))
    results = []
    for path in files:
        target = output_dir / path.relative_to(base).with_name(path.name + ".out")
        results.append(transform_file(runtime, path, target, max_payload_bytes, progress))
    if progress is not None:
        progress.finish()
    return results


def summary(results: list[FileResult], max_payload_mb: float, seconds: float) -> str:
    rows = [
        f"  {r.source.name} -> {r.target}: {r.lines:,} lines in {r.mini_batches:,} "
        f"mini-batch(es): {r.scored:,} scored, {r.rejected:,} rejected"
        for r in results
    ]
    lines = sum(r.lines for r in results)
    scored = sum(r.scored for r in results)
    rejected = sum(r.rejected for r in results)
    batches = sum(r.mini_batches for r in results)
    rate = f", {lines / seconds:,.0f} lines/s" if seconds > 0 and lines else ""
    rows.append(
        f"{lines:,} input lines = {scored:,} scored + {rejected:,} rejected "
        f"({len(results)} file(s), {batches:,} mini-batch(es) of at most {max_payload_mb:g} MB, "
        f"{seconds:.1f} s{rate})"
    )
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("input", nargs="?", type=Path, help="a .jsonl(.gz) file or a folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--stage", help="stage of cdk.json whose batch.max_payload_mb applies")
    parser.add_argument("--max-payload-mb", type=int, help="override the stage's MaxPayloadInMB")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    source = args.input or default_input()
    try:
        batch_config = stage_config(cdk_json_context(), args.stage).batch
        max_mb = args.max_payload_mb or batch_config.max_payload_mb
        files = input_files(source)
        runtime = LocalRuntime(args.model_dir)
    except (FileNotFoundError, ConfigError) as err:
        hint = "" if args.input else " (run `make etl` for the scoring channel, or pass INPUT=)"
        print(f"error: {err}{hint}", file=sys.stderr)
        return 2
    print(f"Batch Transform twin: {len(files)} file(s) from {source}, model {args.model_dir}")
    started = time.monotonic()
    try:
        results = transform(
            runtime, source, args.output, max_mb * MEGABYTE, Progress.for_terminal(sys.stderr)
        )
    except BatchJobError as err:
        print(f"\nerror: the transform job failed: {err}", file=sys.stderr)
        return 1
    print(summary(results, max_mb, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
