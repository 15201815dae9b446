"""Fixtures for the serving runtime tests: the handler wired to fakes, a trained model."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving_fakes import TEST_SETTINGS, Api, FakeRuntime, FakeSageMaker

import handler as handler_module


@pytest.fixture
def api() -> Iterator[Api]:
    runtime, sagemaker = FakeRuntime(), FakeSageMaker()
    original = handler_module._service
    handler_module.configure(settings=TEST_SETTINGS, runtime=runtime, sagemaker=sagemaker)
    try:
        yield Api(runtime, sagemaker)
    finally:
        handler_module._service = original


@pytest.fixture
def handler_logs() -> Iterator[list[logging.LogRecord]]:
    """Records of the handler's Powertools logger (it does not propagate to root)."""
    records: list[logging.LogRecord] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    collector = _Collect(level=logging.DEBUG)
    target = logging.getLogger(handler_module.logger.name)
    target.addHandler(collector)
    try:
        yield records
    finally:
        target.removeHandler(collector)


# -- a real, locally trained model -------------------------------------------------------
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model `make train` built, or a tiny one trained here on a fresh clone."""
    from serving_model_fixture import ensure_trained_model

    return ensure_trained_model(REPO_ROOT, tmp_path_factory.mktemp("serving-model"))
