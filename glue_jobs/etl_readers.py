"""Raw input -> RAW_SCHEMA rows: CSV files or an aclImdb tree, on S3 or local disk.

Every record of the input becomes exactly one row, whatever is wrong with it: the
transforms decide what to keep, and quarantine the rest with a reason. Bytes are read
one character per byte and decoded by `etl_raw_text`'s rule, so a byte that is not
UTF-8 is never silently replaced.
"""

from __future__ import annotations

import functools

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the PySpark convention)
from pyspark.sql import types as T  # noqa: N812

from etl_config import JobConfig
from etl_hadoop import glob_files, glob_matches, hadoop_fs, starts_with
from etl_raw_text import BYTE_CHARSET, absorbed_lines, decode_fields

# The columns both readers produce; every transform starts from this schema.
RAW_SCHEMA = T.StructType(
    [
        T.StructField("raw_review", T.StringType()),
        T.StructField("raw_sentiment", T.StringType()),
        # The whole record as read, set only when the CSV parser could not parse it.
        T.StructField("raw_record", T.StringType()),
        T.StructField("source_split", T.StringType(), nullable=False),
        T.StructField("source_file", T.StringType(), nullable=False),
        # 0-based record index within source_file (records, not lines: fields may hold
        # newlines).
        T.StructField("source_row", T.LongType(), nullable=False),
        T.StructField("source_id", T.StringType()),
        T.StructField("rating", T.IntegerType()),
        # utf-8 or windows-1252 (see etl_raw_text); null when the bytes are neither.
        T.StructField("source_encoding", T.StringType()),
        # CSV only: input lines an unterminated quote swallowed into this record.
        T.StructField("absorbed_lines", T.IntegerType()),
    ]
)

# RFC 4180: fields quoted with '"' and a '"' inside a field doubled, which is also how
# the widely shared IMDb CSV files are written. Fields may span lines. The header is
# read as UTF-8; the records byte for byte (BYTE_CHARSET), which splits them exactly as
# UTF-8 would, since no byte of a multi-byte UTF-8 character is ASCII.
CSV_READ_OPTIONS = {
    "header": "true",
    "multiLine": "true",
    "quote": '"',
    "escape": '"',
    "encoding": "UTF-8",
    "mode": "PERMISSIVE",
}
CORRUPT_COLUMN = "_corrupt_record"
UTF8_BOM = b"\xef\xbb\xbf"

_ACLIMDB_PATH = r"/(train|test)/(pos|neg)/([^/]*?)(?:_(\d+))?\.txt$"
# Directories, not files: a glob over 50,000 files would hand Spark 50,000 input paths;
# four directories are listed on the driver.
_ACLIMDB_DIRS = "{train,test}/{pos,neg}"


def _is_csv_name(path: str) -> bool:
    return path.lower().endswith((".csv", ".csv.gz"))


def resolve_input(
    spark: SparkSession, paths: tuple[str, ...], input_format: str
) -> tuple[str, list[str]]:
    """Return (format, paths for Spark): CSV files, or aclImdb directory globs.

    Uses the Hadoop FileSystem, so it behaves the same on S3 in Glue and on local disk.
    A directory is searched for ``*.csv``/``*.csv.gz`` at its top level and one level
    down, and for an aclImdb tree (``train|test/pos|neg/*.txt``) at the same depths;
    other files (README, aclImdb ``unsup/``, vocabularies) are ignored.
    """
    csv_files: list[str] = []
    acl_patterns: list[str] = []
    for path in paths:
        fs, jpath = hadoop_fs(spark, path)
        if not fs.exists(jpath):
            raise FileNotFoundError(f"input path does not exist: {path}")
        if fs.getFileStatus(jpath).isFile():
            if not _is_csv_name(path) and input_format != "csv":
                raise ValueError(f"input file is not .csv or .csv.gz: {path}")
            csv_files.append(fs.makeQualified(jpath).toString())
            continue
        root = path.rstrip("/")
        for prefix in (root, f"{root}/*"):
            for suffix in ("*.csv", "*.csv.gz"):
                csv_files += glob_files(spark, f"{prefix}/{suffix}")
            pattern = f"{prefix}/{_ACLIMDB_DIRS}"
            if glob_matches(spark, f"{pattern}/*.txt"):
                acl_patterns.append(pattern)
    csv_files = sorted(set(csv_files))
    if input_format == "auto":
        if csv_files and acl_patterns:
            raise ValueError(
                "input holds both CSV files and an aclImdb tree; pass input_format csv or aclimdb"
            )
        input_format = "csv" if csv_files else "aclimdb"
    found = csv_files if input_format == "csv" else acl_patterns
    if not found:
        raise FileNotFoundError(f"no {input_format} input found under {', '.join(paths)}")
    return input_format, found


def _source_split_from_name(path: Column) -> Column:
    name = F.lower(F.regexp_extract(path, r"([^/]+)$", 1))
    return (
        F.when(name.startswith("train"), F.lit("train"))
        .when(name.startswith("test"), F.lit("test"))
        .otherwise(F.lit("unsplit"))
    )


