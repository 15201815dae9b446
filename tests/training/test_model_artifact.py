"""model.tar.gz's code/: every module serving imports, from the repository or the bundle."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from training_helpers import REPO_ROOT, make_reviews, run_train

from model_artifact import CODE_FILES


def _flat_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_code_files_hold_every_module_serving_imports():
    # model.tar.gz's code/ must serve alone: the handler, the modules the pickle names and
    # everything they import from training/ or common/, found by walking their imports.
    roots = (REPO_ROOT / "training", REPO_ROOT / "common")
    needed, pending = set(), ["inference.py", "sentiment_model.py"]
    while pending:
        name = pending.pop()
        needed.add(name)
        path = next(root / name for root in roots if (root / name).is_file())
        for module in _flat_imports(path):
            local = any((root / f"{module}.py").is_file() for root in roots)
            if local and f"{module}.py" not in needed:
                pending.append(f"{module}.py")
    assert needed == set(CODE_FILES)


# What the ML stack's source bundle holds besides training/*.py, flat beside train.py.
SOURCE_BUNDLE_COMMON = (
    "text_normalization.py",
    "review_labels.py",
    "training_metrics.py",
    "lake_layout.py",
)


@pytest.mark.training
def test_train_runs_from_a_flat_source_bundle(tmp_path):
    # SageMaker's layout: every module in one directory, no repository around it.
    source = tmp_path / "code"
    source.mkdir()
    for path in [
        *(REPO_ROOT / "training").glob("*.py"),
        *(REPO_ROOT / "common" / name for name in SOURCE_BUNDLE_COMMON),
    ]:
        shutil.copyfile(path, source / path.name)
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    make_reviews(24, seed=9).to_csv(train_dir / "part-0.csv", index=False)
    result = run_train(tmp_path, {"train": train_dir}, script=source / "train.py")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "model" / "code").iterdir()) == sorted(CODE_FILES)
