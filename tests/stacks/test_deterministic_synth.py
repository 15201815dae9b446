"""Two synths of a stage are byte-identical: templates, manifests, metadata, reports.

The second synth runs in a fresh interpreter with another hash seed than this one's, as
a second CI run would: the order in which the CDK discovers cross-stack references moved
with it. The first is the session's own synthesis of dev, copied before it is scrubbed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from synth_support import fixture_model_artifact

from stacks.constructs.shared.stable_outputs import scrub_kernel_paths

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


def _json_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.suffix == ".json"}


def test_two_synths_of_a_stage_are_byte_identical(dev, tmp_path):
    first = tmp_path / "first"
    shutil.copytree(dev.assembly_dir, first, ignore=shutil.ignore_patterns("asset.*"))
    scrub_kernel_paths(first)
    # Not this interpreter's seed, whatever it was.
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO_ROOT)}
    model = fixture_model_artifact(tmp_path)
    second = tmp_path / "second"
    command = [sys.executable, "-c", SYNTH, str(second), str(model)]
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=600)

    first_files, second_files = _json_files(first), _json_files(second)
    assert any(name.endswith(".template.json") for name in first_files)
    assert "manifest.json" in first_files and "validation-report.json" in first_files
    assert sorted(first_files) == sorted(second_files)
    changed = [name for name in first_files if first_files[name] != second_files[name]]
    assert changed == []
