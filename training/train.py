"""SageMaker script-mode training entry point for the review sentiment model.

Contract (the same locally and in a SageMaker training job):
- hyperparameters arrive as ``--name value`` arguments;
- data channels are directories named by ``SM_CHANNEL_TRAIN`` (required),
  ``SM_CHANNEL_VALIDATION`` and ``SM_CHANNEL_TEST`` (optional), each holding CSV, CSV.gz or
  Parquet files with a ``review`` column and a ``sentiment`` (positive/negative) or
  ``label`` (1/0) column;
- the model goes to ``SM_MODEL_DIR``: ``model.joblib`` plus ``code/`` with the inference
  handler and every module the pickle needs, so model.tar.gz serves on its own;
- the evaluation report goes to ``SM_OUTPUT_DATA_DIR/metrics.json`` and metric lines such
  as ``validation:accuracy=0.9231`` go to stdout for ``METRIC_DEFINITIONS``;
- a data problem ends with exit code 2 and a reason in ``SM_OUTPUT_DIR/failure``
  (``/opt/ml/output/failure`` in SageMaker), which DescribeTrainingJob reports.

Importing this module has no side effects: the CDK stack imports ``METRIC_DEFINITIONS``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

# SageMaker metric definitions for the training job. The pipeline's evaluation gate reads
# the first one, so validation accuracy must stay first. Values are printed with a fixed
# number of decimals by ``print_metric_lines``.
_NUMBER = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
METRIC_DEFINITIONS: list[dict[str, str]] = [
    {"Name": "validation:accuracy", "Regex": rf"validation:accuracy={_NUMBER}"},
    {"Name": "validation:f1", "Regex": rf"validation:f1={_NUMBER}"},
    {"Name": "validation:roc_auc", "Regex": rf"validation:roc_auc={_NUMBER}"},
    {"Name": "test:accuracy", "Regex": rf"test:accuracy={_NUMBER}"},
    {"Name": "test:f1", "Regex": rf"test:f1={_NUMBER}"},
    {"Name": "test:roc_auc", "Regex": rf"test:roc_auc={_NUMBER}"},
    {"Name": "train:seconds", "Regex": rf"train:seconds={_NUMBER}"},
]
# Metrics printed per evaluated channel, in this order.
PRINTED_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")

MODEL_FILENAME = "model.joblib"
METRICS_FILENAME = "metrics.json"
CODE_DIRNAME = "code"
# Files the serving container needs in code/ (SAGEMAKER_SUBMIT_DIRECTORY): the handler,
# the module the pickle refers to, and the normaliser that module imports.
CODE_FILES = ("inference.py", "sentiment_model.py", "text_normalization.py")

LABEL_NAMES = {0: "negative", 1: "positive"}
_SENTIMENT_TO_LABEL = {"negative": 0, "positive": 1}
_LABEL_TEXT = {"0": 0, "1": 1, "0.0": 0, "1.0": 1}
_IGNORED_PREFIXES = ("_", ".")
EXIT_DATA_ERROR = 2


class DatasetError(Exception):
    """A channel is missing, empty or malformed; the message says which and why."""


def _ensure_import_path() -> None:
    """Make ``text_normalization`` importable in both layouts.

    In SageMaker the source directory holds it next to this file. In the repository it
    lives in ``common/``; add that folder when the repository layout is present.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here, here.parent / "common"):
        if (candidate / "text_normalization.py").is_file() and str(candidate) not in sys.path:
            sys.path.insert(0, str(candidate))


