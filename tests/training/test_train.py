"""train.py through its script-mode contract (SM_* variables, channels, exit codes)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from training_helpers import SMALL_MODEL_ARGS, make_reviews, run_train, with_label

import train
from model_artifact import ARTIFACT_FILES, CODE_FILES, MODEL_FILES
from training_metrics import METRIC_DEFINITIONS


@pytest.mark.training
def test_writes_model_code_and_metrics(trained):
    model_dir = trained["model_dir"]
    # With a validation split: the model card and the drift baseline too (issues 14, 16).
    assert sorted(p.name for p in model_dir.iterdir()) == sorted([*ARTIFACT_FILES, "code"])
    assert sorted(p.name for p in (model_dir / "code").iterdir()) == sorted(CODE_FILES)

    report = json.loads((trained["output_data_dir"] / "metrics.json").read_text())
    assert report["data_rows"] == {"train": 48, "validation": 20, "test": 20}
    assert report["hyperparameters"]["seed"] == 7
    assert report["model"]["files"] == {n: (model_dir / n).stat().st_size for n in MODEL_FILES}
    assert report["training_seconds"] > 0
    for channel in ("validation", "test"):
        metrics = report["metrics"][channel]
        assert metrics["rows"] == 20
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            assert 0.0 <= metrics[name] <= 1.0
        # The adjectives decide the label, so even a 48-review model gets these right.
        assert metrics["accuracy"] >= 0.9
        matrix = metrics["confusion_matrix"]["rows_true_columns_predicted"]
        assert sum(map(sum, matrix)) == 20


@pytest.mark.training
def test_prints_metric_lines_matching_the_definitions(trained):
    stdout = trained["stdout"]
    assert re.search(r"^validation:accuracy=[0-9]\.[0-9]{4}$", stdout, re.MULTILINE)
    assert re.search(r"^test:accuracy=[0-9]\.[0-9]{4}$", stdout, re.MULTILINE)
    report = json.loads((trained["output_data_dir"] / "metrics.json").read_text())
    for definition in METRIC_DEFINITIONS:
        match = re.search(definition["Regex"], stdout)
        assert match, definition["Name"]
        channel, name = definition["Name"].split(":")
        if channel != "train":
            expected = report["metrics"][channel][name]
            assert float(match.group(1)) == pytest.approx(expected, abs=5e-5)


def test_metric_definitions_put_validation_accuracy_first():
    assert METRIC_DEFINITIONS[0]["Name"] == "validation:accuracy"
    names = [d["Name"] for d in METRIC_DEFINITIONS]
    assert len(names) == len(set(names))
    # SageMaker limits: at most 40 definitions, regexes of at most 500 characters.
    assert len(names) <= 40
    assert all(len(d["Regex"]) <= 500 for d in METRIC_DEFINITIONS)
    assert (
        re.search(METRIC_DEFINITIONS[0]["Regex"], "validation:accuracy=0.9231").group(1) == "0.9231"
    )
    assert not re.search(METRIC_DEFINITIONS[0]["Regex"], "test:accuracy=0.9231")


def test_importing_train_has_no_side_effects():
    # No heavy imports, no parsing of sys.argv; from the repository layout, train.py makes
    # the common modules importable, as they are beside it in SageMaker's source bundle.
    code = (
        "import sys; sys.argv = ['cdk', '--bogus']; import train; "
        "assert 'sklearn' not in sys.modules and 'pandas' not in sys.modules; "
        "import training_metrics; print(training_metrics.METRIC_DEFINITIONS[0]['Name'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(train.__file__).parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "validation:accuracy"


def test_empty_channel_fails_with_reason(tmp_path):
    empty = tmp_path / "train"
    empty.mkdir()
    (empty / "_SUCCESS").write_text("")
    failure_dir = tmp_path / "failure"
    failure_dir.mkdir()
    result = run_train(tmp_path, {"train": empty}, failure_dir=failure_dir)
    assert result.returncode == train.EXIT_DATA_ERROR
    assert "DatasetError: channel 'train': no CSV, CSV.gz or Parquet file" in result.stderr
    assert "Traceback" not in result.stderr
    assert "no CSV, CSV.gz or Parquet file" in (failure_dir / "failure").read_text()
    assert not (tmp_path / "model").exists()


def test_a_bad_hyperparameter_fails_with_reason(tmp_path):
    failure_dir = tmp_path / "failure"
    failure_dir.mkdir()
    train = tmp_path / "train"
    train.mkdir()
    result = run_train(
        tmp_path, {"train": train}, "--uncertainty-target-accuracy", "2", failure_dir=failure_dir
    )
    assert result.returncode == 2
    reason = (failure_dir / "failure").read_text()
    assert reason.startswith("invalid arguments: ") and "target" in reason


def test_malformed_channel_fails_with_reason(tmp_path):
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    make_reviews(10, seed=0).rename(columns={"review": "text"}).to_csv(
        train_dir / "part-0.csv", index=False
    )
    result = run_train(tmp_path, {"train": train_dir})
    assert result.returncode == train.EXIT_DATA_ERROR
    assert "has no 'review' column" in result.stderr
    assert "Traceback" not in result.stderr


def _write(folder, frame, name="part-0.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / name, index=False)
    return folder


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"review": ["good", "bad"]}), "no label column"),
        (pd.DataFrame({"review": ["good", "bad"], "sentiment": ["good", "bad"]}), "invalid"),
        (pd.DataFrame({"review": ["good", "bad"], "label": ["1", "2"]}), "invalid 'label'"),
        (
            pd.DataFrame(
                {"review": ["a", "b"], "sentiment": ["positive", "negative"], "label": [0, 1]}
            ),
            "disagree",
        ),
        (pd.DataFrame({"review": ["", " "], "label": [1, 0]}), "every row"),
        (pd.DataFrame({"review": [], "label": []}), "hold no rows"),
    ],
)
def test_load_dataset_rejects_bad_content(tmp_path, frame, message):
    with pytest.raises(train.DatasetError, match=message):
        train.load_dataset(_write(tmp_path / "c", frame), "train")


def test_load_dataset_rejects_missing_dir_and_unreadable_file(tmp_path):
    with pytest.raises(train.DatasetError, match="does not exist"):
        train.load_dataset(tmp_path / "nowhere", "validation")
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "part-0.parquet").write_bytes(b"this is not parquet")
    with pytest.raises(train.DatasetError, match="cannot read"):
        train.load_dataset(folder, "train")


def test_load_dataset_reads_mixed_files_and_drops_empty_reviews(tmp_path):
    folder = tmp_path / "c"
    _write(
        folder, pd.DataFrame({"review": ["Fine", "   "], "sentiment": [" Positive", "negative"]})
    )
    with_label(make_reviews(4, seed=0))[["review", "label"]].to_csv(
        folder / "part-1.csv.gz", index=False
    )
    data = train.load_dataset(folder, "train")
    assert list(data.columns) == ["review", "label"]
    assert len(data) == 5
    assert data["label"].tolist()[0] == 1


def test_parquet_without_pyarrow_gives_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    folder.mkdir()
    with_label(make_reviews(4, seed=0)).to_parquet(folder / "part-0.parquet")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pyarrow" else real_find_spec(name, *a),
    )
    with pytest.raises(train.DatasetError, match="needs pyarrow"):
        train.load_dataset(folder, "train")


def test_single_class_training_set_is_rejected():
    data = pd.DataFrame({"review": ["good", "great"], "label": [1, 1]})
    with pytest.raises(train.DatasetError, match="both positive and negative"):
        train.train(data, {"word_c": 1.0, "char_c": 1.0, "word_bits": 10, "char_bits": 10})


@pytest.mark.training
def test_same_seed_gives_identical_model(tmp_path):
    data = with_label(make_reviews(30, seed=5))[["review", "label"]]
    params = train.hyperparameters(
        train.parse_args([*SMALL_MODEL_ARGS, "--model-dir", str(tmp_path), "--train", "x"])
    )
    first = train.train(data, params).predict_proba(data["review"].tolist())
    second = train.train(data, params).predict_proba(data["review"].tolist())
    np.testing.assert_array_equal(first, second)


def test_hyperparameters_come_from_cli_and_paths_from_env(monkeypatch):
    monkeypatch.setenv("SM_MODEL_DIR", "/m")
    monkeypatch.setenv("SM_CHANNEL_TRAIN", "/t")
    monkeypatch.delenv("SM_CHANNEL_VALIDATION", raising=False)
    args = train.parse_args(["--word-c", "8", "--seed", "3"])
    assert (args.model_dir, args.train, args.validation) == ("/m", "/t", None)
    assert train.hyperparameters(args)["word_c"] == 8.0
    assert train.hyperparameters(args)["seed"] == 3


@pytest.mark.training
def test_parallel_members_give_the_same_model(tmp_path):
    # --n-jobs 2 trains the word and char members in two processes; the result must not change.
    data = with_label(make_reviews(30, seed=6))[["review", "label"]]
    args = [*SMALL_MODEL_ARGS, "--model-dir", str(tmp_path), "--train", "x"]
    serial = train.hyperparameters(train.parse_args(args))
    parallel = train.hyperparameters(train.parse_args([*args, "--n-jobs", "2"]))
    reviews = data["review"].tolist()
    np.testing.assert_array_equal(
        train.train(data, serial).predict_proba(reviews),
        train.train(data, parallel).predict_proba(reviews),
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (["--word-weight", "-0.1"], "must be >= 0"),
        (["--word-weight", "0", "--char-weight", "0", "--network-weight", "0"], "positive sum"),
        (["--word-networks", "0", "--joint-networks", "0"], "needs word_networks or joint"),
        (["--joint-networks", "-1"], "must be >= 0"),
        (["--network-char-features", "0"], "feature limits"),
    ],
)
def test_inconsistent_member_arguments_stop_at_parse_time(bad, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        train.parse_args([*bad, "--model-dir", "m", "--train", "t"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "error:" in error
    assert message in error


@pytest.mark.training
def test_networks_can_be_switched_off(tmp_path):
    data = with_label(make_reviews(30, seed=8))[["review", "label"]]
    args = [*SMALL_MODEL_ARGS, "--model-dir", str(tmp_path), "--train", "x"]
    args += ["--word-networks", "0", "--joint-networks", "0", "--network-weight", "0"]
    model = train.train(data, train.hyperparameters(train.parse_args(args)))
    assert model.network_models_ == []
    assert set(model.member_probabilities(["a fine film"])) == {"word", "char"}
    assert model.predict(data["review"].tolist()).tolist() == data["label"].tolist()


def test_unknown_label_is_a_data_error_with_a_reason(tmp_path):
    frame = make_reviews(6, seed=4)
    frame.loc[2, "sentiment"] = "neutral"
    train_dir = _write(tmp_path / "train", frame)
    failure_dir = tmp_path / "failure"
    failure_dir.mkdir()
    result = run_train(tmp_path, {"train": train_dir}, failure_dir=failure_dir)
    assert result.returncode == train.EXIT_DATA_ERROR
    reason = (failure_dir / "failure").read_text()
    assert "1 rows have an invalid 'sentiment' value, e.g. ['neutral']" in reason
    assert "positive: positive/pos/1/1.0/true" in reason  # the accepted spellings
    assert "Traceback" not in result.stderr


def test_markup_only_reviews_are_empty_as_in_the_etl(tmp_path):
    # is_empty_review: what the ETL quarantines and the API refuses, training drops.
    frame = pd.DataFrame(
        {"review": ["Fine film", "<br /><br />", "\u200b", "Dull film"], "label": [1, 1, 0, 0]}
    )
    data = train.load_dataset(_write(tmp_path / "c", frame), "train")
    assert data["review"].tolist() == ["Fine film", "Dull film"]
