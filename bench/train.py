"""Benchmark of the training recipe and its served artifact on the real IMDb data (25k + 25k).

    .venv/bin/python bench/train.py [--data ../shared/datasets/imdb] [--output build/bench]
                                    [--baseline-model-dir DIR] [--runs 5]

1. Holds out --validation-percent of each label of the train split as the ETL does (by a
   hash of the text; 10 as in the stage config, 0 for none), trains once with train.py's
   default hyperparameters on the rest, chooses the uncertain band's threshold on the
   held-out part (--uncertainty-target-accuracy), writes the model directory and
   model.tar.gz as a training job would, and evaluates on the test split: metrics, the
   band's coverage and kept accuracy on validation and test, and the served answer to a
   lukewarm review (``LUKEWARM``).
2. Identity: a fresh process loads the written artifact as the serving container does and
   scores every test review through input_fn -> predict_fn -> output_fn, 64 per request;
   its labels must equal the fitted in-memory model's on every review and its
   probabilities lie within 1e-6 of them.
3. Serving in fresh processes (``serve_latency.fresh_runs``): cold start (import inference
   + model_fn) and the p50 for one review and for 64, medians of --runs processes,
   alternating with --baseline-model-dir (a model directory with its own code/) if given.
Results also go to ``<output>/bench.json``. The test split is only evaluated here, never
used for tuning.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING_DIR = REPO_ROOT / "training"
for folder in (TRAINING_DIR, REPO_ROOT / "common", REPO_ROOT / "local"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _load(name: str, path: Path) -> Any:
    # This file is itself called train.py: load training/train.py under another name.
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_script = _load("training_train", TRAINING_DIR / "train.py")
from serve_latency import fresh_runs, run_child  # noqa: E402

import inference  # noqa: E402
import model_artifact  # noqa: E402
import run_training  # noqa: E402
from evaluation import positive_probabilities  # noqa: E402
from uncertainty import DEFAULT_TARGET_ACCURACY, band_figures, choose_threshold  # noqa: E402

MAX_DIFFERENCE = 1e-6
# A review with no clear sentiment: the uncertain band exists for answers like its.
LUKEWARM = "It was okay, nothing special"


def hold_out(data: Any, percent: float) -> tuple[Any, Any]:
    """(train, validation): the first ``percent`` of each label by a hash of the text,
    as the ETL's assign_channels takes validation rows in review_id (sha256) order."""
    digest = data["review"].map(lambda text: hashlib.sha256(text.encode()).hexdigest())
    ranked = data.assign(_digest=digest).sort_values(["label", "_digest"], kind="stable")
    rank = ranked.groupby("label").cumcount()
    size = ranked.groupby("label")["label"].transform("size")
    held = rank < (size * percent / 100.0).round()
    columns = ["review", "label"]
    return ranked.loc[~held, columns].sort_index(), ranked.loc[held, columns].sort_index()


def band(model: Any, validation: Any, test: Any, target: float) -> dict[str, Any]:
    """The threshold chosen on validation, its figures on both splits."""
    scored = {
        name: (data["label"].tolist(), positive_probabilities(model, data["review"]).tolist())
        for name, data in (("validation", validation), ("test", test))
        if data is not None and len(data)
    }
    if "validation" not in scored:
        return {"threshold": 0.5}
    threshold = choose_threshold(scored["validation"][1], scored["validation"][0], target)
    figures = {name: band_figures(p, y, threshold) for name, (y, p) in scored.items()}
    return {"threshold": threshold, "target_accuracy": target} | figures


def lukewarm_answer(model_dir: Path) -> dict[str, Any]:
    served = inference.model_fn(str(model_dir))
    body = json.dumps({"review": LUKEWARM})
    reviews = inference.parse_reviews(body, "application/json")
    return {"review": LUKEWARM} | inference.predictions(served, reviews)[0]


