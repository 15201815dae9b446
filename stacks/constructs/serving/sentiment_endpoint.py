"""A SageMaker endpoint serving the sentiment model: serverless or provisioned.

Serverless (dev): memory and max concurrency, no idle cost. Provisioned (prod): instances
with target-tracking autoscaling per variant and data capture. Model and endpoint
configuration carry no names, so CloudFormation can replace them when a model changes;
the endpoint keeps one stable name so alarms and the API can refer to it before it exists.

How updates roll out:
- The single variant `AllTraffic` deploys blue/green (canary) and rolls back on its own
  alarms.
- Named variants (champion/challenger, or a shadow) deploy all at once. AWS runs guardrail
  deployments only when the old and new configuration have the same variant names (every
  added or removed variant breaks that) and excludes multi-variant endpoints from rolling
  deployments. Their guardrail is the gated traffic shift: a new model enters as a
  low-weight variant and gets more traffic only while its alarms stay quiet.
- With named variants the endpoint keeps each variant's instance count (autoscaling's)
  across configuration updates, but the configured weights and data capture win: a new
  model put into a variant starts at the weight `cdk.json` gives it, never at the weight
  an earlier shift gave the model it replaces. A finished shift is recorded by editing the
  weights in `cdk.json` (the shift's success message says so).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from lake_layout import DATA_CAPTURE_PREFIX
from stacks.config import ServingConfig
from stacks.constructs.serving.endpoint_alarms import (
    SINGLE_VARIANT,
    EndpointAlarmThresholds,
    SageMakerEndpointAlarms,
)
from stacks.constructs.serving.endpoint_variants import VariantPlan

_CFN = sagemaker.CfnEndpointConfig
_ENDPOINT = sagemaker.CfnEndpoint
# The service-linked role Application Auto Scaling uses for SageMaker variants.
_SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


def _data_capture(
    config: ServingConfig, key: kms.IKey, bucket: s3.IBucket
) -> _CFN.DataCaptureConfigProperty | None:
    if config.data_capture_percent == 0:
        return None
    return _CFN.DataCaptureConfigProperty(
        enable_capture=True,
        initial_sampling_percentage=config.data_capture_percent,
        destination_s3_uri=bucket.s3_url_for_object(DATA_CAPTURE_PREFIX),
        kms_key_id=key.key_arn,
        capture_options=[
            _CFN.CaptureOptionProperty(capture_mode="Input"),
            _CFN.CaptureOptionProperty(capture_mode="Output"),
        ],
        capture_content_type_header=_CFN.CaptureContentTypeHeaderProperty(
            json_content_types=["application/json"], csv_content_types=["text/csv"]
        ),
    )


def _blue_green(rollback_alarms: list) -> _ENDPOINT.DeploymentConfigProperty:
    return _ENDPOINT.DeploymentConfigProperty(
        blue_green_update_policy=_ENDPOINT.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=_ENDPOINT.TrafficRoutingConfigProperty(
                type="CANARY",
                canary_size=_ENDPOINT.CapacitySizeProperty(type="CAPACITY_PERCENT", value=50),
                wait_interval_in_seconds=300,
            ),
            termination_wait_in_seconds=300,
            maximum_execution_timeout_in_seconds=3600,
        ),
        auto_rollback_configuration=_ENDPOINT.AutoRollbackConfigProperty(
            alarms=[_ENDPOINT.AlarmProperty(alarm_name=a.alarm_name) for a in rollback_alarms]
        ),
    )


# Autoscaling owns instance counts; cdk.json owns weights and data capture (see above).
_CONFIG_WINS = [
    _ENDPOINT.VariantPropertyProperty(variant_property_type=kind)
    for kind in ("DesiredWeight", "DataCaptureConfig")
]


def _suffix(variant: VariantPlan) -> str:
    # The single variant keeps the construct ids it had before variants existed.
    return "" if variant.name == SINGLE_VARIANT else f"-{variant.name}"


class SentimentEndpoint(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        variants: tuple[VariantPlan, ...],
        model_role: iam.IRole,
        key: kms.IKey,
        capture_bucket: s3.IBucket,
        alarm_thresholds: EndpointAlarmThresholds,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        serverless = variants[0].instance_type is None
        # A stable name: alarms (and through them rollbacks) need it before creation.
        self.endpoint_name = f"{stack.stack_name}-sentiment"
        self.variants = variants
        self.alarms = tuple(
            SageMakerEndpointAlarms(
                self,
                f"Alarms{_suffix(v)}",
                endpoint_name=self.endpoint_name,
                variant_name=v.name,
                serverless=serverless,
                thresholds=alarm_thresholds,
                shadow=v.shadow,
            )
            for v in variants
        )
        models = [self._model(v, model_role) for v in variants]
        # Serverless endpoints support neither data capture, nor a KMS volume key,
        # nor deployment guardrails.
        self.endpoint_config = _CFN(
            self,
            "Config",
            production_variants=[
                v.cfn_property(config, m.attr_model_name)
                for v, m in zip(variants, models, strict=True)
                if not v.shadow
            ],
            shadow_production_variants=[
                v.cfn_property(config, m.attr_model_name)
                for v, m in zip(variants, models, strict=True)
                if v.shadow
            ]
            or None,
            kms_key_id=None if serverless else key.key_arn,
            data_capture_config=None if serverless else _data_capture(config, key, capture_bucket),
        )
        named = variants[0].name != SINGLE_VARIANT or len(variants) > 1
        # Guardrails (blue/green with rollback) run for the single provisioned variant only.
        guarded = not named and not serverless
        self.endpoint = _ENDPOINT(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            deployment_config=_blue_green(self.alarms[0].rollback_alarms) if guarded else None,
            retain_all_variant_properties=True if named else None,
            exclude_retained_variant_properties=_CONFIG_WINS if named else None,
        )
        self.endpoint_arn = stack.format_arn(
            service="sagemaker", resource="endpoint", resource_name=self.endpoint_name.lower()
        )
        self.scaling = tuple(self._autoscaling(config, v) for v in variants if v.autoscaled)

    @property
    def production_variants(self) -> tuple[str, ...]:
        """The names a caller may target (a shadow answers nobody)."""
        return tuple(v.name for v in self.variants if not v.shadow)

    def alarms_of(self, variant: str) -> SageMakerEndpointAlarms:
        return next(a for a in self.alarms if a.variant_name == variant)

    def _model(self, variant: VariantPlan, role: iam.IRole) -> sagemaker.CfnModel:
        model = sagemaker.CfnModel(
            self,
            f"Model{_suffix(variant)}",
            execution_role_arn=role.role_arn,
            primary_container=variant.model.container,
            # The container needs no internet: code and model come inside model.tar.gz.
            enable_network_isolation=True,
        )
        model.node.add_dependency(role)
        return model

    def _autoscaling(
        self, config: ServingConfig, variant: VariantPlan
    ) -> autoscaling.ScalableTarget:
        stack = Stack.of(self)
        suffix = _suffix(variant)
        scaling = autoscaling.ScalableTarget(
            self,
            f"Scaling{suffix}",
            service_namespace=autoscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self.endpoint.attr_endpoint_name}/variant/{variant.name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=variant.min_instances,
            max_capacity=variant.max_instances,
            role=iam.Role.from_role_arn(
                self,
                f"ScalingRole{suffix}",
                stack.format_arn(
                    service="iam", region="", resource="role", resource_name=_SCALING_ROLE
                ),
            ),
        )
        scaling.scale_to_track_metric(
            "InvocationsPerInstance",
            predefined_metric=autoscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            target_value=config.target_invocations_per_instance,
            scale_in_cooldown=Duration.minutes(5),
            scale_out_cooldown=Duration.minutes(1),
        )
        return scaling
