"""The variants an endpoint serves, planned from the stage configuration.

A stage without `serving.variants` keeps its one variant `AllTraffic` (serverless or
provisioned). A provisioned stage may name production variants (champion, challenger),
each with its own model, instances and weight, or add one shadow variant that receives a
copy of the production traffic and answers nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_sagemaker as sagemaker

from stacks.config import ConfigError, ServingConfig
from stacks.constructs.serving.endpoint_alarms import SINGLE_VARIANT
from stacks.constructs.serving.served_model import ModelSources, ServedModel

_CFN = sagemaker.CfnEndpointConfig


@dataclass(frozen=True)
class VariantPlan:
    name: str
    model: ServedModel
    # None: serverless (memory and concurrency come from the stage configuration).
    instance_type: str | None
    initial_instances: int
    min_instances: int
    max_instances: int
    weight: float
    shadow: bool = False

    @property
    def autoscaled(self) -> bool:
        # Target tracking on burstable ml.t* instances reacts to CPU credits, not load;
        # shadow variants keep their configured count.
        return (
            self.instance_type is not None
            and not self.instance_type.startswith("ml.t")
            and not self.shadow
        )

    def cfn_property(
        self, config: ServingConfig, model_name: str
    ) -> _CFN.ProductionVariantProperty:
        """This variant as CreateEndpointConfig takes it."""
        if self.instance_type is None:
            return _CFN.ProductionVariantProperty(
                variant_name=self.name,
                model_name=model_name,
                serverless_config=_CFN.ServerlessConfigProperty(
                    memory_size_in_mb=config.serverless_memory_mb,
                    max_concurrency=config.serverless_max_concurrency,
                ),
            )
        return _CFN.ProductionVariantProperty(
            variant_name=self.name,
            model_name=model_name,
            instance_type=self.instance_type,
            initial_instance_count=self.initial_instances,
            initial_variant_weight=self.weight,
        )


def plan_variants(config: ServingConfig, models: ModelSources) -> tuple[VariantPlan, ...]:
    """Production variants first, then the shadow; empty when there is no model to serve."""
    production = tuple(
        VariantPlan(
            name=variant.name,
            model=_required(models.model(variant.model_package_arn), variant.name),
            instance_type=variant.instance_type,
            initial_instances=variant.min_instances,
            min_instances=variant.min_instances,
            max_instances=variant.max_instances,
            weight=variant.weight,
        )
        for variant in config.variants
    )
    if not production:
        model = models.model(config.model_package_arn)
        if model is None:
            return ()
        provisioned = config.mode == "provisioned"
        production = (
            VariantPlan(
                name=SINGLE_VARIANT,
                model=model,
                instance_type=config.instance_type if provisioned else None,
                initial_instances=config.initial_instance_count,
                min_instances=config.min_instance_count,
                max_instances=config.max_instance_count,
                weight=1.0,
            ),
        )
    shadow = config.shadow
    if shadow is None:
        return production
    (primary,) = production  # the configuration allows one production variant with a shadow
    return (
        *production,
        VariantPlan(
            name=shadow.name,
            model=_required(models.model(shadow.model_package_arn), shadow.name),
            instance_type=shadow.instance_type,
            initial_instances=shadow.instance_count,
            min_instances=shadow.instance_count,
            max_instances=shadow.instance_count,
            # The share of requests copied to a shadow is the ratio of its weight to the
            # production variant's (AWS shadow-variant guide).
            weight=primary.weight * shadow.sampling_percent / 100,
            shadow=True,
        ),
    )


def _required(model: ServedModel | None, name: str) -> ServedModel:
    if model is None:
        raise ConfigError(
            f'serving variant {name!r}: model_package_arn must be a package ARN or "bootstrap"'
        )
    return model
