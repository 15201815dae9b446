"""Every Lambda bundle carries what its handler imports (the runtime has only boto3)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from stacks.constructs.serving.ab_report import AB_REPORT_LAMBDA
from stacks.constructs.shared.python_bundle import RUNTIME_PROVIDED, python_code
from stacks.source_paths import COMMON, PREDICT_LAMBDA

DRIFT_LAMBDA = PREDICT_LAMBDA.parent / "drift"


def _third_party_imports(folder: Path) -> set[str]:
    local = {p.stem for p in folder.glob("*.py")}
    found = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    # common/ modules are shipped beside the handler by the constructs (shared_files).
    shared = {p.stem for p in COMMON.glob("*.py")}
    standard = set(sys.stdlib_module_names) | {"__future__"}
    return found - local - shared - standard - set(RUNTIME_PROVIDED)


@pytest.mark.parametrize("folder", [AB_REPORT_LAMBDA, DRIFT_LAMBDA, PREDICT_LAMBDA])
def test_each_bundle_carries_every_package_its_handler_imports(folder):
    bundle = Path(python_code(folder).path)
    imports = _third_party_imports(folder)
    assert "aws_lambda_powertools" in imports
    missing = [name for name in imports if not (bundle / name).exists()]
    assert missing == []
