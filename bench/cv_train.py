"""Movie-grouped cross-validation of the training recipe on the IMDb train split only.

    .venv/bin/python bench/cv_train.py [--data ../shared/datasets/imdb] [--folds 5]
                                       [-- train.py hyperparameters, e.g. --network-epochs 4]

How the recipe's hyperparameters were chosen without looking at the test split. Adjacent
aclImdb ids are reviews of the same movie, so random folds would put one movie on both
sides and reward memorised names (about 1.3 points of optimism). Here blocks of
``--block`` consecutive ids form the groups and block b goes to fold b % folds.

Per fold it trains train.py's model on the other folds and prints each member's accuracy
and the ensemble's on the held-out fold; then it searches the member weights on the
pooled out-of-fold probabilities, to show how flat the optimum is. Results also go to
``<output>/cv.json``. Five folds take about 12 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
for folder in (REPO_ROOT / "training", REPO_ROOT / "common"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _load_train_script():
    # This folder has its own train.py: load training/train.py under another name.
    spec = importlib.util.spec_from_file_location("training_train", REPO_ROOT / "training/train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def movie_folds(ids: np.ndarray, folds: int, block: int) -> np.ndarray:
    """Fold number per review: blocks of ``block`` adjacent ids stay together."""
    return (ids // block) % folds


def weight_grid(members: dict[str, np.ndarray], labels: np.ndarray, fold_of: np.ndarray):
    """Mean fold accuracy for word/char/network shares in steps of 0.05, best first."""
    networks = np.mean([p for name, p in members.items() if name.startswith("network_")], axis=0)
    results = []
    steps = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    for word, char in itertools.product(steps, steps):
        if word + char > 1.0 + 1e-9:
            continue
        mixed = word * members["word"] + char * members["char"] + (1 - word - char) * networks
        accuracy = np.mean(
            [((mixed[fold_of == k] > 0.5) == labels[fold_of == k]).mean() for k in set(fold_of)]
        )
        results.append((float(accuracy), float(word), float(char), round(1 - word - char, 2)))
    return sorted(results, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/datasets/imdb")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "build" / "bench")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--block", type=int, default=250, help="adjacent ids per group")
    parser.add_argument("hyperparameters", nargs="*", help="train.py arguments after --")
    args = parser.parse_args()

    train_script = _load_train_script()
    from review_labels import parse_label
    from sentiment_model import build_model

    reviews = pd.read_csv(args.data / "train.csv.gz")
    meta = pd.read_csv(args.data / "train_meta.csv.gz")
    if len(meta) != len(reviews) or not (meta["row"].to_numpy() == np.arange(len(reviews))).all():
        raise SystemExit("train_meta.csv.gz does not describe train.csv.gz row by row")
    # The label table train.py and the ETL use; row order must stay that of train_meta.
    parsed_labels = reviews["sentiment"].map(parse_label)
    if parsed_labels.isna().any():
        raise SystemExit(f"{int(parsed_labels.isna().sum())} rows of train.csv.gz have no label")
    labels = parsed_labels.to_numpy().astype(int)
    texts = reviews["review"].astype(str).tolist()
    fold_of = movie_folds(meta["id"].to_numpy(), args.folds, args.block)
    parsed = train_script.parse_args([*args.hyperparameters, "--model-dir", "-", "--train", "-"])
    params = train_script.hyperparameters(parsed)
    print(f"{len(texts)} train reviews, {args.folds} movie-grouped folds; {params}", flush=True)

    out_of_fold: dict[str, np.ndarray] = {}
    per_fold = []
    for k in range(args.folds):
        fit_rows, held_rows = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        started = time.perf_counter()
        model = build_model(**params).fit([texts[i] for i in fit_rows], labels[fit_rows])
        seconds = time.perf_counter() - started
        held = [texts[i] for i in held_rows]
        members = model.member_probabilities(held)
        members["ensemble"] = model.predict_proba(held)[:, 1]
        scores = {
            name: float(((p > 0.5) == labels[held_rows]).mean()) for name, p in members.items()
        }
        for name, p in members.items():
            out_of_fold.setdefault(name, np.full(len(texts), np.nan))[held_rows] = p
        per_fold.append({"fold": k, "rows": len(held_rows), "fit_seconds": seconds, **scores})
        shown = "  ".join(f"{name} {value:.4f}" for name, value in scores.items())
        print(f"fold {k}: {shown}  ({seconds:.0f} s)", flush=True)

    means = {name: float(np.mean([f[name] for f in per_fold])) for name in out_of_fold}
    print("mean:   " + "  ".join(f"{name} {value:.4f}" for name, value in means.items()))
    grid = weight_grid(out_of_fold, labels, fold_of)
    print("member weights (word, char, networks) by mean fold accuracy:")
    for accuracy, word, char, networks in grid[:8]:
        print(f"  {accuracy:.4f}  {word:.2f} / {char:.2f} / {networks:.2f}")
    args.output.mkdir(parents=True, exist_ok=True)
    report = {"hyperparameters": params, "folds": per_fold, "mean": means, "grid": grid[:20]}
    (args.output / "cv.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.output / 'cv.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
