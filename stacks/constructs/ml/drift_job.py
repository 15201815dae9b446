"""The drift job: a scheduled Lambda that measures captured traffic against the baseline.

Code from lambda/drift (handler `drift_handler.handler`), bundled like the predict
Lambda with the shared measures from common/. It reads one endpoint's data capture
(read-only, KMS decrypt) and the served model's artifact, whose drift_baseline.json
train.py wrote, and publishes PSI, OOV and shares per variant to CloudWatch in its own
namespace, the only one its role may write.
"""

from __future__ import annotations

import re

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks import nag
from stacks.config import DriftConfig
from stacks.constructs.shared.asset_grants import grant_read_object
from stacks.constructs.shared.python_function import python_function
from stacks.outputs import DriftSource
from stacks.source_paths import COMMON, REPO_ROOT

DRIFT_LAMBDA = REPO_ROOT / "lambda" / "drift"
# The measures training used to write the baseline, and what they import.
SHARED_FILES = ("drift_features.py", "text_normalization.py")
# The job's metrics; its role may put metric data in this namespace and no other.
NAMESPACE = "ReviewSentiment/Drift"
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_HOURS_PER_UNIT = {"minute": 1 / 60, "hour": 1, "day": 24}


def period_hours(schedule: str) -> int:
    """Hours of capture one run reads: the rate's interval; a cron schedule is read as
    daily (a cron expression has no single interval)."""
    match = _RATE.match(schedule.strip())
    if not match:
        return 24
    hours = int(match.group(1)) * _HOURS_PER_UNIT[match.group(2).rstrip("s")]
    return max(1, round(hours))


class DriftJob(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DriftConfig,
        source: DriftSource,
        key: kms.IKey,
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role, self.function = python_function(
            self,
            role_description="Drift job: reads one endpoint's data capture and model "
            f"baselines, puts metrics in {NAMESPACE}",
            description="Drift job: data capture against the model's baseline -> metrics",
            source_dir=DRIFT_LAMBDA,
            handler="drift_handler.handler",
            log_group=log_group,
            shared_files=[COMMON / f for f in SHARED_FILES],
            # A day of 20 % capture and a streamed model.tar.gz: minutes, not seconds.
            memory_size=1024,
            timeout=Duration.minutes(10),
            environment=_environment(Stack.of(self), config, source),
        )
        self._grant_reads(source, key)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                # PutMetricData has no resource ARN; the namespace condition scopes it.
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
            )
        )
        nag.acknowledge_policy_wildcards(
            self.role,
            {
                **nag.BUCKET_GRANT_ACTIONS,
                rf"/{re.escape(source.capture_prefix)}/{re.escape(source.endpoint_name)}/\*$": (
                    "Capture files are named per variant, hour and request batch by "
                    "SageMaker; reads only, under this endpoint's capture folder."
                ),
                r"^Resource::\*$": (
                    "cloudwatch:PutMetricData has no resource-level permissions; the "
                    f"statement is conditioned on cloudwatch:namespace = {NAMESPACE}."
                ),
            },
        )
        events.Rule(
            self,
            "Schedule",
            description="Runs the drift job on monitoring.drift.schedule",
            schedule=events.Schedule.expression(config.schedule),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )

    def _grant_reads(self, source: DriftSource, key: kms.IKey) -> None:
        # Lists and reads this endpoint's captures; writes nothing.
        source.capture_bucket.grant_read(
            self.role, f"{source.capture_prefix}/{source.endpoint_name}/*"
        )
        # Exactly the served artifacts, even when one sits in CDK's asset bucket.
        for baseline in source.baselines.values():
            grant_read_object(baseline.bucket, baseline.key, self.role)
        key.grant_decrypt(self.role)


def _environment(stack: Stack, config: DriftConfig, source: DriftSource) -> dict[str, str]:
    """What lambda/drift/drift_handler.py reads (its module docstring lists it)."""
    uris = {variant: b.bucket.s3_url_for_object(b.key) for variant, b in source.baselines.items()}
    first, *others = uris
    environment = {
        "CAPTURE_S3_URI": source.capture_bucket.s3_url_for_object(source.capture_prefix),
        "ENDPOINT_NAME": source.endpoint_name,
        "BASELINE_S3_URI": uris[first],
        "MIN_REVIEWS": str(config.min_reviews),
        "PERIOD_HOURS": str(period_hours(config.schedule)),
        "POWERTOOLS_SERVICE_NAME": "drift-job",
    }
    if others:
        environment["VARIANT_BASELINE_S3_URIS"] = stack.to_json_string(
            {variant: uris[variant] for variant in others}
        )
    return environment
