"""The training pipeline: state order, failure paths, spot, gate, registry, scoped IAM."""

from __future__ import annotations

import json
import re

import pytest
from machine_definitions import TRAINING_PIPELINE, follow, machine_definition

from stacks.constructs.ml.training_job import TUNING_RANGES
from training_metrics import GATE_METRIC


@pytest.fixture(scope="module")
def definitions(synthesised):
    return {
        name: machine_definition(stage, "ml", TRAINING_PIPELINE)
        for name, stage in synthesised.items()
    }


def test_happy_path_runs_etl_then_catalog_quality_training_gate_registry(definitions):
    states = definitions["dev"]["States"]
    path = follow(states, definitions["dev"]["StartAt"])
    assert path[:3] == ["RunEtl", "RefreshCatalog", "WaitForCatalog"]
    # the catalog choice loops back to the wait until the crawler is READY
    ready = states["CatalogReady"]
    assert ready["Default"] == "WaitForCatalog"
    assert ready["Choices"][0]["Next"] == "StartQualityCheck"
    after_catalog = follow(states, "StartQualityCheck")
    assert after_catalog == [
        "StartQualityCheck",
        "NameTrainingJob",
        "TrainModel",
        "AccuracyGate",
        "RegisterModel",
        "NotifyRegistered",
        "ModelRegistered",
    ]


def test_etl_and_training_wait_for_completion(definitions):
    states = definitions["dev"]["States"]
    assert states["RunEtl"]["Resource"].endswith(":states:::glue:startJobRun.sync")
    assert states["TrainModel"]["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")


def test_every_task_notifies_and_fails_on_error(definitions):
    for definition in definitions.values():
        states = definition["States"]
        tasks = [n for n, s in states.items() if s["Type"] == "Task" and n != "NotifyFailure"]
        assert len(tasks) >= 7
        for name in tasks:
            catch_all = [
                c for c in states[name].get("Catch", []) if "States.ALL" in c["ErrorEquals"]
            ]
            assert catch_all and catch_all[0]["Next"] == "NotifyFailure", name
        assert states["NotifyFailure"]["Resource"].endswith(":states:::sns:publish")
        assert states["NotifyFailure"]["Next"] == "PipelineFailed"
        assert states["PipelineFailed"]["Type"] == "Fail"
        assert states["ModelRejected"]["Type"] == "Fail"


def test_gate_threshold_comes_from_stage_config(synthesised, definitions):
    for name, stage in synthesised.items():
        gate = definitions[name]["States"]["AccuracyGate"]
        rule = gate["Choices"][0]
        assert rule["Variable"] == "$.training.accuracy"
        assert rule["NumericGreaterThanEquals"] == stage.config.training.accuracy_threshold
        assert gate["Default"] == "NotifyRejected"
    assert (
        synthesised["prod"].config.training.accuracy_threshold
        > synthesised["dev"].config.training.accuracy_threshold
    )


def test_training_uses_spot_with_checkpoints_and_stage_instances(synthesised, definitions):
    for name, stage in synthesised.items():
        training = stage.config.training
        params = definitions[name]["States"]["TrainModel"]["Parameters"]
        assert params["EnableManagedSpotTraining"] is True
        stopping = params["StoppingCondition"]
        assert stopping["MaxRuntimeInSeconds"] == training.max_runtime_seconds
        assert stopping["MaxWaitTimeInSeconds"] == training.max_wait_seconds
        assert stopping["MaxWaitTimeInSeconds"] >= stopping["MaxRuntimeInSeconds"]
        assert "checkpoints/" in params["CheckpointConfig"]["S3Uri.$"]
        assert params["ResourceConfig"]["InstanceType"] == training.instance_type
        assert params["ResourceConfig"]["InstanceCount"] == training.instance_count
        assert [c["ChannelName"] for c in params["InputDataConfig"]] == [
            "train",
            "validation",
            "test",
        ]
        assert json.loads(params["HyperParameters"]["sagemaker_program"]) == "train.py"
        assert params["AlgorithmSpecification"]["MetricDefinitions"] == [GATE_METRIC]


def test_gate_metric_regex_reads_what_train_py_prints():
    match = re.search(GATE_METRIC["Regex"], "validation:accuracy=0.9231\n")
    assert match and float(match.group(1)) == pytest.approx(0.9231)
    assert re.search(GATE_METRIC["Regex"], "test:accuracy=0.5") is None


def test_registration_status_per_stage(synthesised, definitions):
    for name, stage in synthesised.items():
        params = definitions[name]["States"]["RegisterModel"]["Parameters"]
        assert params["ModelApprovalStatus"] == stage.config.training.approval_status
        container = params["InferenceSpecification"]["Containers"][0]
        assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
        assert container["ModelDataUrl.$"] == "$.training.model_data"
    assert (
        definitions["prod"]["States"]["RegisterModel"]["Parameters"]["ModelApprovalStatus"]
        == "PendingManualApproval"
    )


def test_model_package_group_exists(dev):
    dev.template("ml").has_resource_properties(
        "AWS::SageMaker::ModelPackageGroup",
        {"ModelPackageGroupName": f"{dev.config.stack_id('ml')}-sentiment"},
    )


def test_image_uri_comes_from_the_region_table(dev):
    from scripts.sklearn_images import IMAGE_TABLE

    mappings = dev.template("ml").to_json()["Mappings"]
    (table,) = [m for m in mappings.values() if "us-east-1" in m]
    version = dev.config.training.sklearn_framework_version
    expected = json.loads(IMAGE_TABLE.read_text())[version]["eu-west-1"]["training"]
    assert table["eu-west-1"]["training"] == expected
    assert len(table) > 20


