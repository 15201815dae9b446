"""Saved Athena queries for the first questions anyone asks of the lake."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from constructs import Construct

from lake_layout import PROCESSED_TABLE, QUARANTINE_TABLE


def named_queries() -> dict[str, tuple[str, str]]:
    """Name -> (description, SQL). Each runs in the lake database (set on the query), so
    tables need no qualifier. Table names are constants, never input: no injection."""
    return {
        "LabelBalance": (
            "Reviews per split and sentiment",
            f"SELECT split, sentiment, count(*) AS reviews FROM {PROCESSED_TABLE} "  # noqa: S608
            "GROUP BY split, sentiment ORDER BY split, sentiment;",
        ),
        "LengthDistribution": (
            "Review length percentiles per sentiment",
            "SELECT sentiment, approx_percentile(word_count, ARRAY[0.1, 0.5, 0.9, 0.99]) "  # noqa: S608
            f"AS word_count_p10_p50_p90_p99 FROM {PROCESSED_TABLE} "
            "GROUP BY sentiment;",
        ),
        "QuarantineReasons": (
            "Why rows were quarantined",
            f"SELECT reason, count(*) AS row_count FROM {QUARANTINE_TABLE} "  # noqa: S608
            "GROUP BY reason ORDER BY row_count DESC;",
        ),
    }


class LakeQueries(Construct):
    """Saved queries (name -> (description, SQL)) in the lake database and workgroup."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: glue.IDatabase,
        workgroup: athena.CfnWorkGroup,
        queries: Mapping[str, tuple[str, str]],
    ) -> None:
        super().__init__(scope, construct_id)
        for name, (description, sql) in queries.items():
            athena.CfnNamedQuery(
                self,
                name,
                database=database.database_name,
                work_group=workgroup.ref,
                description=description,
                query_string=sql,
            )