def _env_path(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Hyperparameters (CLI, as SageMaker passes them) and paths (SM_* defaults)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    hp = parser.add_argument_group("hyperparameters (defaults chosen by 5-fold CV on IMDb train)")
    hp.add_argument("--word-c", type=float, default=64.0, help="inverse L2 strength, word model")
    hp.add_argument("--char-c", type=float, default=8.0, help="inverse L2 strength, char model")
    hp.add_argument("--word-ngram-max", type=int, default=3, help="word n-grams 1..N")
    hp.add_argument("--char-ngram-min", type=int, default=2)
    hp.add_argument("--char-ngram-max", type=int, default=5)
    hp.add_argument("--word-bits", type=int, default=23, help="word hash space 2**bits")
    hp.add_argument("--char-bits", type=int, default=21, help="char hash space 2**bits")
    hp.add_argument("--alpha", type=float, default=1.0, help="NB count smoothing")
    hp.add_argument(
        "--min-df", type=int, default=3, help="drop n-grams seen in fewer training reviews"
    )
    hp.add_argument("--word-networks", type=int, default=1, help="networks on word n-grams")
    hp.add_argument(
        "--joint-networks", type=int, default=1, help="networks on word and char n-grams"
    )
    hp.add_argument("--network-hidden-units", type=int, default=32)
    hp.add_argument(
        "--network-word-features", type=int, default=100_000, help="most frequent word n-grams"
    )
    hp.add_argument(
        "--network-char-features", type=int, default=50_000, help="most frequent char n-grams"
    )
    hp.add_argument("--network-epochs", type=int, default=3)
    hp.add_argument("--word-weight", type=float, default=0.15, help="word model's share")
    hp.add_argument("--char-weight", type=float, default=0.05, help="char model's share")
    hp.add_argument("--network-weight", type=float, default=0.8, help="networks' share")
    hp.add_argument("--max-iter", type=int, default=1000)
    hp.add_argument("--seed", type=int, default=0, help="solver seed; same seed, same model")
    hp.add_argument(
        "--n-jobs", type=int, default=-1, help="members trained in parallel (-1: all cores)"
    )

    paths = parser.add_argument_group("paths (SageMaker sets the SM_* variables)")
    paths.add_argument("--model-dir", default=_env_path("SM_MODEL_DIR"))
    paths.add_argument("--train", default=_env_path("SM_CHANNEL_TRAIN"))
    paths.add_argument("--validation", default=_env_path("SM_CHANNEL_VALIDATION"))
    paths.add_argument("--test", default=_env_path("SM_CHANNEL_TEST"))
    paths.add_argument("--output-data-dir", default=_env_path("SM_OUTPUT_DATA_DIR"))
    paths.add_argument(
        "--failure-dir",
        default=_env_path("SM_OUTPUT_DIR") or "/opt/ml/output",
        help="where the failure reason goes, if that directory exists",
    )
    args = parser.parse_args(argv)
    # The model owns the rules for its parameters; a bad combination stops here, before
    # any data is read, with the model's own message.
    _ensure_import_path()
    from sentiment_model import build_model

    try:
        build_model(**hyperparameters(args)).member_weights()
    except ValueError as err:
        parser.error(str(err))
    if not args.model_dir:
        parser.error("no model directory: set SM_MODEL_DIR or pass --model-dir")
    if not args.train:
        parser.error("no training channel: set SM_CHANNEL_TRAIN or pass --train")
    return args


def hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    """The model-building arguments of ``build_model`` from the parsed arguments."""
    return {
        "word_c": args.word_c,
        "char_c": args.char_c,
        "word_ngram_max": args.word_ngram_max,
        "char_ngram_min": args.char_ngram_min,
        "char_ngram_max": args.char_ngram_max,
        "word_bits": args.word_bits,
        "char_bits": args.char_bits,
        "alpha": args.alpha,
        "min_df": args.min_df,
        "word_networks": args.word_networks,
        "joint_networks": args.joint_networks,
        "network_hidden_units": args.network_hidden_units,
        "network_word_features": args.network_word_features,
        "network_char_features": args.network_char_features,
        "network_epochs": args.network_epochs,
        "word_weight": args.word_weight,
        "char_weight": args.char_weight,
        "network_weight": args.network_weight,
        "max_iter": args.max_iter,
        "seed": args.seed,
        "n_jobs": args.n_jobs,
    }


def _data_files(channel_dir: Path) -> list[Path]:
    files = []
    for path in sorted(channel_dir.rglob("*")):
        if not path.is_file() or path.name.startswith(_IGNORED_PREFIXES):
            continue  # _SUCCESS, .part-0000.crc and other writer bookkeeping
        name = path.name.lower()
        if name.endswith((".csv", ".csv.gz", ".parquet")):
            files.append(path)
    return files


def _read_file(path: Path):  # -> pandas.DataFrame
    import pandas as pd

    if path.name.lower().endswith(".parquet"):
        # The SageMaker scikit-learn image is not guaranteed to ship a Parquet engine.
        if importlib.util.find_spec("pyarrow") is None:
            raise DatasetError(
                f"{path}: Parquet input needs pyarrow, which this environment lacks; "
                "write the channel as CSV (optionally gzip) instead"
            )
        return pd.read_parquet(path)
    # Everything as text: labels are validated below, and a review such as "NA" stays a review.
    return pd.read_csv(path, dtype=str, keep_default_na=False, compression="infer")


def _labels(frame, path: Path):  # -> pandas.Series of 0/1
    import pandas as pd

    columns = {str(c).strip().lower(): c for c in frame.columns}
    candidates = []
    if "sentiment" in columns:
        values = frame[columns["sentiment"]].astype(str).str.strip().str.lower()
        candidates.append(("sentiment", values.map(_SENTIMENT_TO_LABEL), values))
    if "label" in columns:
        values = frame[columns["label"]].astype(str).str.strip()
        candidates.append(("label", values.map(_LABEL_TEXT), values))
    if not candidates:
        raise DatasetError(
            f"{path}: no label column; expected 'sentiment' (positive/negative) or "
            f"'label' (1/0), found columns {list(frame.columns)}"
        )
    for name, mapped, raw in candidates:
        bad = mapped.isna()
        if bad.any():
            examples = sorted(set(raw[bad].head(5)))
            raise DatasetError(
                f"{path}: {int(bad.sum())} rows have an invalid '{name}' value, "
                f"e.g. {examples}; expected positive/negative or 1/0"
            )
    if len(candidates) == 2 and not candidates[0][1].equals(candidates[1][1]):
        raise DatasetError(f"{path}: 'sentiment' and 'label' disagree on some rows")
    return pd.Series(candidates[0][1].astype("int8").to_numpy(), index=frame.index)


def load_dataset(channel_dir: str | Path, channel: str = "train"):  # -> pandas.DataFrame
    """Read every data file under a channel directory into columns ``review``, ``label``.

    Raises DatasetError when the directory is missing, holds no data file, holds a file
    that cannot be parsed or lacks the expected columns, or yields no usable row. Rows
    whose review is empty are dropped (and counted): they carry no signal.
    """
    import pandas as pd

    root = Path(channel_dir)
    if not root.is_dir():
        raise DatasetError(f"channel '{channel}': directory {root} does not exist")
    files = _data_files(root)
    if not files:
        raise DatasetError(
            f"channel '{channel}': no CSV, CSV.gz or Parquet file under {root} "
            "(files starting with '_' or '.' are ignored)"
        )
    frames = []
    for path in files:
        try:
            frame = _read_file(path)
        except DatasetError:
            raise
        except Exception as exc:  # pandas raises many types for a bad file
            raise DatasetError(
                f"channel '{channel}': cannot read {path}: {type(exc).__name__}: {exc}"
            ) from exc
        if frame.empty:
            continue  # a header-only part file from a distributed writer
        columns = {str(c).strip().lower(): c for c in frame.columns}
        if "review" not in columns:
            raise DatasetError(
                f"channel '{channel}': {path} has no 'review' column (found {list(frame.columns)})"
            )
        labels = _labels(frame, path)
        reviews = frame[columns["review"]].fillna("").astype(str)
        frames.append(pd.DataFrame({"review": reviews, "label": labels}))
    if not frames:
        raise DatasetError(f"channel '{channel}': the files under {root} hold no rows")
    data = pd.concat(frames, ignore_index=True)
    empty = data["review"].str.strip() == ""
    if empty.any():
        print(f"[{channel}] dropped {int(empty.sum())} rows with an empty review", flush=True)
        data = data[~empty].reset_index(drop=True)
    if data.empty:
        raise DatasetError(f"channel '{channel}': every row under {root} has an empty review")
    return data


def train(data, params: dict[str, Any]):  # -> sklearn Pipeline
    """Fit the model on a frame from ``load_dataset``."""
    from sentiment_model import build_model

    classes = set(data["label"].unique().tolist())
    if classes != {0, 1}:
        names = sorted(LABEL_NAMES[c] for c in classes)
        raise DatasetError(f"channel 'train': need both positive and negative reviews, got {names}")
    model = build_model(**params)
    model.fit(data["review"].tolist(), data["label"].to_numpy())
    return model


def evaluate(model, data) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC AUC and the confusion matrix on one frame."""
    import numpy as np
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    y_true = data["label"].to_numpy()
    positive = list(model.classes_).index(1)
    scores = model.predict_proba(data["review"].tolist())[:, positive]
    # Same decision rule as the serving handler: positive only above one half.
    y_pred = (scores > 0.5).astype(np.int8)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label=1, zero_division=0
    )
    both_classes = len(np.unique(y_true)) == 2
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    return {
        "rows": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        # AUC is undefined on a single-class set; report null rather than fail the job.
        "roc_auc": float(roc_auc_score(y_true, scores)) if both_classes else None,
        "confusion_matrix": {
            "labels": ["negative", "positive"],
            "rows_true_columns_predicted": [[int(tn), int(fp)], [int(fn), int(tp)]],
        },
    }


def print_metric_lines(channel: str, metrics: dict[str, Any]) -> None:
    """One ``<channel>:<metric>=<value>`` line per metric, for METRIC_DEFINITIONS."""
    for name in PRINTED_METRICS:
        value = metrics.get(name)
        if value is not None:
            print(f"{channel}:{name}={value:.4f}", flush=True)


def save_model(model, model_dir: str | Path) -> Path:
    """Write model.joblib and the serving code (code/) into the model directory."""
    import joblib

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILENAME
    # compress=3: the float32 weights hold many zeros (hash buckets unseen in training).
    joblib.dump(model, path, compress=3)
    code_dir = model_dir / CODE_DIRNAME
    code_dir.mkdir(exist_ok=True)
    for source in _code_sources():
        shutil.copyfile(source, code_dir / source.name)
    return path


def _code_sources() -> list[Path]:
    import text_normalization

    here = Path(__file__).resolve().parent
    sources = [here / "inference.py", here / "sentiment_model.py"]
    sources.append(Path(text_normalization.__file__).resolve())
    if [p.name for p in sources] != list(CODE_FILES):
        raise RuntimeError(f"unexpected serving code files: {sources}")
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise RuntimeError(f"serving code missing next to train.py: {missing}")
    return sources


def _write_failure(failure_dir: str | None, message: str) -> None:
    if failure_dir and Path(failure_dir).is_dir():
        (Path(failure_dir) / "failure").write_text(message[:4000] + "\n", encoding="utf-8")


def _versions() -> dict[str, str]:
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


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Load, train, save, evaluate, report. Returns the metrics report."""
    params = hyperparameters(args)
    train_data = load_dataset(args.train, "train")
    eval_sets = {}
    for channel in ("validation", "test"):
        channel_dir = getattr(args, channel)
        if channel_dir:
            eval_sets[channel] = load_dataset(channel_dir, channel)
    sizes = {"train": len(train_data)} | {name: len(df) for name, df in eval_sets.items()}
    print(f"data rows: {sizes}", flush=True)

    started = time.perf_counter()
    model = train(train_data, params)
    train_seconds = time.perf_counter() - started
    print(f"train:seconds={train_seconds:.1f}", flush=True)

    model_path = save_model(model, args.model_dir)
    report: dict[str, Any] = {
        "metrics": {},
        "data_rows": sizes,
        "training_seconds": round(train_seconds, 3),
        "hyperparameters": params,
        "model": {
            "file": MODEL_FILENAME,
            "size_bytes": model_path.stat().st_size,
            "code": sorted(p.name for p in (Path(args.model_dir) / CODE_DIRNAME).iterdir()),
        },
        "versions": _versions(),
    }
    for channel, data in eval_sets.items():
        metrics = evaluate(model, data)
        report["metrics"][channel] = metrics
        print_metric_lines(channel, metrics)

    if args.output_data_dir:
        out = Path(args.output_data_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / METRICS_FILENAME).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"metrics report: {out / METRICS_FILENAME}", flush=True)
    print(f"model: {model_path} ({model_path.stat().st_size / 1e6:.1f} MB)", flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)  # also makes the model's modules importable
    try:
        run(args)
    except DatasetError as exc:
        message = f"DatasetError: {exc}"
        print(message, file=sys.stderr, flush=True)
        _write_failure(args.failure_dir, message)
        return EXIT_DATA_ERROR
    except Exception:
        _write_failure(args.failure_dir, traceback.format_exc())
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
