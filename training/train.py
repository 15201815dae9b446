"""SageMaker script-mode training entry point for the review sentiment model.

Contract (the same locally and in a SageMaker training job):
- hyperparameters arrive as ``--name value`` arguments;
- data channels are directories named by ``SM_CHANNEL_TRAIN`` (required),
  ``SM_CHANNEL_VALIDATION`` and ``SM_CHANNEL_TEST`` (optional), each holding CSV, CSV.gz or
  Parquet files with a ``review`` column and a ``sentiment`` or ``label`` column, read
  through the label table the Glue job uses (positive/pos/1/true, negative/neg/0/false);
- the model goes to ``SM_MODEL_DIR``: plain arrays (``model.npz``, ``model.json``) plus
  ``code/`` with the inference handler and every module it imports, so model.tar.gz
  serves on its own, without scikit-learn or a pickle (``model_artifact.py``);
- the uncertain band's threshold is chosen on the validation split
  (``--uncertainty-target-accuracy``, ``uncertainty``) and shipped in model.json; the
  model directory also gets ``model_card.json`` and, with a validation split,
  ``drift_baseline.json`` (common/drift_features);
- the evaluation goes to ``SM_OUTPUT_DATA_DIR``: ``metrics.json``, four PNG figures and
  ``evaluation_report.html`` (``evaluation_report``); metric lines such as
  ``validation:accuracy=0.9231`` go to stdout for the stack's metric definitions
  (common/training_metrics.py);
- with ``--evaluation-s3-uri s3://bucket/prefix/``, ``evaluation.json`` (the Model
  Registry's ModelQuality statistics) and the card are put under that prefix;
- with ``MLFLOW_TRACKING_URI`` set, the run is logged to MLflow (``tracking``);
- a data problem ends with exit code 2 and a reason in ``SM_OUTPUT_DIR/failure``
  (``/opt/ml/output/failure`` in SageMaker), which DescribeTrainingJob reports.

Importing this module reads no arguments and imports nothing heavy (no pandas, no sklearn).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, NoReturn


def _ensure_import_path() -> None:
    """Make the flat modules importable in both layouts.

    In SageMaker the source directory holds this file, the model's modules and the common
    ones (labels, metric lines, channel names, text normalisation) side by side. In the
    repository the common ones live in ../common: add that folder when it is there.
    """
    here = Path(__file__).resolve().parent
    for root in (here, here.parent / "common"):
        if (root / "text_normalization.py").is_file() and str(root) not in sys.path:
            sys.path.insert(0, str(root))


_ensure_import_path()

from channel_data import DatasetError, data_files, read_reviews  # noqa: E402
from lake_layout import CHANNELS  # noqa: E402
from model_card import parse_s3_uri  # noqa: E402
from review_labels import NEGATIVE, POSITIVE, SENTIMENT_NAMES  # noqa: E402
from text_normalization import is_empty_review  # noqa: E402
from training_metrics import PRINTED_METRICS, metric_line  # noqa: E402
from uncertainty import DEFAULT_TARGET_ACCURACY, check_target_accuracy  # noqa: E402

EVALUATION_CHANNELS = tuple(channel for channel in CHANNELS if channel != "train")
EXIT_DATA_ERROR = 2

# The model's constructor arguments, each a ``--kebab-case`` hyperparameter. Defaults and
# types come from the model itself, so they are defined once; n_jobs is a resource, not
# part of the recipe, and a training job uses every core unless told otherwise.
HYPERPARAMETERS = {
    "word_c": "inverse L2 strength, word model",
    "char_c": "inverse L2 strength, char model",
    "word_ngram_max": "word n-grams 1..N",
    "char_ngram_min": "shortest char n-gram",
    "char_ngram_max": "longest char n-gram",
    "word_bits": "word hash space 2**bits",
    "char_bits": "char hash space 2**bits",
    "alpha": "NB count smoothing",
    "min_df": "drop n-grams seen in fewer training reviews",
    "word_networks": "networks on word n-grams",
    "joint_networks": "networks on word and char n-grams",
    "network_hidden_units": "hidden units per network",
    "network_word_features": "most frequent word n-grams a network reads",
    "network_char_features": "most frequent char n-grams a joint network reads",
    "network_epochs": "passes over the data per network",
    "word_weight": "word model's share",
    "char_weight": "char model's share",
    "network_weight": "networks' share",
    "max_iter": "liblinear iteration limit",
    "seed": "solver seed; same seed, same model",
    "n_jobs": "members trained in parallel (-1: all cores)",
}
RESOURCE_DEFAULTS = {"n_jobs": -1}


def _env_path(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


DEFAULT_FAILURE_DIR = "/opt/ml/output"


class _ArgumentParser(argparse.ArgumentParser):
    """Bad arguments end the job like bad data: exit 2 and a reason in the failure file,
    which DescribeTrainingJob shows (parsing failed, so the directory comes from SM_*)."""

    def error(self, message: str) -> NoReturn:
        _write_failure(
            _env_path("SM_OUTPUT_DIR") or DEFAULT_FAILURE_DIR, f"invalid arguments: {message}"
        )
        super().error(message)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Hyperparameters (CLI, as SageMaker passes them) and paths (SM_* defaults)."""
    from sentiment_model import build_model

    parser = _ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    defaults = build_model().get_params() | RESOURCE_DEFAULTS
    hp = parser.add_argument_group("hyperparameters (defaults chosen by 5-fold CV on IMDb train)")
    for name, text in HYPERPARAMETERS.items():
        flag, default = "--" + name.replace("_", "-"), defaults[name]
        hp.add_argument(flag, type=type(default), default=default, help=text)

    paths = parser.add_argument_group("paths (SageMaker sets the SM_* variables)")
    paths.add_argument("--model-dir", default=_env_path("SM_MODEL_DIR"))
    for channel in CHANNELS:
        paths.add_argument(f"--{channel}", default=_env_path(f"SM_CHANNEL_{channel.upper()}"))
    paths.add_argument("--output-data-dir", default=_env_path("SM_OUTPUT_DATA_DIR"))
    paths.add_argument(
        "--failure-dir",
        default=_env_path("SM_OUTPUT_DIR") or DEFAULT_FAILURE_DIR,
        help="where the failure reason goes, if that directory exists",
    )
    evaluation = parser.add_argument_group("evaluation (hyperparameters too)")
    evaluation.add_argument(
        "--uncertainty-target-accuracy",
        type=float,
        default=DEFAULT_TARGET_ACCURACY,
        help="accuracy the confident answers must reach on validation (sets the threshold)",
    )
    evaluation.add_argument(
        "--evaluation-s3-uri",
        help="s3://bucket/prefix/ to put evaluation.json and model_card.json under",
    )
    args = parser.parse_args(argv)
    # The model owns the rules for its parameters; a bad combination stops here, before
    # any data is read, with the model's own message.
    try:
        build_model(**hyperparameters(args)).member_weights()
        check_target_accuracy(args.uncertainty_target_accuracy)
        if args.evaluation_s3_uri:
            parse_s3_uri(args.evaluation_s3_uri)
    except ValueError as err:
        parser.error(str(err))
    if not args.model_dir:
        parser.error("no model directory: set SM_MODEL_DIR or pass --model-dir")
    if not args.train:
        parser.error("no training channel: set SM_CHANNEL_TRAIN or pass --train")
    return args


def hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    """The model-building arguments of ``build_model`` from the parsed arguments."""
    return {name: getattr(args, name) for name in HYPERPARAMETERS}


def load_dataset(channel_dir: str | Path, channel: str = "train") -> Any:  # pandas.DataFrame
    """Read every data file under a channel directory into columns ``review``, ``label``.

    Raises DatasetError when the directory is missing, holds no data file, holds a file
    that cannot be parsed or lacks the expected columns, or yields no usable row. Rows
    whose review is empty (``is_empty_review``: nothing left after normalisation, the
    rule the ETL quarantines by) are dropped and counted: they carry no signal.
    """
    import pandas as pd

    root = Path(channel_dir)
    if not root.is_dir():
        raise DatasetError(f"channel '{channel}': directory {root} does not exist")
    files = data_files(root)
    if not files:
        raise DatasetError(
            f"channel '{channel}': no CSV, CSV.gz or Parquet file under {root} "
            "(files starting with '_' or '.' are ignored)"
        )
    frames = [frame for path in files if (frame := read_reviews(path, channel)) is not None]
    if not frames:
        raise DatasetError(f"channel '{channel}': the files under {root} hold no rows")
    data = pd.concat(frames, ignore_index=True)
    empty = data["review"].map(is_empty_review).astype(bool)
    if empty.any():
        print(f"[{channel}] dropped {int(empty.sum())} rows with an empty review", flush=True)
        data = data[~empty].reset_index(drop=True)
    if data.empty:
        raise DatasetError(f"channel '{channel}': every row under {root} has an empty review")
    return data


