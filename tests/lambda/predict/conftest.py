"""Fixtures for the predict Lambda tests: the handler wired to fake SageMaker clients."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from predict_fakes import TEST_SETTINGS, Api, FakeRuntime, FakeSageMaker

import handler as handler_module


@pytest.fixture
def api() -> Iterator[Api]:
    runtime, sagemaker = FakeRuntime(), FakeSageMaker()
    original = handler_module._service.settings
    handler_module.configure(settings=TEST_SETTINGS, runtime=runtime, sagemaker=sagemaker)
    try:
        yield Api(runtime, sagemaker)
    finally:
        handler_module.configure(settings=original)


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
