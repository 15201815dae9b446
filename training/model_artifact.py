"""The model artifact: what a training job leaves in SM_MODEL_DIR and serving loads back.

- ``model.npz``: plain arrays, per feature space its compact columns, linear weights and
  the table of its network columns (``member_lookups``), per network its biases and
  output weights. Stored
  uncompressed: model.tar.gz compresses them in transit, and loading then copies bytes
  instead of inflating them.
- ``model.json``: format version, classes, member weights, hashing, the scalars, the
  hyperparameters and the library versions that wrote the arrays.
- ``code/``: the inference handler and every module it imports (``CODE_FILES``), so
  model.tar.gz serves on its own (SAGEMAKER_SUBMIT_DIRECTORY).
- documents train.py adds (``DOCUMENT_FILES``): ``model_card.json``, which serving
  answers as it is, and ``drift_baseline.json`` (common/drift_features), which only the
  drift job reads (written when there is a validation split).

No pickle: loading needs numpy and scipy, not scikit-learn, the model's classes or the
library versions of the training job (an array file reads the same in every numpy).
"""

from __future__ import annotations

import importlib.util
import json
import platform
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from member_lookups import LINEAR_WIDTH, space_tables
from ngram_hashing import NgramHasher
from serving_model import ServedNetwork, ServedSpace, ServingModel
from uncertainty import NO_BAND, check_threshold

FORMAT = "ngram-nb-ensemble"
FORMAT_VERSION = 1
ARRAYS_FILENAME = "model.npz"
METADATA_FILENAME = "model.json"
MODEL_FILES = (ARRAYS_FILENAME, METADATA_FILENAME)
MODEL_CARD_FILENAME = "model_card.json"
# drift_features.BASELINE_FILENAME, spelled out so that serving never imports the drift
# module (a test holds the two equal).
DRIFT_BASELINE_FILENAME = "drift_baseline.json"
DOCUMENT_FILES = (MODEL_CARD_FILENAME, DRIFT_BASELINE_FILENAME)
ARTIFACT_FILES = (*MODEL_FILES, *DOCUMENT_FILES)
CODE_DIRNAME = "code"
SPACES = ("word", "char")
# The handler and everything it imports from training/ and common/ (text_normalization);
# a test walks the imports and checks this list.
CODE_FILES = (
    "inference.py",
    "json_lines.py",
    "member_lookups.py",
    "model_artifact.py",
    "ngram_hashing.py",
    "review_labels.py",
    "serving_model.py",
    "serving_requests.py",
    "text_normalization.py",
    "uncertainty.py",
)


def _export_space(space: int, hasher: Any, linear: Any, networks: list[Any]) -> tuple[dict, dict]:
    """Arrays and metadata of one feature space of a fitted ensemble."""
    users = [index for index, network in enumerate(networks) if len(network.columns_) > space]
    kept = networks[users[0]].columns_[space] if users else np.empty(0, dtype=np.int32)
    for index in users[1:]:
        # One table row per column serves every network: they must keep the same columns
        # (same data, same rule).
        if not np.array_equal(networks[index].columns_[space], kept):
            raise ValueError("networks must keep the same columns of a space")
    # Compact rows: the networks' columns first, in their order, then every other column
    # with a linear weight; columns never seen (or dropped by min_df) are left out.
    others = np.any(linear.weights_ != 0, axis=1)
    others[kept] = False
    columns = np.concatenate([kept, np.flatnonzero(others)]).astype(np.int32)
    name = SPACES[space]
    arrays = {f"{name}_columns": columns, f"{name}_linear": linear.weights_[columns]}
    if users:
        blocks = [networks[index].input_weights_[space] for index in users]
        # Served as is: row 0 for every other column, all zeros; then per network column
        # its linear weights and the networks' first layers side by side.
        table = np.zeros((kept.shape[0] + 1, LINEAR_WIDTH + sum(b.shape[1] for b in blocks)))
        table[1:, :LINEAR_WIDTH] = linear.weights_[kept]
        table[1:, LINEAR_WIDTH:] = np.hstack(blocks)
        arrays[f"{name}_table"] = table.astype(np.float32)
    meta = {
        "hashing": hasher.config(),
        "intercept": float(linear.intercept_),
        "network_rows": int(kept.shape[0]),
    }
    return arrays, meta


