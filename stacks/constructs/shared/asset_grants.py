"""Read access to exactly one CDK asset, not to the account's whole bootstrap bucket.

`Asset.grant_read` (and the grants Glue code, BucketDeployment sources and friends add)
cover every object of the bootstrap assets bucket: every asset of every CDK app in the
account. A role that loads its own script, bundle or model needs one object.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets


def grant_read_object(bucket: s3.IBucket, key: str, grantee: iam.IGrantable) -> None:
    """s3:GetObject on one object, nothing else of its bucket."""
    iam.Grant.add_to_principal(
        grantee=grantee, actions=["s3:GetObject"], resource_arns=[bucket.arn_for_objects(key)]
    )


def grant_read_asset(asset: s3_assets.Asset, grantee: iam.IGrantable) -> None:
    grant_read_object(asset.bucket, asset.s3_object_key, grantee)
