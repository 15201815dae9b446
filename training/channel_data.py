"""The files of a training channel: which ones hold data, and each one as reviews and labels.

A channel holds CSV, CSV.gz or Parquet files (in subfolders too) with a ``review`` column
and a ``sentiment`` or ``label`` column; both label columns go through the one label table
(``review_labels.parse_label``) that the Glue job uses, so a row the ETL keeps is a row
training accepts. pandas is imported where it is used: importing train.py stays cheap.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from review_labels import accepted_spellings, parse_label

# Either column may carry the label; both are read with the same table and must agree.
LABEL_COLUMNS = ("sentiment", "label")
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")
_IGNORED_PREFIXES = ("_", ".")


class DatasetError(Exception):
    """A channel is missing, empty or malformed; the message says which and why."""


def data_files(channel_dir: Path) -> list[Path]:
    """The data files under a channel directory, in a stable order."""
    files = []
    for path in sorted(channel_dir.rglob("*")):
        if not path.is_file() or path.name.startswith(_IGNORED_PREFIXES):
            continue  # _SUCCESS, .part-0000.crc and other writer bookkeeping
        if path.name.lower().endswith(DATA_SUFFIXES):
            files.append(path)
    return files


def _read_file(path: Path) -> Any:  # pandas.DataFrame
    import pandas as pd

    if path.name.lower().endswith(".parquet"):
        # The SageMaker scikit-learn image is not guaranteed to ship a Parquet engine.
        if importlib.util.find_spec("pyarrow") is None:
            raise DatasetError(
                f"{path}: Parquet input needs pyarrow, which this environment lacks; "
                "write the channel as CSV (optionally gzip) instead"
            )
        return pd.read_parquet(path)
    # Everything as text: labels are validated below, and a review such as "NA" stays a review.
    return pd.read_csv(path, dtype=str, keep_default_na=False, compression="infer")


def _labels(frame: Any, columns: dict[str, Any], path: Path) -> Any:  # pandas.Series of 0/1
    import pandas as pd

    candidates = []
    for name in LABEL_COLUMNS:
        if name in columns:
            raw = frame[columns[name]].astype(str)
            candidates.append((name, raw.map(parse_label), raw))
    if not candidates:
        raise DatasetError(
            f"{path}: no label column; expected 'sentiment' (positive/negative) or "
            f"'label' (1/0), found columns {list(frame.columns)}"
        )
    for name, mapped, raw in candidates:
        bad = mapped.isna()
        if bad.any():
            examples = sorted(set(raw[bad].head(5)))
            raise DatasetError(
                f"{path}: {int(bad.sum())} rows have an invalid '{name}' value, "
                f"e.g. {examples}; expected {accepted_spellings()}"
            )
    if len(candidates) == 2 and not candidates[0][1].equals(candidates[1][1]):
        raise DatasetError(f"{path}: 'sentiment' and 'label' disagree on some rows")
    return pd.Series(candidates[0][1].astype("int8").to_numpy(), index=frame.index)


def read_reviews(path: Path, channel: str) -> Any:  # pandas.DataFrame or None
    """One data file as columns ``review`` (text) and ``label`` (0/1); None without rows."""
    import pandas as pd

    try:
        frame = _read_file(path)
    except DatasetError:
        raise
    except Exception as exc:  # pandas raises many types for a bad file
        raise DatasetError(
            f"channel '{channel}': cannot read {path}: {type(exc).__name__}: {exc}"
        ) from exc
    if frame.empty:
        return None  # a header-only part file from a distributed writer
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "review" not in columns:
        raise DatasetError(
            f"channel '{channel}': {path} has no 'review' column (found {list(frame.columns)})"
        )
    labels = _labels(frame, columns, path)
    reviews = frame[columns["review"]].fillna("").astype(str)
    return pd.DataFrame({"review": reviews, "label": labels})
