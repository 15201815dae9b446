"""The entry script's command line outside Glue, as a user runs it (no Spark starts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

JOB = Path(__file__).resolve().parents[2] / "glue_jobs" / "clean_reviews.py"


def run_job(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(JOB), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_help_without_local_prints_usage_and_exits_0(tmp_path):
    done = run_job("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: clean_reviews.py")
    for flag in ("--local", "--input", "--output", "--min-chars", "--split-from-filename"):
        assert flag in done.stdout
    assert "Traceback" not in done.stderr


def test_without_local_outside_glue_it_says_so_instead_of_a_traceback(tmp_path):
    done = run_job("--input", "reviews.csv", "--output", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "outside AWS Glue this script runs with --local" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_missing_arguments_are_a_usage_error(tmp_path):
    done = run_job("--local", cwd=tmp_path)
    assert done.returncode == 2
    assert "the following arguments are required: --input, --output" in done.stderr
    assert "Traceback" not in done.stderr
