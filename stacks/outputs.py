"""What each stack hands the stacks after it: small frozen records of CDK objects.

A consumer receives exactly these objects (a bucket, a key, a job, a state machine),
never a whole producing stack and never a name rebuilt by hand, so the CDK sees every
cross-stack reference and orders deployments itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from stacks.constructs.serving.endpoint_alarms import SageMakerEndpointAlarms


@dataclass(frozen=True)
class Notifications:
    topic: sns.ITopic


@dataclass(frozen=True)
class LakeBuckets:
    access_logs: s3.IBucket
    raw: s3.IBucket
    processed: s3.IBucket
    curated: s3.IBucket
    quarantine: s3.IBucket
    models: s3.IBucket
    athena_results: s3.IBucket
    # Batch Transform output (scored_reviews/) and ad-hoc batch input (batch-input/).
    predictions: s3.IBucket


@dataclass(frozen=True)
class DataLake:
    key: kms.IKey
    buckets: LakeBuckets
    database: glue.IDatabase
    workgroup: athena.CfnWorkGroup


@dataclass(frozen=True)
class Etl:
    job: glue.IJob
    crawler: glue.CfnCrawler
    ruleset: glue.DataQualityRuleset
    # Glue assumes it to evaluate the ruleset; the pipeline passes it.
    quality_role: iam.IRole


@dataclass(frozen=True)
class Ml:
    state_machine: sfn.StateMachine
    model_package_group: sagemaker.CfnModelPackageGroup
    # Scores a JSON Lines prefix with a registry model (Batch Transform).
    batch_scoring: sfn.StateMachine


@dataclass(frozen=True)
class ModelArtifact:
    """A model.tar.gz in S3 (train.py puts drift_baseline.json inside it)."""

    bucket: s3.IBucket
    key: str


@dataclass(frozen=True)
class DriftSource:
    """What the drift job compares: an endpoint's captured traffic and its models' baselines.

    Only for an endpoint that captures (provisioned; serverless endpoints capture nothing).
    """

    endpoint_name: str
    # The endpoint config's DestinationS3Uri: SageMaker writes
    # <capture_prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl in this bucket.
    capture_bucket: s3.IBucket
    capture_prefix: str
    # Production variant -> the artifact it serves, the first variant's as the default;
    # a variant left out (a registry package, unknown at synth) reports no baseline.
    baselines: Mapping[str, ModelArtifact]


@dataclass(frozen=True)
class Serving:
    # The single variant's alarms; None until the stage has a model to serve (a registry
    # package or a bootstrap one), with named variants, and with Comprehend.
    endpoint_alarms: SageMakerEndpointAlarms | None
    function: lambda_.IFunction
    api: apigw.RestApi
    # Named variants (production first, a shadow last): each variant's own alarms.
    variant_alarms: tuple[SageMakerEndpointAlarms, ...] = ()
    # The gated traffic shift (more than one production variant) and the A/B report.
    traffic_shift: sfn.IStateMachine | None = None
    ab_report: lambda_.IFunction | None = None
    # The drift job's input; None without data capture (serverless, Comprehend, no model).
    drift_source: DriftSource | None = None
