"""Production variants of the local endpoint: which models, which weights, who answers.

SageMaker sends each request to one production variant at random, in proportion to the
variants' weights, unless the caller names one (`TargetVariant`). `VariantRouter` does
the same with a seeded random generator, so a local A/B session is reproducible.

    --variant champion=build/model/model:0.9 --variant challenger=build/weak/model:0.1
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections.abc import Sequence
from pathlib import Path

# SageMaker's VariantName pattern: letters, digits and inner hyphens, at most 63.
_VARIANT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


@dataclasses.dataclass(frozen=True)
class VariantSpec:
    name: str
    model_dir: Path
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not _VARIANT_NAME.fullmatch(self.name):
            raise ValueError(
                f"variant name {self.name!r}: letters, digits and inner hyphens, at most 63"
            )
        if not math.isfinite(self.weight) or self.weight < 0:
            raise ValueError(f"variant {self.name}: weight must be a number >= 0")


def parse_variant(text: str) -> VariantSpec:
    """`name=model_dir:weight` (weight optional, default 1) as `--variant` takes it."""
    name, equals, rest = text.partition("=")
    if not equals or not rest:
        raise ValueError(f"{text!r}: expected name=model_dir[:weight]")
    model_dir, colon, weight_text = rest.rpartition(":")
    try:
        weight = float(weight_text)
    except ValueError:
        # No weight given (or the colon belongs to the path): the whole rest is the path.
        model_dir, weight = rest, 1.0
    if not model_dir:
        raise ValueError(f"{text!r}: no model directory")
    return VariantSpec(name.strip(), Path(model_dir), weight)


class VariantRouter:
    """Picks a variant per request by weight (seeded), or the one a caller pins."""

    def __init__(self, variants: Sequence[VariantSpec], seed: int | None = None) -> None:
        names = [variant.name for variant in variants]
        if not names:
            raise ValueError("an endpoint needs at least one production variant")
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique: {names}")
        total = sum(variant.weight for variant in variants)
        if total <= 0:
            raise ValueError("at least one variant needs a weight above 0")
        self.names = tuple(names)
        self.weights = tuple(variant.weight for variant in variants)
        self._cumulative = [sum(self.weights[: index + 1]) for index in range(len(names))]
        self._random = random.Random(seed)  # noqa: S311 (traffic routing, not security)

    def shares(self) -> dict[str, float]:
        total = sum(self.weights)
        return {name: weight / total for name, weight in zip(self.names, self.weights, strict=True)}

    def choose(self, target: str | None = None) -> str:
        """The variant answering one request; KeyError for a pinned name not served here."""
        if target is not None:
            if target not in self.names:
                raise KeyError(target)
            return target
        # choices() would do the same; one draw per request keeps the stream simple to
        # reason about (n requests consume exactly n numbers of the seeded generator).
        point = self._random.random() * self._cumulative[-1]
        for name, bound in zip(self.names, self._cumulative, strict=True):
            if point < bound:
                return name
        return self.names[-1]
