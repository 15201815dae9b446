"""Session fixtures: models fitted once and shared by the tests that need one."""

from __future__ import annotations

import pytest
from training_helpers import make_reviews, run_train, with_label

from sentiment_model import NgramNBEnsemble


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One training run over every supported input form, shared by the tests.

    train: a gzip CSV with sentiment, a Parquet part in a subfolder with label only, plus
    the _SUCCESS and .crc files Spark leaves behind; validation: Parquet; test: plain CSV.
    """
    tmp = tmp_path_factory.mktemp("trained")
    train_dir, validation_dir, test_dir = (
        tmp / "data" / c for c in ("train", "validation", "test")
    )
    for folder in (train_dir / "nested", validation_dir, test_dir):
        folder.mkdir(parents=True)
    train = make_reviews(48, seed=1)
    train.iloc[:32].to_csv(train_dir / "part-00000.csv.gz", index=False)
    with_label(train.iloc[32:])[["review", "label"]].to_parquet(
        train_dir / "nested" / "part-00001.parquet"
    )
    (train_dir / "_SUCCESS").write_text("")
    (train_dir / ".part-00000.csv.gz.crc").write_bytes(b"\x00\x01not data")
    with_label(make_reviews(20, seed=2)).to_parquet(validation_dir / "part-00000.parquet")
    with_label(make_reviews(20, seed=3)).to_csv(test_dir / "part-00000.csv", index=False)

    channels = {"train": train_dir, "validation": validation_dir, "test": test_dir}
    result = run_train(tmp, channels, "--seed", "7")
    assert result.returncode == 0, result.stderr
    return {
        "tmp": tmp,
        "model_dir": tmp / "model",
        "output_data_dir": tmp / "output" / "data",
        "stdout": result.stdout,
        "channels": channels,
    }


@pytest.fixture(scope="session")
def small_ensemble() -> tuple[NgramNBEnsemble, list[str]]:
    """An ensemble with both kinds of network, fitted in process, and its reviews."""
    data = make_reviews(60, seed=11)
    labels = (data["sentiment"] == "positive").astype(int).to_numpy()
    model = NgramNBEnsemble(
        word_bits=14, char_bits=12, network_word_features=300, network_char_features=200
    ).fit(data["review"].tolist(), labels)
    return model, data["review"].tolist()