def _role_statements(template, prefix: str) -> list[dict]:
    policies = [
        v for k, v in template.find_resources("AWS::IAM::Policy").items() if k.startswith(prefix)
    ]
    assert len(policies) == 1, prefix
    return policies[0]["Properties"]["PolicyDocument"]["Statement"]


def test_sagemaker_role_reads_curated_and_writes_only_model_prefixes(dev):
    statements = _role_statements(dev.template("ml"), "SageMakerRole")
    text = json.dumps(statements)
    assert "/curated_reviews/*" in text
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    write_text = json.dumps(writes)
    assert "CuratedBucket" not in write_text and "RawBucket" not in write_text
    assert "/training-jobs/*" in write_text and "/checkpoints/*" in write_text
    pulls = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert "repository/sagemaker-scikit-learn" in json.dumps(pulls)
    for statement in statements:
        assert statement["Action"] != "*"


def test_pipeline_role_passes_only_the_sagemaker_role_to_sagemaker(dev):
    statements = _role_statements(dev.template("ml"), "PipelineStateMachineRole")
    passes = [s for s in statements if s["Action"] == "iam:PassRole"]
    sagemaker_pass = [
        s
        for s in passes
        if s["Condition"]["StringEquals"]["iam:PassedToService"] == "sagemaker.amazonaws.com"
    ]
    assert len(sagemaker_pass) == 1
    assert "SageMakerRole" in json.dumps(sagemaker_pass[0]["Resource"])
    training = [s for s in statements if "sagemaker:CreateTrainingJob" in s["Action"]]
    assert json.dumps(training[0]["Resource"]).endswith(':training-job/sentiment-*"]]}')


def test_state_machines_log_everything_and_trace(dev):
    # The training pipeline and batch scoring alike.
    machines = dev.template("ml").find_resources("AWS::StepFunctions::StateMachine")
    assert len(machines) == 2
    for machine in machines.values():
        props = machine["Properties"]
        assert props["TracingConfiguration"] == {"Enabled": True}
        logging = props["LoggingConfiguration"]
        assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", True)
        (destination,) = logging["Destinations"]
        assert "ExecutionLogs" in json.dumps(destination)


def test_dev_starts_on_raw_uploads_and_prod_on_a_schedule(dev, prod):
    dev_rules = dev.template("ml").find_resources("AWS::Events::Rule")
    patterns = [r["Properties"].get("EventPattern") for r in dev_rules.values()]
    (upload,) = [p for p in patterns if p]
    assert upload["detail-type"] == ["Object Created"]
    assert "RawBucket" in json.dumps(upload["detail"]["bucket"]["name"])
    prod_rules = prod.template("ml").find_resources("AWS::Events::Rule")
    schedules = [r["Properties"].get("ScheduleExpression") for r in prod_rules.values()]
    assert prod.config.training.schedule in schedules
    assert all(r["Properties"].get("EventPattern") is None for r in prod_rules.values())


def test_tuning_switch_replaces_training_with_a_bayesian_search(dev_switched_on, dev):
    tuned = dev_switched_on
    assert tuned.config.training.tuning_enabled
    states = machine_definition(tuned, "ml", TRAINING_PIPELINE)["States"]
    assert "TrainModel" not in states
    tune = states["TuneModel"]
    assert tune["Resource"].endswith(":states:::sagemaker:createHyperParameterTuningJob.sync")
    config = tune["Parameters"]["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {
        "Type": "Maximize",
        "MetricName": "validation:accuracy",
    }
    assert config["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": tuned.config.training.tuning_max_jobs,
        "MaxParallelTrainingJobs": tuned.config.training.tuning_max_parallel_jobs,
    }
    definition = tune["Parameters"]["TrainingJobDefinition"]
    assert definition["EnableManagedSpotTraining"] is True
    assert "$.job.tuning_name" in definition["CheckpointConfig"]["S3Uri.$"]
    assert tune["Next"] == "DescribeBestModel"
    assert states["DescribeBestModel"]["Next"] == "AccuracyGate"
    assert states["DescribeBestModel"]["Catch"][0]["Next"] == "NotifyFailure"
    tuned_policy = json.dumps(tuned.template("ml").find_resources("AWS::IAM::Policy"))
    plain_policy = json.dumps(dev.template("ml").find_resources("AWS::IAM::Policy"))
    assert "sagemaker:CreateHyperParameterTuningJob" in tuned_policy
    assert "sagemaker:CreateHyperParameterTuningJob" not in plain_policy
    ranges = config["ParameterRanges"]
    assert ranges == TUNING_RANGES


def test_tuning_ranges_name_arguments_train_py_accepts():
    # A tuned name train.py does not know would fail every trial of the tuning job.
    import train

    names = []
    for kind in ("ContinuousParameterRanges", "IntegerParameterRanges"):
        for parameter in TUNING_RANGES.get(kind, []):
            names.append(parameter["Name"])
            for bound in ("MinValue", "MaxValue"):
                args = train.parse_args(
                    [f"--{parameter['Name']}", parameter[bound], "--model-dir", "m", "--train", "t"]
                )
                value = getattr(args, parameter["Name"].replace("-", "_"))
                assert value == float(parameter[bound])
    assert len(names) == len(set(names)) >= 3
