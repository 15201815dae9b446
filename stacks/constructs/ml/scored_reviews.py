"""The predictions layer as a table: batch scoring's output, queryable per run.

The schema is the JSON Lines output contract of training/inference.py, so the table is
declared rather than crawled: a crawler would guess types from whichever lines it
samples (a run without `true_label` or without errors would drop those columns). Each
run's folder `run_date=YYYY-MM-DD/run_id=<execution name>/` is added as a partition by
the scoring state machine when its transform succeeds (RegisterPredictions), not by
partition projection: run ids are execution names nobody can enumerate in advance, and
projecting them as `injected` would make every query name its runs, so no query could
compare runs side by side.
"""

from __future__ import annotations

from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lake_layout import PREDICTIONS_TABLE
from stacks.constructs.etl.lake_queries import LakeQueries

PARTITION_KEYS = ("run_date", "run_id")


def _columns() -> list[glue.Column]:
    string, double = glue.Schema.STRING, glue.Schema.DOUBLE
    # A scored line, or an error line for input the model could not read.
    return [
        glue.Column(name="review_id", type=string, comment="The input line's review_id"),
        glue.Column(name="label", type=string, comment="positive or negative"),
        glue.Column(name="score", type=double, comment="Probability of the returned label"),
        glue.Column(name="probability_positive", type=double),
        glue.Column(name="uncertain", type=glue.Schema.BOOLEAN),
        glue.Column(name="true_label", type=string, comment="When the input carried a label"),
        glue.Column(name="line", type=glue.Schema.INTEGER, comment="Error lines: 1-based line"),
        glue.Column(
            name="error",
            type=glue.Schema.struct(
                [glue.Column(name="code", type=string), glue.Column(name="message", type=string)]
            ),
        ),
    ]


def prediction_queries() -> dict[str, tuple[str, str]]:
    """Name -> (description, SQL), per run. Constants only, never input: no injection."""
    table, per_run = PREDICTIONS_TABLE, "run_date, run_id"
    return {
        "ScoreDistributionPerRun": (
            "Predictions per run and tenth of probability_positive",
            f"SELECT {per_run}, least(floor(probability_positive * 10), 9) / 10 "  # noqa: S608
            f"AS probability_positive_from, count(*) AS predictions FROM {table} "
            f"WHERE error IS NULL GROUP BY {per_run}, 3 ORDER BY run_date DESC, run_id, 3;",
        ),
        "UncertainSharePerRun": (
            "Share of uncertain predictions and count of unreadable lines per run",
            f"SELECT {per_run}, count_if(error IS NULL) AS predictions, "  # noqa: S608
            "avg(CASE WHEN uncertain THEN 1.0 ELSE 0.0 END) AS uncertain_share, "
            f"count_if(error IS NOT NULL) AS error_lines FROM {table} "
            f"GROUP BY {per_run} ORDER BY run_date DESC, run_id;",
        ),
        "AccuracyPerRun": (
            "Accuracy per run (all, and confident only) over lines whose input had a label",
            f"SELECT {per_run}, count(*) AS labelled, "  # noqa: S608
            "avg(CASE WHEN label = true_label THEN 1.0 ELSE 0.0 END) AS accuracy, "
            # What the uncertainty threshold promises: accuracy of the confident ones.
            "avg(CASE WHEN uncertain THEN NULL WHEN label = true_label THEN 1.0 ELSE 0.0 END) "
            "AS confident_accuracy "
            f"FROM {table} WHERE error IS NULL AND true_label IS NOT NULL "
            f"GROUP BY {per_run} ORDER BY run_date DESC, run_id;",
        ),
    }


class ScoredReviews(Construct):
    """The `scored_reviews` table over the predictions bucket and its saved queries."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: glue.IDatabase,
        workgroup: athena.CfnWorkGroup,
        bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = glue.S3Table(
            self,
            "Table",
            database=database,
            table_name=PREDICTIONS_TABLE,
            description="Batch scoring output: one line per input line, a folder per run",
            storage=glue.S3TableStorage.from_bucket(bucket),
            s3_prefix=f"{PREDICTIONS_TABLE}/",
            data_format=glue.DataFormat.JSON,
            columns=_columns(),
            partition_keys=[glue.Column(name=k, type=glue.Schema.STRING) for k in PARTITION_KEYS],
        )
        LakeQueries(
            self, "Queries", database=database, workgroup=workgroup, queries=prediction_queries()
        )
