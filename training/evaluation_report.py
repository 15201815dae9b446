"""The evaluation report: four figures as PNG and one self-contained HTML page.

Written beside metrics.json (SM_OUTPUT_DATA_DIR, so a training job's output.tar.gz holds
it): the confusion matrix of the last evaluated split (test when there is one), ROC and
precision-recall curves and a reliability diagram per split, and ``evaluation_report.html``
with those images inlined (base64), the metrics and uncertainty tables and the most
confident mistakes of the test split. The page loads nothing from anywhere: it opens from
a laptop's disk, an S3 download or an MLflow artifact view alike.

matplotlib draws through its Agg canvas (no display, no pyplot state), imported here
only: neither importing train.py nor serving pays for it.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from training_metrics import PRINTED_METRICS

REPORT_FILENAME = "evaluation_report.html"
FIGURES = {
    "confusion_matrix": "confusion_matrix.png",
    "roc_curve": "roc_curve.png",
    "precision_recall_curve": "precision_recall_curve.png",
    "reliability_diagram": "reliability_diagram.png",
}
MISTAKE_CHARS = 300
_LINE_BREAKS = re.compile(r"(?:<br\s*/?>\s*)+", re.IGNORECASE)


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.0, 4.0), dpi=100, layout="tight")
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def confusion_png(matrix: list[list[int]], split: str) -> bytes:
    figure, axes = _figure()
    cells = np.asarray(matrix)
    axes.imshow(cells, cmap="Blues")
    for row in range(2):
        for column in range(2):
            # Light text on the dark cells, dark text on the light ones.
            color = "white" if cells[row, column] > cells.max() / 2 else "black"
            axes.text(column, row, str(cells[row, column]), ha="center", va="center", color=color)
    axes.set_xticks([0, 1], labels=["negative", "positive"])
    axes.set_yticks([0, 1], labels=["negative", "positive"])
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"Confusion matrix ({split})")
    return _png(figure)


def curve_png(kind: str, splits: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    """ROC (kind "roc") or precision-recall ("pr") curves, one line per two-class split."""
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    figure, axes = _figure()
    for split, (y_true, p_positive) in splits.items():
        if len(np.unique(y_true)) < 2:
            continue  # no curve without both classes
        if kind == "roc":
            x, y, _ = roc_curve(y_true, p_positive)
        else:
            y, x, _ = precision_recall_curve(y_true, p_positive)
        axes.plot(x, y, label=f"{split} (area {auc(x, y):.4f})")
    if kind == "roc":
        axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
        axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    else:
        axes.set(xlabel="recall", ylabel="precision", title="Precision-recall curve")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="lower right" if kind == "roc" else "lower left")
    return _png(figure)


def reliability_png(splits: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    """Observed share of positives against the predicted probability, in ten bins."""
    from sklearn.calibration import calibration_curve

    figure, axes = _figure()
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    for split, (y_true, p_positive) in splits.items():
        observed, predicted = calibration_curve(y_true, p_positive, n_bins=10)
        axes.plot(predicted, observed, marker="o", label=split)
    axes.set(
        xlabel="predicted probability of positive",
        ylabel="observed share of positives",
        title="Reliability diagram",
    )
    axes.legend(loc="upper left")
    return _png(figure)


def excerpt(review: str, limit: int = MISTAKE_CHARS) -> str:
    """The review's first ``limit`` characters, cut at a space, line breaks as spaces."""
    text = " ".join(_LINE_BREAKS.sub(" ", review).split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + " …"


def _number(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _table(table_id: str, header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_number(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _summary(report: Mapping[str, Any]) -> str:
    items = {
        "model version": report.get("model_version"),
        "trained at": report.get("trained_at"),
        "code version": report.get("code_version"),
        "data rows": ", ".join(f"{k}: {v}" for k, v in report["data_rows"].items()),
        "training seconds": f"{report.get('training_seconds', 0):.1f}",
    }
    rows = "".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(_number(value))}</dd>"
        for name, value in items.items()
    )
    return f"<dl>{rows}</dl>"


_STYLE = (
    "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em}"
    "dt{font-weight:bold;float:left;clear:left;width:10em}dd{margin-left:11em}"
    "img{max-width:48%;margin:.5%}"
)


def render_html(
    report: Mapping[str, Any], figures: Mapping[str, bytes], mistakes: list[dict[str, Any]]
) -> str:
    """The report page: summary, metrics, uncertain band, figures, confident mistakes."""
    metrics = report["metrics"]
    metric_rows = [[split, *(m.get(n) for n in PRINTED_METRICS)] for split, m in metrics.items()]
    band_names = ("threshold", "coverage", "kept_accuracy", "target_accuracy")
    band_rows = [
        [split, *(band.get(name) for name in band_names)]
        for split, band in report.get("uncertainty", {}).items()
    ]
    images = "".join(
        f'<img alt="{name}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for name, png in figures.items()
    )
    mistake_rows = [
        [rank, m["true_label"], m["predicted_label"], m["score"], excerpt(m["review"])]
        for rank, m in enumerate(mistakes, start=1)
    ]
    sections = [
        "<h1>Sentiment model: evaluation report</h1>",
        _summary(report),
        "<h2>Metrics</h2>",
        _table("metrics", ["split", *PRINTED_METRICS], metric_rows),
        "<h2>Uncertain band</h2>",
        "<p>An answer is uncertain when the probability of its label is below the "
        "threshold chosen on the validation split; coverage is the share answered with "
        "confidence, kept accuracy the accuracy of those answers.</p>",
        _table("uncertainty", ["split", *band_names], band_rows),
        "<h2>Figures</h2>",
        f"<div>{images}</div>",
        f"<h2>Most confident mistakes (test, {len(mistakes)})</h2>",
        _table("mistakes", ["#", "true", "predicted", "score", "review"], mistake_rows),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Evaluation report</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )


def write_report(
    out_dir: Path,
    report: Mapping[str, Any],
    splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
    mistakes: list[dict[str, Any]],
) -> list[Path]:
    """Write the PNGs and the HTML page into ``out_dir``; the paths written, page last."""
    last = list(splits)[-1]
    matrix = report["metrics"][last]["confusion_matrix"]["rows_true_columns_predicted"]
    figures = {
        "confusion_matrix": confusion_png(matrix, last),
        "roc_curve": curve_png("roc", splits),
        "precision_recall_curve": curve_png("pr", splits),
        "reliability_diagram": reliability_png(splits),
    }
    paths = []
    for name, png in figures.items():
        path = out_dir / FIGURES[name]
        path.write_bytes(png)
        paths.append(path)
    page = out_dir / REPORT_FILENAME
    page.write_text(render_html(report, figures, mistakes), encoding="utf-8")
    return [*paths, page]
