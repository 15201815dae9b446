"""Fixtures for the predict Lambda tests: the handler wired to fake SageMaker clients."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber
from comprehend_fakes import COMPREHEND_SETTINGS, comprehend_client
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
def fake_aws_environment(monkeypatch) -> str:
    """Dummy credentials and a region for boto3 clients the handler builds itself; the
    tests answer their HTTP calls (moto, or a before-send hook), so none leaves."""
    region = "eu-west-1"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return region


@pytest.fixture(scope="session")
def stubbed_client():
    return comprehend_client()


@pytest.fixture
def comprehend(stubbed_client) -> Iterator[tuple[Api, Stubber]]:
    """The handler on the Comprehend backend, its client under a Stubber; SageMaker's
    fakes must see no call."""
    original = handler_module._service.settings
    runtime, sagemaker = FakeRuntime(), FakeSageMaker()
    handler_module.configure(
        settings=COMPREHEND_SETTINGS,
        runtime=runtime,
        sagemaker=sagemaker,
        comprehend=stubbed_client,
    )
    try:
        with Stubber(stubbed_client) as stubber:
            yield Api(runtime, sagemaker), stubber
            stubber.assert_no_pending_responses()
    finally:
        handler_module.configure(settings=original)
    assert runtime.calls == [] and sagemaker.calls == 0


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
