"""The model artifact: plain arrays and JSON, and a code/ that serves with numpy and scipy."""

from __future__ import annotations

import ast
import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from training_helpers import REPO_ROOT, make_reviews, run_train

from model_artifact import (
    ARRAYS_FILENAME,
    CODE_FILES,
    METADATA_FILENAME,
    MODEL_FILES,
    export_model,
    is_model_dir,
    load_model,
    save_model,
    serving_model,
)
from sentiment_model import NgramNBEnsemble

ROOTS = (REPO_ROOT / "training", REPO_ROOT / "common")
SERVING_REQUIREMENTS = REPO_ROOT / "training" / "requirements-serving.txt"


def _flat_imports(path: Path) -> set[str]:
    """Top-level names of every import in a file, wherever it stands (lazy ones too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _serving_imports() -> tuple[set[str], set[str]]:
    """(our modules serving imports, from inference.py on; every other top-level import)."""
    needed, others, pending = set(), set(), ["inference.py"]
    while pending:
        name = pending.pop()
        needed.add(name)
        path = next(root / name for root in ROOTS if (root / name).is_file())
        for module in _flat_imports(path):
            if not any((root / f"{module}.py").is_file() for root in ROOTS):
                others.add(module)
            elif f"{module}.py" not in needed:
                pending.append(f"{module}.py")
    return needed, others


def test_code_files_hold_every_module_serving_imports():
    # model.tar.gz's code/ must serve alone: the handler and everything it imports from
    # training/ or common/, found by walking the imports, lazy ones included.
    needed, _ = _serving_imports()
    assert needed == set(CODE_FILES)


def test_serving_imports_only_the_pinned_libraries():
    # Beyond the standard library, serving imports what requirements-serving.txt pins to
    # the serving image's versions, and nothing else (scikit-learn, joblib, pandas...).
    _, others = _serving_imports()
    third_party = others - set(sys.stdlib_module_names) - {"__future__"}
    lines = SERVING_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert third_party == set(pins) == {"numpy", "scipy"}
    assert all(version.count(".") == 2 for version in pins.values())


@pytest.mark.training
def test_artifact_is_plain_arrays_and_json(small_ensemble, tmp_path):
    model, reviews = small_ensemble
    files = save_model(model, tmp_path)
    assert [path.name for path in files] == list(MODEL_FILES)
    assert is_model_dir(tmp_path)
    # Every member an .npy of format 1.0 (read by every numpy), none an object array.
    with zipfile.ZipFile(tmp_path / ARRAYS_FILENAME) as archive:
        for member in archive.namelist():
            with archive.open(member) as stream:
                assert np.lib.format.read_magic(stream) == (1, 0), member
                header = np.lib.format.read_array_header_1_0(stream)
                assert header[2] != np.dtype(object), member
    meta = json.loads((tmp_path / METADATA_FILENAME).read_text())
    assert meta["classes"] == [0, 1]
    assert meta["spaces"]["word"]["hashing"]["n_bits"] == model.word_hasher_.n_bits
    assert [n["spaces"] for n in meta["networks"]] == [["word"], ["word", "char"]]
    served = load_model(tmp_path)
    np.testing.assert_allclose(
        served.predict_proba(reviews), model.predict_proba(reviews), rtol=1e-6, atol=1e-7
    )
    assert served.predict(reviews).tolist() == model.predict(reviews).tolist()


@pytest.mark.training
@pytest.mark.parametrize(("word_networks", "joint_networks"), [(0, 0), (1, 0), (0, 2)])
def test_served_model_follows_the_networks_there_are(word_networks, joint_networks):
    # No network (no tables), word networks only (no char table), two joint ones sharing
    # both tables side by side.
    data = make_reviews(40, seed=5)
    labels = (data["sentiment"] == "positive").astype(int).to_numpy()
    model = NgramNBEnsemble(
        word_bits=12,
        char_bits=11,
        network_word_features=150,
        network_char_features=100,
        word_networks=word_networks,
        joint_networks=joint_networks,
        network_weight=0.8 if word_networks + joint_networks else 0.0,
    ).fit(data["review"].tolist(), labels)
    served = serving_model(*export_model(model))
    reviews = data["review"].tolist()
    assert len(served.networks) == word_networks + joint_networks
    np.testing.assert_allclose(
        served.predict_proba(reviews), model.predict_proba(reviews), rtol=1e-6, atol=1e-7
    )
    assert served.predict(reviews).tolist() == model.predict(reviews).tolist()


@pytest.mark.training
def test_other_formats_are_refused(small_ensemble, tmp_path):
    save_model(small_ensemble[0], tmp_path)
    meta = json.loads((tmp_path / METADATA_FILENAME).read_text())
    meta["format_version"] = 2
    (tmp_path / METADATA_FILENAME).write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="version 2"):
        load_model(tmp_path)
    assert not is_model_dir(tmp_path / "code")


@pytest.mark.training
def test_train_runs_from_a_flat_source_bundle(tmp_path):
    # SageMaker's layout: exactly what the ML stack bundles, flat in one directory.
    from stacks.ml import training_source_files

    source = tmp_path / "code"
    source.mkdir()
    for name, path in training_source_files().items():
        shutil.copyfile(path, source / name)
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    make_reviews(24, seed=9).to_csv(train_dir / "part-0.csv", index=False)
    result = run_train(tmp_path, {"train": train_dir}, script=source / "train.py")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "model" / "code").iterdir()) == sorted(CODE_FILES)
    assert is_model_dir(tmp_path / "model")
