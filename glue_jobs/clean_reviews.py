"""Glue ETL job: raw movie reviews -> processed, quarantine and curated layers.

The Glue script asset. It holds only the two entry points; the job itself is in its
sibling modules, which Glue receives as --extra-py-files (with `common/`'s):

* ``main()`` runs on AWS Glue; it alone imports ``awsglue``.
* ``local_main()`` runs the same pipeline on local Spark:
  ``python glue_jobs/clean_reviews.py --local --input PATH [PATH ...] --output DIR``.

Every input record ends up exactly once either in ``processed/`` (clean, labelled,
deduplicated) or in ``quarantine/`` with a ``reason``; the summary records the counts
and the run fails when too large a share of the input is quarantined.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

# Run as a file, Python puts only glue_jobs/ on the path. The shared modules live in
# common/ in the repository, and flat beside this script in Glue.
_COMMON = Path(__file__).resolve().parent.parent / "common"
if _COMMON.is_dir() and str(_COMMON) not in sys.path:
    sys.path.insert(1, str(_COMMON))

from etl_config import (  # noqa: E402
    JobConfig,
    add_local_options,
    config_from_glue_args,
    glue_option_names,
    local_option_values,
)
from etl_local_spark import build_local_spark  # noqa: E402
from etl_pipeline import run  # noqa: E402
from etl_summary import QuarantineThresholdError  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """AWS Glue entry point (Glue 5.x: Spark 3.5, Python 3.11); ``argv`` as sys.argv."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    argv = sys.argv if argv is None else argv
    args = getResolvedOptions(argv, glue_option_names(argv))
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    summary = run(glue_context.spark_session, config_from_glue_args(args))
    print(json.dumps(summary))
    job.commit()


def _local_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clean_reviews.py",
        description="Run the Glue job on local Spark: "
        "clean_reviews.py --local --input PATH [PATH ...] --output DIR [options]. "
        "In AWS Glue the job takes its options as job arguments (--raw_path, ...).",
    )
    parser.add_argument("--local", action="store_true", help="run on local Spark (required)")
    parser.add_argument(
        "--input",
        nargs="+",
        required=True,
        help="CSV file(s), or a directory with CSV files or an aclImdb tree",
    )
    parser.add_argument(
        "--output", required=True, help="directory for processed/, quarantine/, curated/"
    )
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    add_local_options(parser)
    return parser


def _absolute(path: str) -> str:
    return path if "://" in path else str(Path(path).resolve())


def local_main(argv: list[str] | None = None) -> int:
    """``--local --input PATH [PATH ...] --output DIR [options]``: run on local Spark.

    Returns the exit code: 0, or 3 when the quarantined share is over the threshold.
    """
    parser = _local_parser()
    args = parser.parse_args(argv)
    if not args.local:
        parser.error("outside AWS Glue this script runs with --local")
    config = JobConfig.for_output_dir(
        [_absolute(p) for p in args.input], _absolute(args.output), **local_option_values(args)
    )
    spark = build_local_spark(master=args.master, shuffle_partitions=args.shuffle_partitions)
    try:
        summary = run(spark, config)
    except QuarantineThresholdError as error:
        print(json.dumps(error.summary, indent=2))
        print(f"clean_reviews: FAILED: {error}", file=sys.stderr)
        return 3
    print(json.dumps(summary, indent=2))
    return 0


def _in_glue() -> bool:
    return importlib.util.find_spec("awsglue") is not None


if __name__ == "__main__":
    # Glue starts the script with its job arguments and no --local; anywhere else the
    # local command line answers, --help included.
    if "--local" in sys.argv[1:] or not _in_glue():
        sys.exit(local_main(sys.argv[1:]))
    main()