def _csv_header(spark: SparkSession, path: str) -> tuple[list[str], dict[str, str]]:
    """The first file's header, and lower-cased name -> column for the two we need."""
    header = spark.read.options(**CSV_READ_OPTIONS).csv(path).columns
    names = {name.strip().lower(): name for name in header}
    missing = {"review", "sentiment"} - names.keys()
    if missing:
        raise ValueError(f"CSV header {header} lacks column(s) {sorted(missing)}: {path}")
    return header, names


def read_csv_reviews(
    spark: SparkSession, files: list[str], *, split_from_filename: bool = False
) -> DataFrame:
    """CSV files with a ``review`` and a ``sentiment`` column -> RAW_SCHEMA rows.

    A record the parser cannot fit to the header (an unquoted comma, a missing column)
    is kept whole in ``raw_record`` instead of being dropped or half-read; a record an
    unterminated quote ran into says how many lines it swallowed (``absorbed_lines``).
    """
    header, names = _csv_header(spark, files[0])
    split = (
        _source_split_from_name(F.col("source_file")) if split_from_filename else F.lit("unsplit")
    )

    def read_one(path: str) -> DataFrame:
        # Read byte for byte, a UTF-8 byte order mark is three characters of the first
        # column's name: the schema says so, for Spark's header check to match.
        bom = UTF8_BOM.decode(BYTE_CHARSET) if starts_with(spark, path, UTF8_BOM) else ""
        in_file = [bom + header[0], *header[1:]]
        schema = T.StructType(
            [T.StructField(name, T.StringType()) for name in [*in_file, CORRUPT_COLUMN]]
        )
        columns = {key: in_file[header.index(name)] for key, name in names.items()}
        # One read per file: a multiLine CSV file is never split, so each file is exactly
        # one partition and the low 33 bits of monotonically_increasing_id (the position
        # within the partition) are the record index within the file.
        return (
            spark.read.schema(schema)
            .options(**CSV_READ_OPTIONS)
            .option("encoding", BYTE_CHARSET)
            .option("columnNameOfCorruptRecord", CORRUPT_COLUMN)
            # Every file's header must match the first one's by name, so a file with other
            # or reordered columns fails loudly instead of being read by position.
            .option("enforceSchema", "false")
            .csv(path)
            .select(
                F.col(f"`{columns['review']}`").alias("raw_review"),
                F.col(f"`{columns['sentiment']}`").alias("raw_sentiment"),
                F.col(CORRUPT_COLUMN).alias("raw_record"),
                F.col("_metadata.file_path").alias("source_file"),
                F.monotonically_increasing_id().bitwiseAND((1 << 33) - 1).alias("source_row"),
            )
        )

    raw = functools.reduce(DataFrame.unionByName, map(read_one, files))
    (review, sentiment, record), encoding = decode_fields(
        F.col("raw_review"), F.col("raw_sentiment"), F.col("raw_record")
    )
    return raw.select(
        review.alias("raw_review"),
        sentiment.alias("raw_sentiment"),
        record.alias("raw_record"),
        split.alias("source_split"),
        "source_file",
        "source_row",
        F.lit(None).cast("string").alias("source_id"),
        F.lit(None).cast("int").alias("rating"),
        encoding.alias("source_encoding"),
        absorbed_lines(record, [review, sentiment]).alias("absorbed_lines"),
    )


def read_aclimdb_reviews(spark: SparkSession, patterns: list[str]) -> DataFrame:
    """aclImdb ``{train,test}/{pos,neg}/<id>_<rating>.txt`` files -> RAW_SCHEMA rows.

    ``patterns`` are globs of the label directories, as ``resolve_input`` returns them.
    An empty file is a row too (quarantined as ``empty_text``): Spark's file sources
    skip zero-length files, Hadoop's whole-file input format does not, hence
    ``binaryFiles`` (bytes, so the encoding rule sees them undecoded). It also packs
    small files into few partitions, where the file source makes about one task per 32
    files.
    """
    files = spark.sparkContext.binaryFiles(
        ",".join(f"{pattern}/*.txt" for pattern in patterns),
        minPartitions=max(1, 4 * spark.sparkContext.defaultParallelism),
    ).map(lambda item: (item[0], item[1].decode(BYTE_CHARSET)))
    path = F.col("source_file")

    def part(group: int) -> Column:
        return F.regexp_extract(path, _ACLIMDB_PATH, group)

    rating = part(4)
    (review,), encoding = decode_fields(F.col("raw_bytes"))
    return spark.createDataFrame(files, "source_file string, raw_bytes string").select(
        review.alias("raw_review"),
        part(2).alias("raw_sentiment"),
        F.lit(None).cast("string").alias("raw_record"),
        part(1).alias("source_split"),
        "source_file",
        F.lit(0).cast("long").alias("source_row"),
        part(3).alias("source_id"),
        F.when(rating != "", rating.cast("int")).alias("rating"),
        encoding.alias("source_encoding"),
        F.lit(None).cast("int").alias("absorbed_lines"),
    )


def read_raw(spark: SparkSession, config: JobConfig) -> tuple[str, DataFrame]:
    """(the format found, RAW_SCHEMA rows) for the configured input."""
    input_format, found = resolve_input(spark, config.input_paths, config.input_format)
    if input_format == "csv":
        return input_format, read_csv_reviews(
            spark, found, split_from_filename=config.split_from_filename
        )
    return input_format, read_aclimdb_reviews(spark, found)
