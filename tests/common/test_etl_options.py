"""The ETL option table: what the stack passes to the Glue job, and how it is spelled."""

from __future__ import annotations

import pytest
from module_imports import non_standard_imports

import etl_options
from etl_options import BY_NAME, INPUT_FORMATS, OPTIONS, glue_arguments, parse_bool

# What the ETL stack passes: every option, as the stage configuration holds them.
STACK_VALUES = {
    "raw_path": "s3://raw/",
    "processed_path": "s3://processed/processed_reviews/",
    "quarantine_path": "s3://quarantine/quarantined_reviews/",
    "curated_path": "s3://curated/curated_reviews/",
    "summary_path": "s3://processed/etl-run-summaries/latest.json",
    "input_format": "auto",
    "split_from_filename": False,
    "min_chars": 20,
    "max_chars": 20_000,
    "validation_percent": 10.0,
    "test_percent": 10.0,
    "max_quarantine_share": 0.2,
}


def test_the_stack_values_render_as_glue_argument_strings():
    rendered = glue_arguments(STACK_VALUES)
    assert rendered == {
        "--curated_path": "s3://curated/curated_reviews/",
        "--input_format": "auto",
        "--max_chars": "20000",
        "--max_quarantine_share": "0.2",
        "--min_chars": "20",
        "--processed_path": "s3://processed/processed_reviews/",
        "--quarantine_path": "s3://quarantine/quarantined_reviews/",
        "--raw_path": "s3://raw/",
        "--split_from_filename": "false",
        "--summary_path": "s3://processed/etl-run-summaries/latest.json",
        "--test_percent": "10.0",
        "--validation_percent": "10.0",
    }
    assert list(rendered) == sorted(rendered)  # stable order: no template churn


def test_every_rendered_value_reads_back_as_given():
    rendered = glue_arguments(STACK_VALUES)
    for option in OPTIONS:
        assert option.read(rendered[f"--{option.name}"]) == STACK_VALUES[option.name]


def test_options_left_out_keep_their_defaults_and_paths_are_required():
    paths = {name: value for name, value in STACK_VALUES.items() if BY_NAME[name].path}
    assert set(glue_arguments(paths)) == {f"--{name}" for name in paths}
    assert {o.name for o in OPTIONS if o.required} == {o.name for o in OPTIONS if o.path}
    with pytest.raises(ValueError, match=r"missing ETL options: \['summary_path'\]"):
        glue_arguments({k: v for k, v in paths.items() if k != "summary_path"})
    with pytest.raises(ValueError, match=r"unknown ETL options: \['job_bookmarks'\]"):
        glue_arguments({**paths, "job_bookmarks": True})


@pytest.mark.parametrize(
    ("name", "value"),
    [("input_format", "json"), ("min_chars", "many"), ("split_from_filename", "maybe")],
)
def test_a_value_the_job_could_not_read_fails_at_synth(name, value):
    with pytest.raises(ValueError):
        glue_arguments({**STACK_VALUES, name: value})


def test_each_default_survives_a_round_trip():
    for option in OPTIONS:
        if not option.required:
            assert option.read(option.render(option.default)) == option.default, option.name


def test_the_table_is_consistent():
    assert len(BY_NAME) == len(OPTIONS)
    assert BY_NAME["input_format"].choices == INPUT_FORMATS == ("auto", "csv", "aclimdb")
    assert all(option.help for option in OPTIONS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("TRUE", True), (" 1 ", True), ("yes", True), (True, True)]
    + [("false", False), ("False", False), ("0", False), ("no", False), ("", False)]
    + [(False, False)],
)
def test_parse_bool_reads_what_glue_and_people_write(text, expected):
    assert parse_bool(text) is expected


def test_parse_bool_refuses_anything_else():
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool("maybe")


def test_it_imports_only_the_standard_library():
    """The stack imports it at synth time and Glue ships it beside the job."""
    assert non_standard_imports(etl_options) == set()
