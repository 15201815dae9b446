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

from stacks.config import ServingConfig
from stacks.constructs.endpoint_alarms import EndpointAlarmThresholds, SageMakerEndpointAlarms

VARIANT = "AllTraffic"
DATA_CAPTURE_PREFIX = "data-capture"


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
        self.serverless = config.mode == "serverless"
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
            serverless=self.serverless,
            thresholds=alarm_thresholds,
        )

        if self.serverless:
            variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT,
                model_name=self.model.attr_model_name,
                serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    memory_size_in_mb=config.serverless_memory_mb,
                    max_concurrency=config.serverless_max_concurrency,
                ),
            )
            # Serverless endpoints support neither data capture, nor a KMS volume key,
            # nor deployment guardrails.
            self.endpoint_config = sagemaker.CfnEndpointConfig(
                self, "Config", production_variants=[variant]
            )
            deployment = None
        else:
            variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT,
                model_name=self.model.attr_model_name,
                instance_type=config.instance_type,
                initial_instance_count=config.initial_instance_count,
                initial_variant_weight=1.0,
            )
            capture = None
            if config.data_capture_percent > 0:
                capture = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                    enable_capture=True,
                    initial_sampling_percentage=config.data_capture_percent,
                    destination_s3_uri=capture_bucket.s3_url_for_object(DATA_CAPTURE_PREFIX),
                    kms_key_id=key.key_arn,
                    capture_options=[
                        sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                        sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
                    ],
                    capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                        json_content_types=["application/json"],
                        csv_content_types=["text/csv"],
                    ),
                )
            self.endpoint_config = sagemaker.CfnEndpointConfig(
                self,
                "Config",
                production_variants=[variant],
                kms_key_id=key.key_arn,
                data_capture_config=capture,
            )
            deployment = sagemaker.CfnEndpoint.DeploymentConfigProperty(
                blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                    traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                        type="CANARY",
                        canary_size=sagemaker.CfnEndpoint.CapacitySizeProperty(
                            type="CAPACITY_PERCENT", value=50
                        ),
                        wait_interval_in_seconds=300,
                    ),
                    termination_wait_in_seconds=300,
                    maximum_execution_timeout_in_seconds=3600,
                ),
                auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                    alarms=[
                        sagemaker.CfnEndpoint.AlarmProperty(alarm_name=alarm.alarm_name)
                        for alarm in self.alarms.rollback_alarms
                    ]
                ),
            )

        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            deployment_config=deployment,
        )
        self.endpoint_arn = stack.format_arn(
            service="sagemaker", resource="endpoint", resource_name=self.endpoint_name.lower()
        )

        self.scaling: autoscaling.ScalableTarget | None = None
        # Target tracking on burstable ml.t* instances reacts to CPU credits, not load.
        if not self.serverless and not config.instance_type.startswith("ml.t"):
            self.scaling = autoscaling.ScalableTarget(
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
                        service="iam",
                        region="",
                        resource="role",
                        resource_name="aws-service-role/sagemaker.application-autoscaling."
                        "amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                    ),
                ),
            )
            self.scaling.scale_to_track_metric(
                "InvocationsPerInstance",
                predefined_metric=autoscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
                target_value=config.target_invocations_per_instance,
                scale_in_cooldown=Duration.minutes(5),
                scale_out_cooldown=Duration.minutes(1),
            )
