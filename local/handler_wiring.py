"""The predict Lambda's handler, configured as the serving stack configures the function.

`stage_settings` builds the handler's environment for a stage (cdk.json) on the local
endpoint: its name, the request limits, the backend and the variants a caller may pin
(VARIANTS, ALLOW_TARGET_VARIANT); `load_handler` imports the handler and points its
SageMaker clients at the in-process runtime.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent
# What the Lambda bundle holds (lambda/predict + common/, flat), and the stage config.
for _path in (REPO_ROOT / "lambda" / "predict", REPO_ROOT / "common", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from api_settings import Settings  # noqa: E402
from local_runtime import LocalRuntime  # noqa: E402
from stacks.config import cdk_json_context, stage_config  # noqa: E402


def stage_settings(
    runtime: LocalRuntime,
    *,
    stage: str | None,
    origin: str,
    allow_target_variant: bool = False,
) -> Settings:
    """The handler's settings as the serving stack sets them for `stage`, on the local model.

    `stage` None means the context's own stage, as for `cdk synth` without `-c stage=`.
    Pinning is allowed when the stage allows it or `allow_target_variant` says so (a
    local A/B session pins without editing cdk.json).
    """
    serving = stage_config(cdk_json_context(), stage).serving
    pinning = serving.allow_target_variant or allow_target_variant
    return Settings.from_env(
        {
            **os.environ,
            "ENDPOINT_NAME": runtime.endpoint_name,
            "MODEL_VERSION": os.environ.get("MODEL_VERSION") or runtime.model_version,
            "ALLOWED_ORIGIN": os.environ.get("ALLOWED_ORIGIN") or origin,
            **serving.request_limits_environment(),
            # The twin serves local models only, whatever backend the stage uses.
            "BACKEND": "sagemaker",
            "VARIANTS": ",".join(runtime.router.names),
            "ALLOW_TARGET_VARIANT": "true" if pinning else "false",
        }
    )


def load_handler(runtime: LocalRuntime, settings: Settings, *, quiet: bool) -> ModuleType:
    """Import the Lambda handler and point it at the in-process model."""
    if quiet and "handler" not in sys.modules:
        # Powertools reads these when the handler module builds its logger and metrics, so
        # they only work before the first import; a host that already imported the handler
        # (a test run) keeps its own settings rather than have them changed underneath it.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    import handler

    handler.configure(settings=settings, runtime=runtime, sagemaker=runtime)
    return handler
