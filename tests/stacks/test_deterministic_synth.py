"""Two synths of a stage are byte-identical: templates, manifests, metadata, reports.

Each synth runs in a fresh interpreter with a different hash seed, as two CI runs would:
the order in which the CDK discovers cross-stack references moved with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from synth_support import fixture_model_artifact

REPO_ROOT = Path(__file__).resolve().parents[2]
SYNTH = """
import sys
from pathlib import Path
import app
from stacks.constructs.shared.stable_outputs import scrub_kernel_paths
context = {**app.cdk_json_context(), "stage": "dev", "bootstrap_model": sys.argv[2]}
assembly = app.create_app(context=context, outdir=sys.argv[1]).synth()
scrub_kernel_paths(Path(assembly.directory))
"""


def _synth(outdir: Path, model: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run(
        [sys.executable, "-c", SYNTH, str(outdir), str(model)],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return {p.name: p.read_bytes() for p in sorted(outdir.iterdir()) if p.suffix == ".json"}


def test_two_synths_of_a_stage_are_byte_identical(tmp_path):
    model = fixture_model_artifact(tmp_path)
    first = _synth(tmp_path / "first", model, "1")
    second = _synth(tmp_path / "second", model, "2")
    assert any(name.endswith(".template.json") for name in first)
    assert "manifest.json" in first and "validation-report.json" in first
    assert sorted(first) == sorted(second)
    changed = [name for name in first if first[name] != second[name]]
    assert changed == []