def identity_check(model: Any, test_data: Any, model_dir: Path, scratch: Path) -> dict[str, Any]:
    """The written artifact, served in a fresh process, against the in-memory model."""
    reviews = test_data["review"].tolist()
    reference = model.predict_proba(reviews)[:, list(model.classes_).index(1)]
    reviews_csv = scratch / "test.csv.gz"
    test_data[["review"]].to_csv(reviews_csv, index=False)
    answers_file = scratch / "served.json"
    run_child(model_dir, {"reviews_csv": str(reviews_csv), "score_out": str(answers_file)})
    served = json.loads(answers_file.read_text(encoding="utf-8"))
    labels = np.asarray(served["labels"])
    positive = np.asarray(served["positive"])
    expected_labels = np.where(reference > 0.5, "positive", "negative")
    expected_scores = np.where(reference > 0.5, reference, 1.0 - reference)
    truth = np.where(test_data["label"].to_numpy() == 1, "positive", "negative")
    return {
        "reviews": len(reviews),
        "served_answers": int(labels.shape[0]),
        "same_labels": int((labels == expected_labels).sum()),
        "max_probability_difference": float(np.abs(positive - reference).max()),
        "probabilities_bitwise_equal": bool(np.array_equal(positive, reference)),
        # Served scores carry 6 decimals: up to 5e-7 from rounding.
        "max_served_score_difference": float(
            np.abs(np.asarray(served["scores"]) - expected_scores).max()
        ),
        "served_accuracy": float((labels == truth).mean()),
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/datasets/imdb")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "build" / "bench")
    parser.add_argument("--baseline-model-dir", type=Path, help="a model dir to compare with")
    parser.add_argument("--runs", type=int, default=5, help="fresh serving processes per model")
    parser.add_argument("--singles", type=int, default=300, help="single reviews per run")
    parser.add_argument("--batches", type=int, default=40, help="requests of 64 per run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--validation-percent", type=float, default=10.0, help="held out per label (0: none)"
    )
    parser.add_argument(
        "--uncertainty-target-accuracy", type=float, default=DEFAULT_TARGET_ACCURACY
    )
    return parser.parse_args()


def _report(results: dict[str, Any]) -> None:
    test, identity, served = results["test"], results["identity"], results["serving"]
    accuracy, f1, auc = test["accuracy"], test["f1"], test["roc_auc"]
    print(f"test accuracy:      {accuracy:.4f} (F1 {f1:.4f}, ROC AUC {auc:.4f})")
    print(f"training seconds:   {results['training_seconds']:.1f}")
    measured = results["uncertainty"]
    print(f"uncertain band:     threshold {measured['threshold']:.4f}", end="")
    for split in ("validation", "test"):
        if split in measured:
            figures = measured[split]
            print(
                f"; {split} coverage {figures['coverage']:.4f}, "
                f"kept accuracy {figures['kept_accuracy']:.4f}",
                end="",
            )
    lukewarm = results["lukewarm"]
    print(
        f"\nlukewarm review:    {lukewarm['review']!r} -> {lukewarm['label']} "
        f"(score {lukewarm['score']:.4f}, uncertain {lukewarm['uncertain']})"
    )
    sizes = ", ".join(
        f"{name} {size / 1e6:.1f} MB" for name, size in results["model_files"].items()
    )
    print(f"model files:        {sizes}; model.tar.gz {results['model_tar_gz_bytes'] / 1e6:.1f} MB")
    print(
        f"identity:           {identity['same_labels']}/{identity['reviews']} same labels; "
        f"max |p difference| {identity['max_probability_difference']:.2e} "
        f"(bitwise equal: {identity['probabilities_bitwise_equal']}); max served score "
        f"difference {identity['max_served_score_difference']:.2e}; served accuracy "
        f"{identity['served_accuracy']:.4f}"
    )
    for name, measures in served.items():
        print(
            f"{name + ':':<19} cold start {measures['cold_start_s']:.3f} s; one review p50 "
            f"{measures['single_ms']:.3f} ms (CPU {measures['single_cpu_ms']:.3f}); 64 reviews "
            f"p50 {measures['batch_64_ms']:.2f} ms (CPU {measures['batch_64_cpu_ms']:.2f}); "
            f"medians of {measures['runs']} fresh processes"
        )


def main() -> int:
    args = _arguments()
    output = args.output.resolve()
    model_dir = output / "model"
    with tempfile.TemporaryDirectory(prefix="bench-channels-") as staging:
        channels = run_training.resolve_channels(args.data.resolve(), Path(staging))
        if "test" not in channels:
            raise SystemExit(f"no test split in {args.data}")
        train_data = train_script.load_dataset(channels["train"], "train")
        test_data = train_script.load_dataset(channels["test"], "test")
    train_data, validation_data = hold_out(train_data, args.validation_percent)
    # The same defaults as a training job without hyperparameters.
    defaults = train_script.parse_args(["--model-dir", str(model_dir), "--train", "unused"])
    params = train_script.hyperparameters(defaults) | {"seed": args.seed}
    rows = f"train={len(train_data)} validation={len(validation_data)} test={len(test_data)}"
    print(f"rows: {rows}; hyperparameters: {params}")

    started = time.perf_counter()
    model = train_script.train(train_data, params)
    train_seconds = time.perf_counter() - started
    print(f"training: {train_seconds:.1f} s", flush=True)
    # A fresh directory, as a training job's: files of an older format would be packed too.
    shutil.rmtree(model_dir, ignore_errors=True)
    uncertainty = band(model, validation_data, test_data, args.uncertainty_target_accuracy)
    threshold = uncertainty["threshold"]
    model_files = model_artifact.save_model(model, model_dir, uncertainty_threshold=threshold)
    archive = run_training.pack_model(model_dir, output / "model.tar.gz")
    metrics = train_script.evaluate(model, test_data)
    lukewarm = lukewarm_answer(model_dir)

    with tempfile.TemporaryDirectory(prefix="bench-serving-") as scratch:
        identity = identity_check(model, test_data, model_dir, Path(scratch))
        del model  # serving is timed in fresh processes; free the training heap first
        model_dirs = {"model": model_dir}
        if args.baseline_model_dir:
            model_dirs["baseline"] = args.baseline_model_dir.resolve()
        task = {"reviews_csv": str(Path(scratch) / "test.csv.gz"), "limit": 2000}
        task |= {"seed": args.seed, "singles": args.singles, "batches": args.batches}
        serving = fresh_runs(model_dirs, task, args.runs)

    results = {
        "test": {
            k: metrics[k] for k in ("rows", "accuracy", "precision", "recall", "f1", "roc_auc")
        },
        "confusion_matrix": metrics["confusion_matrix"],
        "uncertainty": uncertainty,
        "lukewarm": lukewarm,
        "rows": {"train": len(train_data), "validation": len(validation_data)},
        "identity": identity,
        "serving": serving,
        "training_seconds": round(train_seconds, 1),
        "model_files": {path.name: path.stat().st_size for path in model_files},
        "model_tar_gz_bytes": archive.stat().st_size,
        "hyperparameters": params,
        "machine": {
            "python": platform.python_version(),
            "cpus": len(os.sched_getaffinity(0)),
            "load_average": os.getloadavg()[0],
        },
    }
    output.mkdir(parents=True, exist_ok=True)
    (output / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _report(results)
    print(f"results:            {output / 'bench.json'}")
    same = identity["same_labels"] == identity["reviews"] == identity["served_answers"]
    return 0 if same and identity["max_probability_difference"] <= MAX_DIFFERENCE else 1


if __name__ == "__main__":
    sys.exit(main())
