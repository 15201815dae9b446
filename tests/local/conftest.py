"""Fixtures for the local serving twin: the local server on the run's trained model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_inference import write_fake_model

from local_server import LocalApiServer, running_server


@pytest.fixture(scope="module")
def server(trained_model_dir: Path) -> Iterator[LocalApiServer]:
    """The local server with the limits of the context's own stage (dev)."""
    with running_server(model_dir=trained_model_dir) as running:
        yield running


@pytest.fixture(scope="module")
def fake_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory whose inference module answers as the contracts say (word counts)."""
    return write_fake_model(tmp_path_factory.mktemp("fake-model"))
