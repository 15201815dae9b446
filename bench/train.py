"""Benchmark of the training recipe on the real IMDb data (25k train, 25k test).

    .venv/bin/python bench/train.py [--data ../shared/datasets/imdb] [--output build/bench]

Trains with train.py's default hyperparameters on the full train split, evaluates once on
the test split, writes the model directory and model.tar.gz as a training job would, then
times the serving path (inference.py's input_fn -> predict_fn -> output_fn on a model
loaded by model_fn in a fresh process, as a serving container would) for single reviews
and for batches of 64. Results also go to ``<output>/bench.json``. The test split is only
evaluated here, never used for tuning.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING_DIR = REPO_ROOT / "training"
for folder in (TRAINING_DIR, REPO_ROOT / "common", REPO_ROOT / "local"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _load(name: str, path: Path):
    # This file is itself called train.py: load training/train.py under another name.
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_script = _load("training_train", TRAINING_DIR / "train.py")
import inference  # noqa: E402
import model_artifact  # noqa: E402
import run_training  # noqa: E402


def _percentiles(seconds: list[float]) -> dict[str, float]:
    values = np.asarray(seconds) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "n": len(seconds),
    }


def _serve(body: bytes, model) -> str:
    data = inference.input_fn(body, "application/json")
    body_out, _content_type = inference.output_fn(
        inference.predict_fn(data, model), "application/json"
    )
    return body_out


def time_serving(model, reviews: list[str], *, singles: int, batches: int, seed: int):
    rng = random.Random(seed)
    single_bodies = [
        json.dumps({"review": r}).encode("utf-8") for r in rng.sample(reviews, singles)
    ]
    batch_bodies = [
        json.dumps({"reviews": rng.sample(reviews, 64)}).encode("utf-8") for _ in range(batches)
    ]
    for body in single_bodies[:20]:  # warm-up: first calls pay for lazy imports and caches
        _serve(body, model)
    single = []
    for body in single_bodies:
        started = time.perf_counter()
        _serve(body, model)
        single.append(time.perf_counter() - started)
    batch = []
    for body in batch_bodies:
        started = time.perf_counter()
        _serve(body, model)
        batch.append(time.perf_counter() - started)
    return _percentiles(single), _percentiles(batch)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/datasets/imdb")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "build" / "bench")
    parser.add_argument("--singles", type=int, default=1000, help="single-review requests")
    parser.add_argument("--batches", type=int, default=100, help="requests of 64 reviews")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-serving", type=Path, metavar="MODEL_DIR", help="only time serving this model"
    )
    args = parser.parse_args()
    if args.time_serving:
        return _time_serving_only(args)
    output = args.output.resolve()
    model_dir = output / "model"

    with tempfile.TemporaryDirectory(prefix="bench-channels-") as staging:
        channels = run_training.resolve_channels(args.data.resolve(), Path(staging))
        if "test" not in channels:
            raise SystemExit(f"no test split in {args.data}")
        train_data = train_script.load_dataset(channels["train"], "train")
        test_data = train_script.load_dataset(channels["test"], "test")
    # The same defaults as a training job without hyperparameters.
    defaults = train_script.parse_args(["--model-dir", str(model_dir), "--train", "unused"])
    params = train_script.hyperparameters(defaults)
    params["seed"] = args.seed
    print(f"rows: train={len(train_data)} test={len(test_data)}; hyperparameters: {params}")

    started = time.perf_counter()
    model = train_script.train(train_data, params)
    train_seconds = time.perf_counter() - started
    print(f"training: {train_seconds:.1f} s", flush=True)

    model_path = model_artifact.save_model(model, model_dir)
    archive = run_training.pack_model(model_dir, output / "model.tar.gz")
    metrics = train_script.evaluate(model, test_data)
    del model

    # A serving container is a fresh process: timing in this one would measure the heap
    # training left behind (about 0.3 ms slower per review on the reference machine).
    serving_args = [sys.executable, str(Path(__file__).resolve()), "--data", str(args.data)]
    serving_args += ["--singles", str(args.singles), "--batches", str(args.batches)]
    serving_args += ["--seed", str(args.seed), "--time-serving", str(model_dir)]
    timed = json.loads(subprocess.run(serving_args, check=True, capture_output=True).stdout)
    load_seconds, single, batch = timed["load_seconds"], timed["single"], timed["batch"]

    results = {
        "test": {
            k: metrics[k] for k in ("rows", "accuracy", "precision", "recall", "f1", "roc_auc")
        },
        "confusion_matrix": metrics["confusion_matrix"],
        "training_seconds": round(train_seconds, 1),
        "model_joblib_bytes": model_path.stat().st_size,
        "model_tar_gz_bytes": archive.stat().st_size,
        "model_load_seconds": round(load_seconds, 2),
        "latency_single_review": single,
        "latency_batch_64": batch,
        "hyperparameters": params,
        "machine": {"python": platform.python_version(), "cpus": _cpu_count()},
    }
    output.mkdir(parents=True, exist_ok=True)
    (output / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    print(f"test accuracy:     {metrics['accuracy']:.4f}")
    print(f"test F1:           {metrics['f1']:.4f}")
    print(f"test ROC AUC:      {metrics['roc_auc']:.4f}")
    print(f"training seconds:  {train_seconds:.1f}")
    print(f"model.joblib:      {model_path.stat().st_size / 1e6:.1f} MB")
    print(f"model.tar.gz:      {archive.stat().st_size / 1e6:.1f} MB ({archive})")
    print(f"model load:        {load_seconds:.2f} s")
    print(f"single review:     p50 {single['p50_ms']:.2f} ms, p99 {single['p99_ms']:.2f} ms")
    print(f"batch of 64:       p50 {batch['p50_ms']:.2f} ms, p99 {batch['p99_ms']:.2f} ms")
    print(f"results:           {output / 'bench.json'}")
    return 0


def _time_serving_only(args: argparse.Namespace) -> int:
    """Load a model as the serving container does and print its timings as JSON."""
    with tempfile.TemporaryDirectory(prefix="bench-channels-") as staging:
        channels = run_training.resolve_channels(args.data.resolve(), Path(staging))
        reviews = train_script.load_dataset(channels["test"], "test")["review"].tolist()
    started = time.perf_counter()
    served = inference.model_fn(str(args.time_serving))
    load_seconds = time.perf_counter() - started
    single, batch = time_serving(
        served, reviews, singles=args.singles, batches=args.batches, seed=args.seed
    )
    print(json.dumps({"load_seconds": load_seconds, "single": single, "batch": batch}))
    return 0


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
