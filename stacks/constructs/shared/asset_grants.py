"""Read access to exactly one CDK asset, not to the account's whole bootstrap bucket.

`Asset.grant_read` (and the grants Glue code, BucketDeployment sources and friends add)
cover every object of the bootstrap assets bucket: every asset of every CDK app in the
account. A role that loads its own script, bundle or model needs one object.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets


def grant_read_asset(asset: s3_assets.Asset, grantee: iam.IGrantable) -> None:
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:GetObject"],
        resource_arns=[asset.bucket.arn_for_objects(asset.s3_object_key)],
    )
