"""What train.py prints is what SageMaker's metric regexes read, for every collected pair."""

from __future__ import annotations

import re

import pytest

from training_metrics import COLLECTED, GATE_METRIC, METRIC_DEFINITIONS, metric_line


@pytest.mark.parametrize("value", [0.0, 0.9231, 1.0, 133.25, 1e-7])
def test_every_definition_reads_back_the_printed_value(value):
    for (channel, name), definition in zip(COLLECTED, METRIC_DEFINITIONS, strict=True):
        match = re.search(definition["Regex"], f"noise\n{metric_line(channel, name, value)}\n")
        assert match, definition
        assert float(match.group(1)) == pytest.approx(round(value, 4))


def test_the_gate_reads_validation_accuracy_only():
    assert GATE_METRIC is METRIC_DEFINITIONS[0]
    assert GATE_METRIC["Name"] == "validation:accuracy"
    assert re.search(GATE_METRIC["Regex"], metric_line("test", "accuracy", 0.5)) is None
