"""The serving stack's cdk-nag acknowledgments: each names its resource and the real reason.

Built against the constructs the stack wires, so each acknowledgment lands on the path
it always had (the reasons start with that path).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from stacks import nag
from stacks.config import ServingConfig
from stacks.constructs.serving.prediction_api import PredictionApi
from stacks.constructs.serving.web_site import WebSite


def acknowledge_serving(
    stack: Stack,
    config: ServingConfig,
    function_role: iam.Role,
    api: PredictionApi,
    web: WebSite,
) -> None:
    unscoped = "X-Ray's PutTraceSegments and PutTelemetryRecords"
    if config.backend == "comprehend":
        unscoped = f"Comprehend's DetectSentiment and BatchDetectSentiment, and {unscoped},"
    nag.acknowledge_policy_wildcards(
        function_role,
        {r"^Resource::\*$": f"{unscoped} support no resource-level permissions."},
    )
    if config.auth == "api_key":
        for method in (api.predict_method, api.health_method, api.model_method):
            nag.acknowledge(
                method,
                "AwsSolutions-APIG4",
                "no authorizer, on purpose: serving.auth=api_key makes this a public demo "
                "API. Its API key is not authentication (the public page hands it out); it "
                "only selects the usage plan that throttles and caps requests per day. A "
                "stage whose callers are private sets serving.auth=iam (SigV4).",
            )
            nag.acknowledge(
                method,
                "AwsSolutions-COG4",
                "no Cognito authorizer: serving.auth=api_key serves anonymous callers of a "
                "public demo, and a stage with private callers uses IAM (serving.auth=iam).",
            )
    if not config.waf_enabled:
        nag.acknowledge(
            api.api.deployment_stage,
            "AwsSolutions-APIG3",
            "no WAF in this stage (serving.waf_enabled=false) to keep idle cost near zero; "
            "stage throttling and the usage plan's daily quota bound abuse. Prod enables it.",
        )
    _acknowledge_web_page(web)
    nag.acknowledge_cdk_helpers(
        stack,
        id_prefix="Custom::CDKBucketDeployment",
        reason="CDK's BucketDeployment handler: the CDK pins its Python runtime; its role "
        "is the web page's PublishRole, granted per object and per distribution.",
        rules={"AwsSolutions-L1": None},
    )
    nag.acknowledge_policy_wildcards(
        web.publish_role,
        {
            **nag.BUCKET_GRANT_ACTIONS,
            r"^Resource::<WebContent\w+\.Arn>/\*$": (
                "prune=true replaces and deletes any object of the page's own bucket, "
                "whose keys are the page's files."
            ),
        },
    )


def _acknowledge_web_page(web: WebSite) -> None:
    for rule, reason in (
        ("AwsSolutions-CFR1", "A public demo page for a public API: no geo restriction is wanted."),
        (
            "AwsSolutions-CFR2",
            "Static page only; the API it calls has its own WAF option and throttling.",
        ),
        (
            "AwsSolutions-CFR4",
            "The default CloudFront certificate cannot pin TLS 1.2; attach a custom domain "
            "and certificate to enforce it.",
        ),
    ):
        nag.acknowledge(web.distribution, rule, reason)


def acknowledge_traffic_shift(role: iam.IRole) -> None:
    nag.acknowledge_policy_wildcards(
        role,
        {
            **nag.KEY_GRANT_ACTIONS,
            r"^Resource::\*$": (
                "Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray "
                "tracing (xray:PutTraceSegments) support no resource-level permissions."
            ),
            r"^Resource::<AbReport\w+\.Arn>:\*$": (
                "LambdaInvoke's grant covers the A/B report function's versions and "
                "aliases (<arn>:*); it is this one function."
            ),
        },
    )


def acknowledge_ab_report(role: iam.IRole, *, predictions_prefix: str) -> None:
    nag.acknowledge_policy_wildcards(
        role,
        {
            **nag.CDK_GRANT_ACTIONS,
            **nag.under_prefixes(
                (predictions_prefix,),
                "Scored runs are read under run_date=/run_id= keys not known in advance; "
                "read-only, limited to this one prefix of the predictions bucket.",
            ),
            r"^Resource::\*$": (
                "cloudwatch:GetMetricData supports no resource-level permissions, and X-Ray's "
                "PutTraceSegments and PutTelemetryRecords none either."
            ),
        },
    )
