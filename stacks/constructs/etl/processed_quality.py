"""The data-quality contract of the processed table, and the role Glue evaluates it with."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lake_layout import PROCESSED_TABLE
from review_labels import SENTIMENT_NAMES
from stacks.config import EtlConfig
from stacks.constructs.etl.glue_grants import grant_catalog, grant_glue_logs


def processed_ruleset(config: EtlConfig) -> str:
    """DQDL for the processed table: the contract the training data relies on."""
    sentiments = ", ".join(f'"{name}"' for _, name in sorted(SENTIMENT_NAMES.items(), reverse=True))
    labels = ", ".join(str(label) for label in sorted(SENTIMENT_NAMES))
    rules = [
        "RowCount > 0",
        'IsComplete "review_id"',
        'IsUnique "review_id"',
        'IsComplete "review"',
        'IsComplete "label"',
        f'ColumnValues "sentiment" in [{sentiments}]',
        f'ColumnValues "label" in [{labels}]',
        f'ColumnLength "review" between {config.min_chars - 1} and {config.max_chars + 1}',
    ]
    return "Rules = [\n    " + ",\n    ".join(rules) + "\n]"


class ProcessedQuality(Construct):
    """The ruleset over the processed table and a role that may read just that table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EtlConfig,
        database: glue.IDatabase,
        processed: s3.IBucket,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.ruleset = glue.DataQualityRuleset(
            self,
            "Ruleset",
            ruleset_name=f"{Stack.of(self).stack_name}-processed-reviews",
            description="What every processed review must satisfy",
            target_table=glue.DataQualityTargetTable.from_table_name(database, PROCESSED_TABLE),
            dqdl=glue.Dqdl.from_string(processed_ruleset(config)),
        )
        # Glue assumes this role to evaluate the ruleset against the processed table.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Evaluates the data-quality ruleset on the processed table",
        )
        processed.grant_read(self.role, f"{PROCESSED_TABLE}/*")
        key.grant_decrypt(self.role)
        grant_glue_logs(self.role, "data-quality")
        grant_catalog(
            self.role,
            database,
            table=PROCESSED_TABLE,
            actions=["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["glue:GetDataQualityRuleset", "glue:PublishDataQuality"],
                resources=[
                    Stack.of(self).format_arn(
                        service="glue",
                        resource="dataQualityRuleset",
                        resource_name=self.ruleset.ruleset_name,
                    )
                ],
            )
        )
