"""The A/B report as text (for people) and as a JSON-ready dict (for logs and pipelines)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ab_compare import MIN_LABELLED, VariantSummary, Verdict, choose_champion, decide
from ab_statistics import ALPHA


def build_report(
    summaries: Mapping[str, VariantSummary],
    champion: str | None = None,
    *,
    alpha: float = ALPHA,
    min_labelled: int = MIN_LABELLED,
) -> list[Verdict]:
    """One verdict per challenger (every variant but the champion)."""
    name = choose_champion(summaries, champion)
    return [
        decide(summaries[name], summary, alpha=alpha, min_labelled=min_labelled)
        for other, summary in sorted(summaries.items())
        if other != name
    ]


def _rate(count: int, total: int) -> str:
    return f"{count:,} ({count / total:.2%})" if total else f"{count:,}"


def render_text(summaries: Mapping[str, VariantSummary], verdicts: Sequence[Verdict]) -> str:
    lines = [
        f"{'variant':<14}{'calls':>8}{'5xx':>14}{'4xx':>14}{'mean ms':>9}{'p99 ms':>8}"
        f"{'labelled':>10}{'accuracy':>10}"
    ]
    for name, s in sorted(summaries.items()):
        mean, p99 = s.latency_ms.get("mean"), s.latency_ms.get("p99")
        accuracy = "-" if s.accuracy is None else f"{s.accuracy:.2%}"
        lines.append(
            f"{name:<14}{s.invocations:>8,}{_rate(s.errors_5xx, s.invocations):>14}"
            f"{_rate(s.errors_4xx, s.invocations):>14}"
            f"{'-' if mean is None else f'{mean:.2f}':>9}{'-' if p99 is None else f'{p99:.2f}':>8}"
            f"{s.labelled:>10,}{accuracy:>10}"
        )
    for verdict in verdicts:
        lines.append("")
        lines.append(f"{verdict.challenger} (challenger) vs {verdict.champion} (champion):")
        test = verdict.accuracy
        if test is not None:
            lines.append(
                f"  accuracy {test.p_b:.2%} vs {test.p_a:.2%}: difference {test.difference:+.2%}, "
                f"{1 - test.alpha:.0%} CI [{test.ci_low:+.2%}, {test.ci_high:+.2%}], "
                f"z = {test.z:.2f}, "
                f"p = {test.p_value:.4f}"
            )
            if test.n_required is not None:
                lines.append(
                    f"  labelled reviews per variant to detect {test.difference:+.2%} "
                    f"(alpha {test.alpha:g}, power {test.power:g}): {test.n_required:,}"
                )
        lines.append(f"  verdict: {verdict.decision.upper()} - {'; '.join(verdict.reasons)}")
    return "\n".join(lines)


def report_dict(
    summaries: Mapping[str, VariantSummary], verdicts: Sequence[Verdict]
) -> dict[str, Any]:
    def comparison(test: Any) -> dict[str, Any] | None:
        if test is None:
            return None
        return {
            **dataclasses.asdict(test),
            "p_a": test.p_a,
            "p_b": test.p_b,
            "difference": test.difference,
        }

    return {
        "variants": {
            name: {**dataclasses.asdict(s), "accuracy": s.accuracy}
            for name, s in sorted(summaries.items())
        },
        "verdicts": [
            {
                "champion": v.champion,
                "challenger": v.challenger,
                "decision": v.decision,
                "reasons": list(v.reasons),
                "accuracy": comparison(v.accuracy),
                "errors_5xx": comparison(v.errors),
            }
            for v in verdicts
        ],
    }
