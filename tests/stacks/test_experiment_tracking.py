"""MLflow App, the training job's tracking environment, and the registry's ModelMetrics."""

from __future__ import annotations

import json

from machine_definitions import TRAINING_PIPELINE, machine_definition

from lake_layout import MLFLOW_PREFIX
from stacks.constructs.ml.training_job import EVALUATION_HYPERPARAMETER

APP = "AWS::SageMaker::MlflowApp"


def _statements(stage, prefix: str) -> list[dict]:
    policies = [
        v
        for k, v in stage.template("ml").find_resources("AWS::IAM::Policy").items()
        if k.startswith(prefix)
    ]
    assert len(policies) == 1, prefix
    return policies[0]["Properties"]["PolicyDocument"]["Statement"]


def _training_job(stage) -> dict:
    return machine_definition(stage, "ml", TRAINING_PIPELINE)["States"]["TrainModel"]


def test_only_a_stage_that_tracks_experiments_has_an_mlflow_app(dev, prod):
    assert not dev.config.training.experiment_tracking
    assert dev.template("ml").find_resources(APP) == {}
    assert prod.config.training.experiment_tracking
    (app,) = prod.template("ml").find_resources(APP).values()
    props = app["Properties"]
    assert props["Name"] == f"{prod.config.stack_id('ml')}-experiments"
    assert props["ModelRegistrationMode"] == "AutoModelRegistrationDisabled"
    store = json.dumps(props["ArtifactStoreUri"])
    assert "ModelsBucket" in store and store.endswith(f'/{MLFLOW_PREFIX}/"]]}}')
    ml = prod.stack("ml")
    role = ml.node.find_child("MlflowAppRole").node.default_child
    assert props["RoleArn"] == {"Fn::GetAtt": [ml.get_logical_id(role), "Arn"]}
    # Runs' history lives in the App: kept with the stage's data.
    assert app["DeletionPolicy"] == "Retain"


def test_the_app_role_reaches_only_its_artifact_store(prod):
    statements = _statements(prod, "MlflowAppRole")
    s3 = [s for s in statements if any(a.startswith("s3:") for a in s["Action"])]
    assert len(s3) == 1
    objects = [json.dumps(r) for r in s3[0]["Resource"] if "/" in json.dumps(r)]
    assert len(objects) == 1 and objects[0].endswith(f'/{MLFLOW_PREFIX}/*"]]}}')
    assert {a.split(":")[0] for s in statements for a in s["Action"]} == {"s3", "kms"}


def test_training_logs_to_the_app_and_may_call_only_that_app(prod, dev):
    environment = _training_job(prod)["Parameters"]["Environment"]
    assert environment["MLFLOW_EXPERIMENT_NAME"] == f"{prod.config.stack_id('ml')}-sentiment"
    assert environment["MLFLOW_TRACKING_URI"] == "TOKEN"  # the App's ARN, below
    job = json.dumps(prod.template("ml").to_json())
    assert '"MLFLOW_TRACKING_URI\\":\\""' in job and '{"Fn::GetAtt": ["MlflowApp", "Arn"]}' in job
    (mlflow,) = [
        s for s in _statements(prod, "SageMakerRole") if "sagemaker:CallMlflowAppApi" in s["Action"]
    ]
    assert mlflow["Action"] == ["sagemaker:CallMlflowAppApi", "sagemaker:DescribeMlflowApp"]
    assert mlflow["Resource"] == {"Fn::GetAtt": ["MlflowApp", "Arn"]}
    # MLflow's client uploads run artifacts itself, to the store only.
    puts = [s for s in _statements(prod, "SageMakerRole") if "s3:PutObject" in s["Action"]]
    assert f'/{MLFLOW_PREFIX}/*"' in json.dumps(puts)
    dev_training = _training_job(dev)["Parameters"]["Environment"]
    assert not any(name.startswith("MLFLOW_") for name in dev_training)
    assert "Mlflow" not in json.dumps(_statements(dev, "SageMakerRole"))


def test_tuning_trials_log_to_the_same_experiment(dev_switched_on):
    states = machine_definition(dev_switched_on, "ml", TRAINING_PIPELINE)["States"]
    trials = states["TuneModel"]["Parameters"]["TrainingJobDefinition"]
    assert trials["Environment"]["MLFLOW_EXPERIMENT_NAME"] == (
        f"{dev_switched_on.config.stack_id('ml')}-sentiment"
    )
    assert "MLFLOW_TRACKING_URI" in trials["Environment"]
    hyperparameters = trials["StaticHyperParameters"]
    assert hyperparameters[f"{EVALUATION_HYPERPARAMETER}.$"] == (
        "States.Format('s3://TOKEN/training-jobs/{}/evaluation/', $.job.tuning_name)"
    )
    best = states["DescribeBestModel"]["ResultSelector"]
    assert best["evaluation_uri.$"] == f"$.HyperParameters['{EVALUATION_HYPERPARAMETER}']"


def test_each_job_writes_its_evaluation_where_the_registry_reads_it(synthesised):
    for stage in synthesised.values():
        states = machine_definition(stage, "ml", TRAINING_PIPELINE)["States"]
        train = states["TrainModel"]
        assert train["Parameters"]["HyperParameters"][f"{EVALUATION_HYPERPARAMETER}.$"] == (
            "States.Format('s3://TOKEN/training-jobs/{}/evaluation/', $.job.name)"
        )
        assert train["ResultSelector"]["evaluation_uri.$"] == (
            f"$.HyperParameters['{EVALUATION_HYPERPARAMETER}']"
        )
        register = states["RegisterModel"]["Parameters"]
        assert register["ModelMetrics"] == {
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri.$": "States.Format('{}evaluation.json', $.training.evaluation_uri)",
                }
            }
        }


def test_registered_packages_serve_batch_transform_on_the_stage_instances(synthesised):
    for stage in synthesised.values():
        states = machine_definition(stage, "ml", TRAINING_PIPELINE)["States"]
        spec = states["RegisterModel"]["Parameters"]["InferenceSpecification"]
        assert spec["SupportedTransformInstanceTypes"] == [stage.config.batch.instance_type]
        assert "application/jsonlines" in spec["SupportedContentTypes"]
        assert "application/jsonlines" in spec["SupportedResponseMIMETypes"]


def test_train_py_accepts_the_evaluation_hyperparameter():
    import train

    args = train.parse_args(
        [f"--{EVALUATION_HYPERPARAMETER}", "s3://models/training-jobs/j/evaluation/"]
        + ["--model-dir", "m", "--train", "t"]
    )
    assert args.evaluation_s3_uri == "s3://models/training-jobs/j/evaluation/"


def test_the_source_bundle_ships_every_shared_module_train_py_imports():
    from stacks.ml import SHARED_MODULES, training_source_files
    from training_outputs import SHARED_MODULES as IMPORTED

    assert sorted(SHARED_MODULES) == sorted(f"{name}.py" for name in IMPORTED)
    assert {f"{name}.py" for name in IMPORTED} <= set(training_source_files())
    assert "train.py" in training_source_files()