def export_model(model: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, metadata) of a fitted ``sentiment_model.NgramNBEnsemble``."""
    networks = list(model.network_models_)
    hashers = (model.word_hasher_, model.char_hasher_)
    linears = (model.word_model_, model.char_model_)
    arrays: dict[str, np.ndarray] = {}
    spaces = {}
    for space, name in enumerate(SPACES):
        space_arrays, spaces[name] = _export_space(space, hashers[space], linears[space], networks)
        arrays.update(space_arrays)
    starts = dict.fromkeys(SPACES, LINEAR_WIDTH)
    network_meta = []
    for index, network in enumerate(networks):
        read = SPACES[: len(network.columns_)]
        blocks = []
        for name, weights in zip(read, network.input_weights_, strict=True):
            blocks.append([starts[name], starts[name] + weights.shape[1]])
            starts[name] += weights.shape[1]
        arrays[f"network_{index}_hidden_bias"] = network.hidden_bias_
        arrays[f"network_{index}_output_weights"] = network.output_weights_
        network_meta.append(
            {"spaces": list(read), "columns": blocks, "output_bias": float(network.output_bias_)}
        )
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "classes": np.asarray(model.classes_).tolist(),
        "member_weights": [float(weight) for weight in model.weights_],
        "spaces": spaces,
        "networks": network_meta,
        "hyperparameters": model.get_params(),
    }
    return arrays, meta


def save_model(
    model: Any, model_dir: str | Path, *, uncertainty_threshold: float = NO_BAND
) -> list[Path]:
    """Write model.npz, model.json and code/ into the model directory; the model files."""
    arrays, meta = export_model(model)
    meta["uncertainty_threshold"] = check_threshold(uncertainty_threshold, "save_model")
    meta["written_with"] = {"python": platform.python_version(), "numpy": np.__version__}
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    np.savez(model_dir / ARRAYS_FILENAME, allow_pickle=False, **arrays)
    metadata = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    (model_dir / METADATA_FILENAME).write_text(metadata, encoding="utf-8")
    code_dir = model_dir / CODE_DIRNAME
    code_dir.mkdir(exist_ok=True)
    for source in code_sources():
        shutil.copyfile(source, code_dir / source.name)
    return [model_dir / name for name in MODEL_FILES]


def code_sources() -> list[Path]:
    """Each of CODE_FILES where this interpreter imports it from (the same layout)."""
    sources = []
    for name in CODE_FILES:
        spec = importlib.util.find_spec(name.removesuffix(".py"))
        if spec is None or spec.origin is None:
            raise RuntimeError(f"serving code {name} is not importable from {sys.path}")
        sources.append(Path(spec.origin))
    return sources


def is_model_dir(path: str | Path) -> bool:
    """Whether a directory holds a trained model and its serving code."""
    path = Path(path)
    return all((path / name).is_file() for name in (*MODEL_FILES, f"{CODE_DIRNAME}/inference.py"))


def _served_space(name: str, meta: dict[str, Any], arrays: Mapping[str, Any]) -> ServedSpace:
    hashing = meta["hashing"]
    hasher = NgramHasher(
        hashing["analyzer"],
        tuple(hashing["ngram_range"]),
        hashing["n_bits"],
        hashing["token_pattern"],
    ).fit([])
    tables = space_tables(
        1 << hasher.n_bits,
        arrays[f"{name}_columns"],
        arrays[f"{name}_linear"],
        meta["network_rows"],
        arrays.get(f"{name}_table"),
    )
    return ServedSpace(hasher, tables, float(meta["intercept"]))


def serving_model(arrays: Mapping[str, Any], meta: dict[str, Any]) -> ServingModel:
    """The served model from the artifact's arrays and metadata (``export_model``'s form)."""
    if (meta.get("format"), meta.get("format_version")) != (FORMAT, FORMAT_VERSION):
        raise ValueError(
            f"model format {meta.get('format')!r} version {meta.get('format_version')!r}; "
            f"this code reads {FORMAT!r} version {FORMAT_VERSION}"
        )
    networks = [
        ServedNetwork(
            tuple(network["spaces"]),
            tuple(slice(start, stop) for start, stop in network["columns"]),
            arrays[f"network_{index}_hidden_bias"],
            arrays[f"network_{index}_output_weights"],
            float(network["output_bias"]),
        )
        for index, network in enumerate(meta["networks"])
    ]
    return ServingModel(
        classes=np.asarray(meta["classes"]),
        spaces={name: _served_space(name, meta["spaces"][name], arrays) for name in SPACES},
        networks=networks,
        member_weights=tuple(meta["member_weights"]),
        # Artifacts from before the uncertain band mark nothing uncertain.
        uncertainty_threshold=check_threshold(
            float(meta.get("uncertainty_threshold", NO_BAND)), METADATA_FILENAME
        ),
    )


def load_model(model_dir: str | Path) -> ServingModel:
    """The served model from a model directory's model.npz and model.json, with its card."""
    model_dir = Path(model_dir)
    meta = json.loads((model_dir / METADATA_FILENAME).read_text(encoding="utf-8"))
    with np.load(model_dir / ARRAYS_FILENAME, allow_pickle=False) as arrays:
        model = serving_model(arrays, meta)
    card = model_dir / MODEL_CARD_FILENAME
    if card.is_file():
        model.card = json.loads(card.read_text(encoding="utf-8"))
    return model
