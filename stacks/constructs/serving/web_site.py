"""The try-it page: a private bucket behind CloudFront (origin access control, HTTPS)."""

from __future__ import annotations

from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from stacks.config import LayerLifecycle
from stacks.constructs.shared.asset_grants import grant_read_asset
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_bucket import SecureBucket
from stacks.constructs.shared.secure_log_group import secure_log_group
from stacks.source_paths import WEB


class WebSite(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        access_logs_bucket: s3.IBucket,
        retention: Retention,
    ) -> None:
        super().__init__(scope, construct_id)
        # Plain HTML needs no KMS: S3-managed keys let CloudFront's OAC read without
        # a key policy, and nothing secret is stored here.
        self.bucket = SecureBucket(
            self,
            "Content",
            lifecycle=LayerLifecycle(),
            noncurrent_version_expire_days=30,
            abort_incomplete_multipart_days=7,
            retention=retention,
            disposable=True,
            access_logs_bucket=access_logs_bucket,
        ).bucket
        # CloudFront standard logs need ACLs, which the platform's buckets disable.
        self.log_bucket = SecureBucket(
            self,
            "CdnLogs",
            lifecycle=LayerLifecycle(expire_days=90),
            noncurrent_version_expire_days=30,
            abort_incomplete_multipart_days=7,
            retention=retention,
            access_logs_bucket=access_logs_bucket,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
        ).bucket
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Reviews sentiment: try-it page",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
            ),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix="cdn/",
        )
        self.origin = f"https://{self.distribution.distribution_domain_name}"

    def publish(
        self, *, api_url: str, api_key_required: bool, key: kms.IKey, retention: Retention
    ) -> None:
        """Upload the page with a config.js that points it at the deployed API."""
        config_js = (
            "// Written at deploy time by the serving stack.\n"
            "window.APP_CONFIG = { apiBaseUrl: "
            + '"'
            + api_url.rstrip("/")
            + '"'
            + f", apiKeyRequired: {'true' if api_key_required else 'false'} }};\n"
        )
        page = s3_assets.Asset(self, "Page", path=str(WEB), exclude=["config.js"])
        log_group = secure_log_group(self, "PublishLogs", key=key, retention=retention)
        # Our own role, closed to the grants BucketDeployment adds by itself (the whole
        # bootstrap asset bucket, invalidations on every distribution): granted below,
        # per object and per distribution.
        role = iam.Role(
            self,
            "PublishRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Copies the web page into its bucket and invalidates its distribution",
        )
        deployment = s3_deployment.BucketDeployment(
            self,
            "Publish",
            destination_bucket=self.bucket,
            sources=[
                s3_deployment.Source.bucket(page.bucket, page.s3_object_key),
                s3_deployment.Source.data("config.js", config_js),
            ],
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            role=role.without_policy_updates(),
            log_group=log_group,
        )
        # Source.data uploads config.js as an asset of its own, a direct child.
        sources = [c for c in deployment.node.children if isinstance(c, s3_assets.Asset)]
        for asset in (page, *sources):
            grant_read_asset(asset, role)
        # prune=True deletes what the page no longer has, hence read-write.
        self.bucket.grant_read_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                resources=[self.distribution.distribution_arn],
            )
        )
        log_group.grant_write(role)
        self.publish_role = role
