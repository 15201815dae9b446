"""Driver-side file operations through Hadoop's FileSystem.

Hadoop, not Python's file API, so that s3:// in Glue goes through EMRFS and its
security configuration (KMS) exactly as Spark's own reads and writes do, and local
paths behave the same in the local twin.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession


def hadoop_fs(spark: SparkSession, path: str) -> tuple[Any, Any]:
    """(FileSystem, Path) Java objects for ``path``."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "the SparkContext was stopped"
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), jpath


def glob_files(spark: SparkSession, pattern: str) -> list[str]:
    """The files (not directories) a glob matches, as qualified paths, sorted."""
    fs, jpath = hadoop_fs(spark, pattern)
    statuses = fs.globStatus(jpath)
    if statuses is None:
        return []
    return sorted(s.getPath().toString() for s in statuses if s.isFile())


def glob_matches(spark: SparkSession, pattern: str) -> bool:
    # len() of the Java array is one gateway call, not one per file: an aclImdb tree
    # holds 50,000 of them.
    fs, jpath = hadoop_fs(spark, pattern)
    statuses = fs.globStatus(jpath)
    return statuses is not None and len(statuses) > 0


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write one small UTF-8 file (the run summary), replacing any previous one."""
    fs, jpath = hadoop_fs(spark, path)
    stream = fs.create(jpath, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def starts_with(spark: SparkSession, path: str, prefix: bytes) -> bool:
    """Whether the file's content (decompressed, for .gz and other Hadoop codecs) starts
    with ``prefix``; reads only that many bytes."""
    fs, jpath = hadoop_fs(spark, path)
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "the SparkContext was stopped"
    codecs = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(
        spark.sparkContext._jsc.hadoopConfiguration()
    )
    codec = codecs.getCodec(jpath)
    stream = fs.open(jpath)
    try:
        if codec is not None:
            stream = codec.createInputStream(stream)
        # all() stops at the first byte that differs: no more is read.
        return all(stream.read() == expected for expected in prefix)
    finally:
        stream.close()
