"""What training measures on a labelled split, from the positive-class probabilities.

One pass of the model per split (``positive_probabilities``) feeds every measure here:
the metrics report, the uncertain band, the Model Registry's statistics, the evaluation
report's figures and its list of confident mistakes. The decision rule is serving's:
positive only above one half (``uncertainty.label_and_score``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from review_labels import NEGATIVE, POSITIVE, SENTIMENT_NAMES

# Points kept per curve in evaluation.json: enough to draw it, small enough to read.
CURVE_POINTS = 101


def positive_probabilities(model: Any, texts: Sequence[str]) -> np.ndarray:
    positive = list(model.classes_).index(POSITIVE)
    return np.asarray(model.predict_proba(list(texts))[:, positive], dtype=np.float64)


def predicted_labels(p_positive: np.ndarray) -> np.ndarray:
    return (p_positive > 0.5).astype(np.int8)


def both_classes(y_true: np.ndarray) -> bool:
    return len(np.unique(y_true)) == 2


def confusion(y_true: np.ndarray, p_positive: np.ndarray) -> list[list[int]]:
    """[[tn, fp], [fn, tp]]: rows the true label, columns the predicted one."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y_true, predicted_labels(p_positive), labels=[NEGATIVE, POSITIVE])
    return [[int(cell) for cell in row] for row in matrix]


def split_metrics(y_true: np.ndarray, p_positive: np.ndarray) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC AUC and the confusion matrix of one split."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score

    y_pred = predicted_labels(p_positive)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label=POSITIVE, zero_division=0
    )
    return {
        "rows": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        # AUC is undefined on a single-class set; report null rather than fail the job.
        "roc_auc": float(roc_auc_score(y_true, p_positive)) if both_classes(y_true) else None,
        "confusion_matrix": {
            "labels": [SENTIMENT_NAMES[NEGATIVE], SENTIMENT_NAMES[POSITIVE]],
            "rows_true_columns_predicted": confusion(y_true, p_positive),
        },
    }


def _thinned(values: np.ndarray, others: np.ndarray) -> tuple[list[float], list[float]]:
    keep = np.unique(np.linspace(0, len(values) - 1, min(len(values), CURVE_POINTS)).astype(int))
    return values[keep].tolist(), others[keep].tolist()


def _value(value: float) -> dict[str, Any]:
    # Model Monitor's shape; a single evaluation has no spread to report.
    return {"value": float(value), "standard_deviation": "NaN"}


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _f_beta(precision: float, recall: float, beta: float) -> float:
    weight = beta * beta
    denominator = weight * precision + recall
    return (1 + weight) * precision * recall / denominator if denominator else 0.0


def quality_statistics(
    y_true: np.ndarray, p_positive: np.ndarray, evaluated_at: str
) -> dict[str, Any]:
    """evaluation.json: the Model Registry's ModelQuality statistics for a binary model.

    The shape of SageMaker Model Monitor's model quality statistics
    (``binary_classification_metrics``, each metric ``{"value", "standard_deviation"}``;
    ``confusion_matrix`` keyed by true label, then predicted label).
    """
    from sklearn.metrics import precision_recall_curve, roc_curve

    (tn, fp), (fn, tp) = confusion(y_true, p_positive)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    metrics: dict[str, Any] = {
        "confusion_matrix": {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}},
        "recall": _value(recall),
        "precision": _value(precision),
        "accuracy": _value(_ratio(tp + tn, tn + fp + fn + tp)),
        "true_positive_rate": _value(recall),
        "true_negative_rate": _value(_ratio(tn, tn + fp)),
        "false_positive_rate": _value(_ratio(fp, tn + fp)),
        "false_negative_rate": _value(_ratio(fn, fn + tp)),
        "f0_5": _value(_f_beta(precision, recall, 0.5)),
        "f1": _value(_f_beta(precision, recall, 1.0)),
        "f2": _value(_f_beta(precision, recall, 2.0)),
    }
    if both_classes(y_true):
        from sklearn.metrics import roc_auc_score

        metrics["auc"] = _value(roc_auc_score(y_true, p_positive))
        fpr, tpr, _ = roc_curve(y_true, p_positive)
        fprs, tprs = _thinned(fpr, tpr)
        metrics["receiver_operating_characteristic_curve"] = {
            "false_positive_rates": fprs,
            "true_positive_rates": tprs,
        }
        precisions, recalls, _ = precision_recall_curve(y_true, p_positive)
        kept_precisions, kept_recalls = _thinned(precisions, recalls)
        metrics["precision_recall_curve"] = {
            "precisions": kept_precisions,
            "recalls": kept_recalls,
        }
    return {
        "version": 0.0,
        "dataset": {"item_count": int(len(y_true)), "evaluation_time": evaluated_at},
        "binary_classification_metrics": metrics,
    }


def confident_mistakes(
    texts: Sequence[str], y_true: np.ndarray, p_positive: np.ndarray, count: int = 20
) -> list[dict[str, Any]]:
    """The ``count`` wrong answers given with the highest score, most confident first."""
    y_pred = predicted_labels(p_positive)
    scores = np.where(y_pred == POSITIVE, p_positive, 1.0 - p_positive)
    wrong = np.flatnonzero(y_pred != y_true)
    # Stable: equal scores keep the split's order, so the list is reproducible.
    ranked = wrong[np.argsort(-scores[wrong], kind="stable")][:count]
    return [
        {
            "review": texts[index],
            "true_label": SENTIMENT_NAMES[int(y_true[index])],
            "predicted_label": SENTIMENT_NAMES[int(y_pred[index])],
            "score": float(scores[index]),
        }
        for index in ranked.tolist()
    ]
