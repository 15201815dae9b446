"""The local twin's SparkSession: laptop-sized, with Glue's extra Python files on its workers.

In Glue, --extra-py-files puts the job's modules flat on every worker's path; here
`SparkContext.addPyFile` does the same with the same files, so code that runs on a
worker (the normaliser UDF) imports exactly what it imports in Glue.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from etl_hadoop import hadoop_fs
from etl_options import GLUE_COMMON_MODULES

GLUE_JOBS = Path(__file__).resolve().parent
COMMON = GLUE_JOBS.parent / "common"
ENTRY_SCRIPT = "clean_reviews.py"


def shipped_modules() -> list[Path]:
    """The files Glue receives as --extra-py-files: every module of glue_jobs/ but the
    entry script, and GLUE_COMMON_MODULES from common/."""
    jobs = sorted(p for p in GLUE_JOBS.glob("*.py") if p.name != ENTRY_SCRIPT)
    return [*jobs, *(COMMON / f"{name}.py" for name in GLUE_COMMON_MODULES)]


def build_local_spark(
    *, master: str = "local[2]", shuffle_partitions: int = 4, app_name: str = "clean-reviews"
) -> SparkSession:
    """A laptop-sized SparkSession whose Python workers import the job's modules."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Workers must run this interpreter (the venv), not whatever "python3" is on the path.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for module in shipped_modules():
        spark.sparkContext.addPyFile(str(module))
    # No .crc side files next to local outputs (S3 has none either).
    local_fs, _ = hadoop_fs(spark, "file:///")
    local_fs.setWriteChecksum(False)
    return spark
