"""Each verdict of the A/B report, the summaries it reads and the text it prints."""

from __future__ import annotations

import json

import pytest

from ab_compare import (
    KEEP,
    NOT_ENOUGH,
    PROMOTE,
    VariantSummary,
    choose_champion,
    decide,
    summaries_from_request_log,
)
from ab_render import build_report, render_text, report_dict


def variant(name: str, labelled: int, correct: int, calls: int = 0, errors: int = 0):
    return VariantSummary(
        name, invocations=calls or labelled, errors_5xx=errors, labelled=labelled, correct=correct
    )


def test_promote_a_significantly_more_accurate_challenger():
    verdict = decide(variant("champion", 1000, 850), variant("challenger", 1000, 900))
    assert verdict.decision == PROMOTE
    assert "challenger is significantly more accurate (p = 0.0007)" in verdict.reasons[0]


def test_keep_when_the_champion_is_significantly_better():
    verdict = decide(variant("champion", 1000, 900), variant("challenger", 1000, 850))
    assert verdict.decision == KEEP
    assert verdict.accuracy.difference == pytest.approx(-0.05)


def test_keep_a_more_accurate_challenger_that_fails_more_often():
    champion = variant("champion", 1000, 850, calls=2000, errors=2)
    challenger = variant("challenger", 1000, 900, calls=2000, errors=40)
    verdict = decide(champion, challenger)
    assert verdict.decision == KEEP
    assert "fails significantly more often (5xx" in verdict.reasons[0]
    assert verdict.errors.p_value < 0.05


def test_keep_when_no_difference_shows_in_a_sample_that_would_show_one_point():
    # 0.90 vs 0.9025: not significant; the observed 0.25 points would need 223,531 per
    # variant, but 20,000 detect one point either way (0.90 vs 0.89 needs 14,751, vs
    # 0.91 13,495) and none is there.
    verdict = decide(variant("champion", 20000, 18000), variant("challenger", 20000, 18050))
    assert verdict.accuracy.p_value > 0.05
    assert verdict.accuracy.n_required == 223531
    assert verdict.decision == KEEP
    assert "where 14,751 per variant would show one of 1%" in verdict.reasons[0]


def test_identical_accuracy_keeps_only_in_a_sample_that_would_show_one_point():
    verdict = decide(variant("champion", 20000, 18000), variant("challenger", 20000, 18000))
    assert verdict.decision == KEEP and verdict.accuracy.n_required is None
    small = decide(variant("champion", 500, 450), variant("challenger", 500, 450))
    assert small.decision == NOT_ENOUGH
    assert "about 14,751 labelled reviews per variant" in small.reasons[0]


def test_not_enough_data_says_how_many_are_needed():
    verdict = decide(variant("champion", 1000, 880), variant("challenger", 1000, 890))
    assert verdict.decision == NOT_ENOUGH
    assert "about 15,976 labelled reviews per variant" in verdict.reasons[0]
    assert "14,976 more in the smaller" in verdict.reasons[0]


def test_not_enough_data_without_ground_truth_or_below_the_floor():
    verdict = decide(variant("champion", 0, 0, calls=500), variant("challenger", 300, 280))
    assert (verdict.decision, verdict.reasons) == (NOT_ENOUGH, ("no ground truth for champion",))
    assert verdict.accuracy is None
    small = decide(variant("champion", 40, 20), variant("challenger", 40, 39))
    assert small.decision == NOT_ENOUGH and "40 labelled reviews" in small.reasons[0]


def log_line(variant_name: str, status: int, latency: float, *predictions: tuple) -> str:
    return json.dumps(
        {
            "timestamp": "2026-01-01T00:00:00.000Z",
            "variant": variant_name,
            "latency_ms": latency,
            "status": status,
            "predictions": [
                {
                    "label": label,
                    "score": 0.9,
                    "uncertain": False,
                    **({"true_label": t} if t else {}),
                }
                for label, t in predictions
            ],
        }
    )


def test_summaries_from_a_request_log():
    lines = [
        log_line("a", 200, 1.0, ("positive", "positive")),
        log_line("a", 200, 3.0, ("negative", "positive"), ("negative", "negative")),
        log_line("a", 500, 9.0),
        log_line("b", 400, 0.5),
        log_line("b", 200, 2.0, ("positive", None)),
        "",
    ]
    summaries = summaries_from_request_log(lines)
    a, b = summaries["a"], summaries["b"]
    assert (a.invocations, a.errors_5xx, a.errors_4xx, a.labelled, a.correct) == (3, 1, 0, 3, 2)
    assert a.latency_ms == {"mean": pytest.approx(13 / 3), "p50": 3.0, "p99": 9.0}
    assert (b.invocations, b.errors_5xx, b.errors_4xx, b.labelled, b.accuracy) == (2, 0, 1, 0, None)
    assert choose_champion(summaries) == "a"
    assert choose_champion(summaries, "b") == "b"
    with pytest.raises(KeyError):
        choose_champion(summaries, "c")


def test_the_report_reads_as_text_and_as_json():
    summaries = {
        "champion": variant("champion", 1000, 850, calls=1200),
        "challenger": variant("challenger", 1000, 900),
    }
    verdicts = build_report(summaries, "champion")
    text = render_text(summaries, verdicts)
    assert "challenger (challenger) vs champion (champion):" in text
    assert "95% CI [+2.11%, +7.89%]" in text
    assert "(alpha 0.05, power 0.8): 686" in text
    assert "verdict: PROMOTE" in text
    document = json.loads(json.dumps(report_dict(summaries, verdicts)))
    assert document["verdicts"][0]["decision"] == "promote"
    assert document["variants"]["champion"]["accuracy"] == 0.85


def test_the_text_names_the_alpha_the_report_was_computed_at():
    summaries = {
        "champion": variant("champion", 1000, 850, calls=1200),
        "challenger": variant("challenger", 1000, 900),
    }
    strict, loose = (build_report(summaries, "champion", alpha=a) for a in (0.05, 0.1))
    text = render_text(summaries, loose)
    assert "90% CI [" in text and "(alpha 0.1, power 0.8)" in text
    # A larger alpha: a narrower interval, and the 5xx comparison follows it too.
    assert loose[0].accuracy.ci_low > strict[0].accuracy.ci_low
    assert loose[0].errors.alpha == 0.1
