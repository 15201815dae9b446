"""The evaluation report: PNG figures and one self-contained HTML page."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import numpy as np
import pytest

from evaluation import confident_mistakes, split_metrics
from evaluation_report import FIGURES, REPORT_FILENAME, excerpt, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Tags, table rows by table id, and every URL-bearing attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.rows: dict[str, int] = {}
        self.urls: list[str] = []
        self._table: str | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "table":
            self._table = attributes.get("id")
            self.rows[self._table] = 0
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.rows[self._table] += 1

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _splits(seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    splits = {}
    for name in ("validation", "test"):
        y_true = rng.integers(0, 2, 200)
        p_positive = np.clip(0.5 + (y_true - 0.5) * 0.6 + rng.normal(0, 0.25, 200), 0, 1)
        splits[name] = (y_true, p_positive)
    return splits


def _report(splits) -> dict:
    return {
        "metrics": {name: split_metrics(*scores) for name, scores in splits.items()},
        "uncertainty": {
            name: {
                "threshold": 0.8,
                "coverage": 0.7,
                "kept_accuracy": 0.97,
                "target_accuracy": 0.97,
            }
            for name in splits
        },
        "data_rows": {"train": 1000, "validation": 200, "test": 200},
        "training_seconds": 12.5,
        "model_version": "local-20260101T000000Z",
    }


def test_report_has_figures_tables_and_escaped_mistakes(tmp_path):
    splits = _splits()
    y_test, p_test = splits["test"]
    texts = [f"review {i} <br /><br />second line" for i in range(len(y_test))]
    wrong = np.flatnonzero((p_test > 0.5) != y_test)
    assert len(wrong) > 20
    most_confident = max(wrong, key=lambda i: abs(p_test[i] - 0.5))
    texts[most_confident] = "Fine <script>alert('x')</script> & " + "long " * 100
    mistakes = confident_mistakes(texts, y_test, p_test)
    assert len(mistakes) == 20
    scores = [m["score"] for m in mistakes]
    assert scores == sorted(scores, reverse=True)

    paths = write_report(tmp_path, _report(splits), splits, mistakes)
    assert [p.name for p in paths] == [*FIGURES.values(), REPORT_FILENAME]
    for name in FIGURES.values():
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)

    html_text = (tmp_path / REPORT_FILENAME).read_text(encoding="utf-8")
    page = _parse(html_text)
    assert page.rows == {"metrics": 2, "uncertainty": 2, "mistakes": 20}
    # Self-contained: every image inline, nothing fetched from anywhere, no script.
    assert page.urls and all(url.startswith("data:image/png;base64,") for url in page.urls)
    for url in page.urls:
        assert base64.b64decode(url.split(",", 1)[1]).startswith(PNG_SIGNATURE)
    assert "script" not in page.tags and "link" not in page.tags
    assert "Fine &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; long" in html_text
    assert "<br" not in html_text  # IMDb's line breaks become spaces, not markup


def test_excerpt_cuts_at_a_space_near_the_limit():
    text = excerpt("word " * 200)
    assert len(text) <= 302 and text.endswith(" …") and "  " not in text
    assert excerpt("short<br />review") == "short review"


def test_a_tiny_split_lists_the_mistakes_there_are(tmp_path):
    y_true = np.array([1, 0, 1, 0])
    p_positive = np.array([0.9, 0.2, 0.3, 0.6])
    mistakes = confident_mistakes(["a", "b", "c", "d"], y_true, p_positive)
    assert [(m["review"], m["predicted_label"]) for m in mistakes] == [
        ("c", "negative"),
        ("d", "positive"),
    ]
    splits = {"test": (y_true, p_positive)}
    write_report(tmp_path, _report(splits) | {"uncertainty": {}}, splits, mistakes)
    assert _parse((tmp_path / REPORT_FILENAME).read_text()).rows["mistakes"] == 2


@pytest.mark.training
def test_training_writes_the_report_beside_the_metrics(trained):
    out = trained["output_data_dir"]
    for name in FIGURES.values():
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)
    page = _parse((out / REPORT_FILENAME).read_text(encoding="utf-8"))
    report = json.loads((out / "metrics.json").read_text())
    assert page.rows["metrics"] == len(report["metrics"]) == 2
    assert page.rows["uncertainty"] == 2
    wrong = sum(
        report["metrics"]["test"]["confusion_matrix"]["rows_true_columns_predicted"][i][1 - i]
        for i in (0, 1)
    )
    assert page.rows["mistakes"] == min(20, wrong)
    assert "evaluation report: " in trained["stdout"]
