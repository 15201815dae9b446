"""The committed sample data is exactly what data/sample/make_sample.py writes."""

from __future__ import annotations

import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_make_sample_reproduces_the_committed_sample(tmp_path):
    sys.path.insert(0, str(SAMPLE))
    try:
        import make_sample
    finally:
        sys.path.remove(str(SAMPLE))
    make_sample.write_sample(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(SAMPLE)
        for p in SAMPLE.rglob("*")
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    )
    assert made == committed
    for relative in made:
        assert (tmp_path / relative).read_bytes() == (SAMPLE / relative).read_bytes(), relative
    assert sum((SAMPLE / r).stat().st_size for r in committed) < 300_000
