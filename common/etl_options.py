"""The cleaning job's options, written once.

The Glue entry point resolves them with `getResolvedOptions`, the local entry point
builds its command line from them, and the ETL stack builds the job's default arguments
through `glue_arguments`, which refuses a missing or unknown option. Standard library
only: the stack imports it at synth time and Glue ships it beside the job.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

INPUT_FORMATS = ("auto", "csv", "aclimdb")

# The common/ modules the job imports. Glue receives them, with every glue_jobs/ module
# but the entry script, as --extra-py-files; the local twin adds the same to its workers.
GLUE_COMMON_MODULES = ("etl_options", "lake_layout", "review_labels", "text_normalization")


def parse_bool(value: str | bool) -> bool:
    """Glue passes every argument as a string: "true"/"false" (any case), "1"/"0", yes/no."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class EtlOption:
    name: str
    parse: Callable[[str], Any]
    help: str
    # None: required. Paths are required in Glue; the local entry point derives them.
    default: Any = None
    path: bool = False
    choices: tuple[str, ...] | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    def render(self, value: Any) -> str:
        """The value as a Glue job argument string."""
        return str(value).lower() if isinstance(value, bool) else str(value)

    def read(self, text: str) -> Any:
        """A Glue job argument string -> the value, refused when outside the choices."""
        value = self.parse(text)
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{self.name} must be one of {self.choices}, not {text!r}")
        return value


OPTIONS: tuple[EtlOption, ...] = (
    EtlOption(
        "raw_path", str, "raw input: one S3 prefix or file, or several comma-separated", path=True
    ),
    EtlOption("processed_path", str, "processed layer (Parquet)", path=True),
    EtlOption("quarantine_path", str, "quarantine layer (Parquet, with reasons)", path=True),
    EtlOption("curated_path", str, "curated channels train/validation/test (CSV)", path=True),
    EtlOption("summary_path", str, "run summary JSON (counts in, out, per reason)", path=True),
    EtlOption(
        "input_format",
        str,
        "raw layout: csv, aclimdb, or auto",
        default="auto",
        choices=INPUT_FORMATS,
    ),
    EtlOption("min_chars", int, "shorter clean reviews are quarantined (too_short)", default=20),
    # The longest IMDb review is about 13,700 characters after cleaning.
    EtlOption("max_chars", int, "longer clean reviews are quarantined (too_long)", default=20_000),
    EtlOption("validation_percent", float, "share of each label sent to validation", default=10.0),
    EtlOption(
        "test_percent",
        float,
        "share sent to test, for rows without an original split",
        default=10.0,
    ),
    EtlOption(
        "max_quarantine_share",
        float,
        "the run fails above this quarantined share",
        default=0.2,
    ),
    EtlOption(
        "split_from_filename",
        parse_bool,
        "CSV files named train*/test* hold the original train/test split",
        default=False,
    ),
)
BY_NAME = {option.name: option for option in OPTIONS}


def check_option_names(names: Collection[str]) -> None:
    """Refuse a name the table does not know, or a set that lacks a required option."""
    unknown = sorted(set(names) - set(BY_NAME))
    if unknown:
        raise ValueError(f"unknown ETL options: {unknown}")
    missing = sorted(o.name for o in OPTIONS if o.required and o.name not in names)
    if missing:
        raise ValueError(f"missing ETL options: {missing}")


def glue_arguments(values: Mapping[str, Any]) -> dict[str, str]:
    """`--name` -> string for every option; each required one must be given.

    A value the job could not parse back (a word for a number, an unknown input format)
    fails here, at synth time, rather than in the job's first run.
    """
    check_option_names(values.keys())
    rendered = {}
    for name, value in sorted(values.items()):
        option = BY_NAME[name]
        text = option.render(value)
        if not option.path:
            option.read(text)
        rendered[f"--{name}"] = text
    return rendered
