"""One run's configuration, built from the option table in `etl_options`.

The table names every option, its parser, default and help; this module turns it into
the `JobConfig` both entry points run with: from Glue's resolved arguments, or from the
local command line (whose options it also builds). Nothing here lists the options again.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from etl_options import (
    BY_NAME,
    INPUT_FORMATS,
    OPTIONS,
    EtlOption,
    check_option_names,
    parse_bool,
)
from lake_layout import LOCAL_LAYERS

# Where the local twin writes the run summary, beside its LOCAL_LAYERS folders.
LOCAL_SUMMARY_FILE = "summary.json"
# The paths option holding the raw input; JobConfig keeps it as a tuple of paths.
RAW_PATH = "raw_path"


@dataclass(frozen=True)
class JobConfig:
    """Everything one run needs. Build it with `from_values`, which applies the table's
    defaults and parsers; the fields mirror the table (a test keeps them in step)."""

    input_paths: tuple[str, ...]
    processed_path: str
    quarantine_path: str
    curated_path: str
    summary_path: str
    input_format: str
    min_chars: int
    max_chars: int
    validation_percent: float
    # Applies only to rows without an original split (a plain CSV).
    test_percent: float
    max_quarantine_share: float
    split_from_filename: bool

    def __post_init__(self) -> None:
        if not self.input_paths:
            raise ValueError("at least one input path is required")
        if self.input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {INPUT_FORMATS}")
        if not 0 <= self.min_chars <= self.max_chars:
            raise ValueError("need 0 <= min_chars <= max_chars")
        if self.validation_percent < 0 or self.test_percent < 0:
            raise ValueError("validation_percent and test_percent must be >= 0")
        if self.validation_percent + self.test_percent >= 100:
            raise ValueError("validation_percent + test_percent must stay below 100")
        if not 0 <= self.max_quarantine_share <= 1:
            raise ValueError("max_quarantine_share is a fraction between 0 and 1")

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> JobConfig:
        """Option name -> value (a string as Glue passes it, or already typed).

        Absent options take the table's default; an unknown or missing required one fails.
        ``raw_path`` may list several inputs, comma-separated (e.g. two CSV files).
        """
        check_option_names(values.keys())
        parsed = {option.name: _value(option, values) for option in OPTIONS}
        raw = parsed.pop(RAW_PATH)
        paths = raw.split(",") if isinstance(raw, str) else raw
        return cls(input_paths=tuple(p.strip() for p in paths if p.strip()), **parsed)

    @classmethod
    def for_output_dir(cls, input_paths: Sequence[str], output: str, **options: Any) -> JobConfig:
        """Local layout: OUTPUT/{processed,quarantine,curated}/ and OUTPUT/summary.json."""
        root = output.rstrip("/")
        layers = {f"{layer}_path": f"{root}/{layer}" for layer in LOCAL_LAYERS}
        return cls.from_values(
            {
                RAW_PATH: tuple(input_paths),
                **layers,
                "summary_path": f"{root}/{LOCAL_SUMMARY_FILE}",
                **options,
            }
        )

    def thresholds(self) -> dict[str, Any]:
        """The numeric options, as the run summary reports them."""
        return {
            option.name: getattr(self, option.name)
            for option in OPTIONS
            if option.parse in (int, float)
        }


def _value(option: EtlOption, values: Mapping[str, Any]) -> Any:
    if option.name not in values:
        return option.default
    value = values[option.name]
    if not isinstance(value, str) or option.name == RAW_PATH:
        return value
    return option.read(value)


# ------------------------------------------------------------------------------- Glue


def glue_option_names(argv: Sequence[str]) -> list[str]:
    """The names to hand `getResolvedOptions`: every required option, and the optional
    ones present in ``argv`` (it fails on a listed option that is absent)."""
    return ["JOB_NAME", *(o.name for o in OPTIONS if o.required or f"--{o.name}" in argv)]


def config_from_glue_args(args: Mapping[str, str]) -> JobConfig:
    """Resolved Glue arguments -> JobConfig; Glue's own (JOB_NAME, ...) are ignored."""
    return JobConfig.from_values({name: value for name, value in args.items() if name in BY_NAME})


# ---------------------------------------------------------------------- local command line


def add_local_options(parser: argparse.ArgumentParser) -> None:
    """Every non-path option as ``--name-with-dashes`` and ``--name_as_in_glue``.

    The paths are not options locally: the local entry point derives them from --output.
    """
    for option in OPTIONS:
        if option.path:
            continue
        kind: dict[str, Any] = {"type": option.parse, "choices": option.choices}
        if option.parse is parse_bool:
            # A bare flag means true; "--split-from-filename false" reads too.
            kind = {"type": parse_bool, "nargs": "?", "const": True}
        parser.add_argument(
            f"--{option.name.replace('_', '-')}",
            f"--{option.name}",
            default=option.default,
            help=f"{option.help} (default: %(default)s)",
            **kind,
        )


def local_option_values(args: argparse.Namespace) -> dict[str, Any]:
    """The table's options from a namespace that `add_local_options` filled."""
    return {option.name: getattr(args, option.name) for option in OPTIONS if not option.path}