def train(data: Any, params: dict[str, Any]) -> Any:  # sentiment_model.NgramNBEnsemble
    """Fit the model on a frame from ``load_dataset``."""
    from sentiment_model import build_model

    classes = set(data["label"].unique().tolist())
    if classes != {NEGATIVE, POSITIVE}:
        names = sorted(SENTIMENT_NAMES[c] for c in classes)
        raise DatasetError(f"channel 'train': need both positive and negative reviews, got {names}")
    model = build_model(**params)
    model.fit(data["review"].tolist(), data["label"].to_numpy())
    return model


def evaluate(model: Any, data: Any) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC AUC and the confusion matrix on one frame."""
    from evaluation import positive_probabilities, split_metrics

    p_positive = positive_probabilities(model, data["review"].tolist())
    return split_metrics(data["label"].to_numpy(), p_positive)


def print_metric_lines(channel: str, metrics: dict[str, Any]) -> None:
    """One ``<channel>:<metric>=<value>`` line per metric, for the metric definitions."""
    for name in PRINTED_METRICS:
        value = metrics.get(name)
        if value is not None:
            print(metric_line(channel, name, value), flush=True)


def _write_failure(failure_dir: str | None, message: str) -> None:
    if failure_dir and Path(failure_dir).is_dir():
        (Path(failure_dir) / "failure").write_text(message[:4000] + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Load, train, save, evaluate, report. Returns the metrics report."""
    params = hyperparameters(args)
    train_data = load_dataset(args.train, "train")
    eval_sets = {
        channel: load_dataset(getattr(args, channel), channel)
        for channel in EVALUATION_CHANNELS
        if getattr(args, channel)
    }
    sizes = {"train": len(train_data)} | {name: len(df) for name, df in eval_sets.items()}
    print(f"data rows: {sizes}", flush=True)

    started = time.perf_counter()
    model = train(train_data, params)
    train_seconds = time.perf_counter() - started
    print(metric_line("train", "seconds", train_seconds), flush=True)

    # Here, not at the top: these import numpy, scipy and scikit-learn.
    from evaluation import positive_probabilities
    from training_outputs import TrainingRun

    scored = {
        channel: (data["label"].to_numpy(), positive_probabilities(model, data["review"]))
        for channel, data in eval_sets.items()
    }
    outputs = TrainingRun(args, train_data, eval_sets, scored)
    report = outputs.save(model, params, sizes, train_seconds)
    for channel in eval_sets:
        print_metric_lines(channel, report["metrics"][channel])
        band = report["uncertainty"][channel]
        for name in ("threshold", "coverage", "kept_accuracy"):
            if band[name] is not None:
                print(metric_line(channel, f"uncertainty_{name}", band[name]), flush=True)
    outputs.publish(report)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
