"""The model artifact: what a training job leaves in SM_MODEL_DIR and serving loads back.

``model.joblib`` (the fitted model, pickled by joblib) and ``code/``: the inference handler
and every module the pickle refers to or imports, so model.tar.gz serves on its own
(SAGEMAKER_SUBMIT_DIRECTORY). Shipped in code/ itself: the handler loads through it.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

MODEL_FILENAME = "model.joblib"
CODE_DIRNAME = "code"
# The handler, this module, the modules whose classes the pickle holds, what those import,
# and text_normalization (from common/ in the repository).
CODE_FILES = (
    "inference.py",
    "member_lookups.py",
    "model_artifact.py",
    "nb_base.py",
    "nb_logistic_regression.py",
    "nb_neural_network.py",
    "ngram_hashing.py",
    "sentiment_model.py",
    "text_normalization.py",
)


def save_model(model: Any, model_dir: str | Path) -> Path:
    """Write model.joblib and the serving code (code/) into the model directory."""
    import joblib

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILENAME
    # compress=3: the float32 weights hold many zeros (hash buckets unseen in training).
    joblib.dump(model, path, compress=3)
    code_dir = model_dir / CODE_DIRNAME
    code_dir.mkdir(exist_ok=True)
    for source in code_sources():
        shutil.copyfile(source, code_dir / source.name)
    return path


def code_sources() -> list[Path]:
    """Each of CODE_FILES where this interpreter imports it from (the same layout)."""
    sources = []
    for name in CODE_FILES:
        spec = importlib.util.find_spec(name.removesuffix(".py"))
        if spec is None or spec.origin is None:
            raise RuntimeError(f"serving code {name} is not importable from {sys.path}")
        sources.append(Path(spec.origin))
    return sources


def load_model(model_dir: str | Path) -> Any:
    """The fitted model from a model directory, its code/ importable for the pickle."""
    import joblib

    code_dir = Path(model_dir) / CODE_DIRNAME
    if code_dir.is_dir() and str(code_dir) not in sys.path:
        sys.path.append(str(code_dir))
    return joblib.load(Path(model_dir) / MODEL_FILENAME)


def library_versions() -> dict[str, str]:
    """The versions a pickle needs again to load: record them next to the model."""
    import joblib
    import numpy
    import pandas
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "joblib": joblib.__version__,
    }
