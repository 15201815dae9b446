"""What a training job prints and SageMaker reads back: one definition for both sides.

`train.py` prints lines through `metric_line`; the training pipeline hands
`METRIC_DEFINITIONS` to SageMaker, whose regexes turn those lines into
`FinalMetricDataList`. The evaluation gate reads `GATE_METRIC`, validation accuracy,
which therefore stays first. Standard library only: the stack imports it at synth time.
"""

from __future__ import annotations

_NUMBER = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
# (channel, metric) pairs SageMaker collects, in FinalMetricDataList order.
COLLECTED = (
    ("validation", "accuracy"),
    ("validation", "f1"),
    ("validation", "roc_auc"),
    ("test", "accuracy"),
    ("test", "f1"),
    ("test", "roc_auc"),
    ("train", "seconds"),
)
METRIC_DEFINITIONS: list[dict[str, str]] = [
    {"Name": f"{channel}:{name}", "Regex": rf"{channel}:{name}={_NUMBER}"}
    for channel, name in COLLECTED
]
GATE_METRIC = METRIC_DEFINITIONS[0]
# Metrics printed per evaluated channel, in this order.
PRINTED_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def metric_line(channel: str, name: str, value: float) -> str:
    """`validation:accuracy=0.9231`: four fixed decimals, the form the regexes expect."""
    return f"{channel}:{name}={value:.4f}"
