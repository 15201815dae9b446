"""The job's configuration: the option table -> JobConfig, Glue arguments, command line."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
from glue_job_helpers import config

from etl_config import (
    LOCAL_SUMMARY_FILE,
    JobConfig,
    add_local_options,
    config_from_glue_args,
    glue_option_names,
    local_option_values,
)
from etl_options import BY_NAME, OPTIONS, glue_arguments
from lake_layout import LOCAL_LAYERS

GLUE_PATHS = {
    "raw_path": "s3://raw-bucket/",
    "processed_path": "s3://p/processed_reviews/",
    "quarantine_path": "s3://q/quarantined_reviews/",
    "curated_path": "s3://c/curated_reviews/",
    "summary_path": "s3://p/etl-run-summaries/latest.json",
}


@pytest.mark.parametrize(
    "options",
    [
        {"input_format": "json"},
        {"min_chars": 50, "max_chars": 10},
        {"validation_percent": 60, "test_percent": 40},
        {"test_percent": -1},
        {"max_quarantine_share": 1.5},
    ],
)
def test_config_rejects_nonsense(options):
    with pytest.raises(ValueError):
        config(**options)


def test_glue_arguments_become_a_config():
    args = {
        "JOB_NAME": "clean",
        "raw_path": "s3://raw-bucket/raw/train.csv.gz, s3://raw-bucket/raw/test.csv.gz",
        "processed_path": "s3://p/processed/",
        "quarantine_path": "s3://q/quarantine/",
        "curated_path": "s3://c/curated/",
        "summary_path": "s3://c/summary/summary.json",
        "min_chars": "5",
        "validation_percent": "12.5",
        "split_from_filename": "true",
    }
    cfg = config_from_glue_args(args)
    assert cfg.input_paths == (
        "s3://raw-bucket/raw/train.csv.gz",
        "s3://raw-bucket/raw/test.csv.gz",
    )
    assert (cfg.min_chars, cfg.validation_percent, cfg.split_from_filename) == (5, 12.5, True)
    # absent options keep the defaults the local twin uses
    assert (cfg.max_chars, cfg.test_percent, cfg.input_format) == (20_000, 10.0, "auto")
    assert (
        config_from_glue_args({**args, "split_from_filename": "false"}).split_from_filename is False
    )


def test_job_config_fields_are_the_option_table():
    fields = {field.name for field in dataclasses.fields(JobConfig)}
    assert fields == {o.name for o in OPTIONS} - {"raw_path"} | {"input_paths"}


def test_defaults_come_from_the_table():
    cfg = config()
    for option in OPTIONS:
        if not option.required:
            assert getattr(cfg, option.name) == option.default, option.name
    assert cfg.thresholds() == {
        "min_chars": 20,
        "max_chars": 20_000,
        "validation_percent": 10.0,
        "test_percent": 10.0,
        "max_quarantine_share": 0.2,
    }


def test_local_layout_is_one_folder_per_layer_and_a_summary():
    cfg = JobConfig.for_output_dir(["/in/a.csv", "/in/b.csv"], "/out/")
    assert cfg.input_paths == ("/in/a.csv", "/in/b.csv")
    assert {layer: getattr(cfg, f"{layer}_path") for layer in LOCAL_LAYERS} == {
        "processed": "/out/processed",
        "quarantine": "/out/quarantine",
        "curated": "/out/curated",
    }
    assert cfg.summary_path == f"/out/{LOCAL_SUMMARY_FILE}" == "/out/summary.json"


def test_what_the_stack_renders_the_job_reads_back():
    """etl_options.glue_arguments (the stack) -> getResolvedOptions -> JobConfig."""
    values = {
        **GLUE_PATHS,
        "input_format": "csv",
        "split_from_filename": True,
        "min_chars": 7,
        "max_chars": 9_000,
        "validation_percent": 12.5,
        "test_percent": 5.0,
        "max_quarantine_share": 0.3,
    }
    rendered = glue_arguments(values)
    resolved = {name.removeprefix("--"): value for name, value in rendered.items()}
    assert all(isinstance(value, str) for value in resolved.values())
    cfg = config_from_glue_args({"JOB_NAME": "clean", **resolved})
    assert cfg == JobConfig.from_values({**values, "raw_path": ("s3://raw-bucket/",)})
    assert (cfg.split_from_filename, cfg.min_chars, cfg.max_quarantine_share) == (True, 7, 0.3)


def test_glue_is_asked_for_required_options_and_the_optional_ones_given():
    required = [o.name for o in OPTIONS if o.required]
    assert glue_option_names(["job.py", "--JOB_NAME", "x"]) == ["JOB_NAME", *required]
    argv = ["job.py", "--max_chars", "9", "--job-bookmark-option", "job-bookmark-disable"]
    assert glue_option_names(argv) == ["JOB_NAME", *required, "max_chars"]
    every = [arg for o in OPTIONS for arg in (f"--{o.name}", "1")]
    assert glue_option_names(["job.py", *every]) == ["JOB_NAME", *(o.name for o in OPTIONS)]


@pytest.mark.parametrize(
    "args",
    [{"input_format": "json"}, {"min_chars": "twenty"}, {"split_from_filename": "maybe"}],
)
def test_glue_arguments_that_make_no_sense_fail(args):
    with pytest.raises(ValueError):
        config_from_glue_args({**GLUE_PATHS, **args})


def test_glue_own_arguments_pass_by_but_an_unknown_option_fails():
    cfg = config_from_glue_args({"JOB_NAME": "x", "TempDir": "s3://t/", **GLUE_PATHS})
    assert cfg.input_paths == ("s3://raw-bucket/",)
    with pytest.raises(ValueError, match="unknown ETL options"):
        JobConfig.from_values({**GLUE_PATHS, "surprise": "1"})


def test_a_required_option_cannot_be_left_out():
    with pytest.raises(ValueError, match=r"missing ETL options: \['curated_path'\]"):
        JobConfig.from_values({k: v for k, v in GLUE_PATHS.items() if k != "curated_path"})


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_local_options(parser)
    return parser.parse_args(argv)


def test_local_options_are_the_table_in_both_spellings():
    defaults = local_option_values(_parse())
    assert defaults == {o.name: o.default for o in OPTIONS if not o.path}
    dashes = _parse("--min-chars", "5", "--validation-percent", "2.5", "--input-format", "csv")
    underscores = _parse("--min_chars", "5", "--validation_percent", "2.5", "--input_format", "csv")
    assert local_option_values(dashes) == local_option_values(underscores)
    assert (dashes.min_chars, dashes.validation_percent) == (5, 2.5)
    with pytest.raises(SystemExit):
        _parse("--input-format", "json")
    with pytest.raises(SystemExit):
        _parse("--processed-path", "/elsewhere")  # paths derive from --output locally


def test_split_from_filename_is_a_flag_that_also_takes_a_value():
    assert _parse().split_from_filename is BY_NAME["split_from_filename"].default is False
    assert _parse("--split-from-filename").split_from_filename is True
    assert _parse("--split_from_filename", "false").split_from_filename is False
    assert _parse("--split-from-filename", "TRUE").split_from_filename is True
