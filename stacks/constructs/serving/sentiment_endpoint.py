"""A SageMaker endpoint serving the sentiment model: serverless or provisioned.

Serverless (dev): memory and max concurrency, no idle cost. Provisioned (prod): instances
with target-tracking autoscaling, data capture, and blue/green deployments that roll
back on the endpoint's own alarms. Model and endpoint configuration carry no names, so
CloudFormation can replace them when the model changes; the endpoint keeps one stable
name so alarms and the API can refer to it before it exists.
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
    EndpointAlarmThresholds,
    SageMakerEndpointAlarms,
)

VARIANT = "AllTraffic"
_CFN = sagemaker.CfnEndpointConfig
# The service-linked role Application Auto Scaling uses for SageMaker variants.
_SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


def _variant(config: ServingConfig, model_name: str) -> _CFN.ProductionVariantProperty:
    if config.mode == "serverless":
        return _CFN.ProductionVariantProperty(
            variant_name=VARIANT,
            model_name=model_name,
            serverless_config=_CFN.ServerlessConfigProperty(
                memory_size_in_mb=config.serverless_memory_mb,
                max_concurrency=config.serverless_max_concurrency,
            ),
        )
    return _CFN.ProductionVariantProperty(
        variant_name=VARIANT,
        model_name=model_name,
        instance_type=config.instance_type,
        initial_instance_count=config.initial_instance_count,
        initial_variant_weight=1.0,
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


def _blue_green(
    rollback_alarms: list,
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    endpoint = sagemaker.CfnEndpoint
    return endpoint.DeploymentConfigProperty(
        blue_green_update_policy=endpoint.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=endpoint.TrafficRoutingConfigProperty(
                type="CANARY",
                canary_size=endpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=50),
                wait_interval_in_seconds=300,
            ),
            termination_wait_in_seconds=300,
            maximum_execution_timeout_in_seconds=3600,
        ),
        auto_rollback_configuration=endpoint.AutoRollbackConfigProperty(
            alarms=[endpoint.AlarmProperty(alarm_name=a.alarm_name) for a in rollback_alarms]
        ),
    )


class SentimentEndpoint(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        model_role: iam.IRole,
        container: sagemaker.CfnModel.ContainerDefinitionProperty,
        key: kms.IKey,
        capture_bucket: s3.IBucket,
        alarm_thresholds: EndpointAlarmThresholds,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        serverless = config.mode == "serverless"
        # A stable name: alarms (and through them rollbacks) need it before creation.
        self.endpoint_name = f"{stack.stack_name}-sentiment"
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=model_role.role_arn,
            primary_container=container,
            # The container needs no internet: code and model come inside model.tar.gz.
            enable_network_isolation=True,
        )
        self.model.node.add_dependency(model_role)
        self.alarms = SageMakerEndpointAlarms(
            self,
            "Alarms",
            endpoint_name=self.endpoint_name,
            variant_name=VARIANT,
            serverless=serverless,
            thresholds=alarm_thresholds,
        )
        # Serverless endpoints support neither data capture, nor a KMS volume key,
        # nor deployment guardrails.
        self.endpoint_config = _CFN(
            self,
            "Config",
            production_variants=[_variant(config, self.model.attr_model_name)],
            kms_key_id=None if serverless else key.key_arn,
            data_capture_config=None if serverless else _data_capture(config, key, capture_bucket),
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            deployment_config=None if serverless else _blue_green(self.alarms.rollback_alarms),
        )
        self.endpoint_arn = stack.format_arn(
            service="sagemaker", resource="endpoint", resource_name=self.endpoint_name.lower()
        )
        # Target tracking on burstable ml.t* instances reacts to CPU credits, not load.
        autoscaled = not serverless and not config.instance_type.startswith("ml.t")
        self.scaling = self._autoscaling(config) if autoscaled else None

    def _autoscaling(self, config: ServingConfig) -> autoscaling.ScalableTarget:
        stack = Stack.of(self)
        scaling = autoscaling.ScalableTarget(
            self,
            "Scaling",
            service_namespace=autoscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self.endpoint.attr_endpoint_name}/variant/{VARIANT}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=config.min_instance_count,
            max_capacity=config.max_instance_count,
            role=iam.Role.from_role_arn(
                self,
                "ScalingRole",
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
