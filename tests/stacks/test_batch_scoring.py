"""Batch scoring: the machine's steps, the Transform request, its IAM, table and queries."""

from __future__ import annotations

import json

import pytest
from machine_definitions import (
    BATCH_SCORING,
    follow,
    machine_definition,
    machine_logical_id,
    tasks_catching_everything,
)

from lake_layout import PREDICTIONS_TABLE
from stacks.constructs.ml.scored_reviews import PARTITION_KEYS


@pytest.fixture(scope="module")
def definitions(synthesised):
    return {name: machine_definition(s, "ml", BATCH_SCORING) for name, s in synthesised.items()}


def _raw_definition(stage) -> list:
    """The definition's Fn::Join parts: strings and the references between them."""
    logical_id = machine_logical_id(stage, "ml", BATCH_SCORING)
    machine = stage.template("ml").to_json()["Resources"][logical_id]
    return machine["Properties"]["DefinitionString"]["Fn::Join"][1]


def _reference_after(parts: list, marker: str) -> str:
    """JSON of the reference that follows the string part ending with `marker`."""
    (index,) = [i for i, p in enumerate(parts) if isinstance(p, str) and p.endswith(marker)]
    return json.dumps(parts[index + 1])


def _policy(stage, prefix: str) -> list[dict]:
    policies = [
        v
        for k, v in stage.template("ml").find_resources("AWS::IAM::Policy").items()
        if k.startswith(prefix)
    ]
    assert len(policies) == 1, prefix
    return policies[0]["Properties"]["PolicyDocument"]["Statement"]


def _actions(statement: dict) -> set[str]:
    actions = statement["Action"]
    return {a.lower() for a in ([actions] if isinstance(actions, str) else actions)}


def test_a_run_resolves_the_package_scores_registers_and_notifies(definitions):
    definition = definitions["dev"]
    states = definition["States"]
    given = follow(states, definition["StartAt"])
    assert given == [
        "ApplyDefaults",
        "ReadRequest",
        "ValidRequest",
        "PackageGiven",
        "UseGivenPackage",
        "NameRun",
        "CreateModel",
        "Transform",
        "DeleteModel",
        "RegisterPartition",
        "NotifyScored",
        "Scored",
    ]
    # What the request leaves out comes from the defaults; what it says wins.
    assert states["ApplyDefaults"]["Parameters"] == {
        "defaults": {"input_prefix": "", "compression": "Gzip"},
        "given.$": "$",
    }
    assert states["ReadRequest"]["Parameters"] == {
        "request.$": "States.JsonMerge($.defaults, $.given, false)"
    }
    # Without a package in the request: the newest Approved one of the group.
    assert states["PackageGiven"]["Choices"][0] == {
        "Variable": "$.request.model_package_arn",
        "IsPresent": True,
        "Next": "UseGivenPackage",
    }
    assert follow(states, states["PackageGiven"]["Default"])[:4] == [
        "LatestApproved",
        "HasApproved",
        "UseLatestPackage",
        "NameRun",
    ]
    latest = states["LatestApproved"]
    assert latest["Resource"].endswith(":states:::aws-sdk:sagemaker:listModelPackages")
    assert latest["Parameters"] == {
        "ModelPackageGroupName": "reviews-dev-ml-sentiment",
        "ModelApprovalStatus": "Approved",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": 1,
    }
    assert states["UseLatestPackage"]["Parameters"] == {
        "arn.$": "$.latest.packages[0].ModelPackageArn"
    }


def test_every_failure_notifies_the_topic_and_fails_the_run(definitions):
    for definition in definitions.values():
        states = definition["States"]
        catches = tasks_catching_everything(states)
        del catches["NotifyFailure"], catches["NotifyScored"]
        assert set(catches) >= {"LatestApproved", "CreateModel", "Transform", "RegisterPartition"}
        # A failed transform deletes the run's model first; every other failure notifies.
        assert catches.pop("Transform") == "DeleteModelAfterFailure"
        assert set(catches.values()) == {"NotifyFailure"}
        cleanup = states["DeleteModelAfterFailure"]
        assert cleanup["Next"] == "NotifyFailure"
        assert cleanup["Catch"][0]["ResultPath"] == "$.cleanup_error"
        assert states["Transform"]["Catch"][0]["ResultPath"] == "$.error"
        for delete in ("DeleteModel", "DeleteModelAfterFailure"):
            assert states[delete]["Parameters"] == {"ModelName.$": "$.run.name"}
            assert states[delete]["Retry"][0]["MaxAttempts"] == 3
        assert states["NotifyFailure"]["Next"] == "ScoringFailed"
        assert states["ScoringFailed"] == {"Type": "Fail", "Error": "BatchScoringFailed"}
        # A request without an s3:// prefix, or no approved package: say why, then fail.
        assert states["ValidRequest"]["Choices"][0]["StringMatches"] == "s3://*"
        failures = {"ValidRequest": "InvalidRequest", "HasApproved": "NoApprovedPackage"}
        for check, error in failures.items():
            failure = states[states[check]["Default"]]
            assert failure["Result"]["Error"] == error
            assert (failure["ResultPath"], failure["Next"]) == ("$.error", "NotifyFailure")


def test_transform_waits_for_a_multirecord_jsonlines_job_as_configured(synthesised, definitions):
    for name, stage in synthesised.items():
        batch = stage.config.batch
        transform = definitions[name]["States"]["Transform"]
        assert transform["Resource"].endswith(":states:::sagemaker:createTransformJob.sync")
        assert transform["TimeoutSeconds"] == batch.timeout_minutes * 60
        params = transform["Parameters"]
        assert params["BatchStrategy"] == "MultiRecord"
        assert params["MaxPayloadInMB"] == batch.max_payload_mb
        assert params["MaxConcurrentTransforms"] == batch.max_concurrent_transforms
        assert params["TransformInput"] == {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.request.input_prefix"}
            },
            "ContentType": "application/jsonlines",
            "CompressionType.$": "$.request.compression",
            "SplitType": "Line",
        }
        output = params["TransformOutput"]
        assert (output["Accept"], output["AssembleWith"]) == ("application/jsonlines", "Line")
        assert output["S3OutputPath.$"] == "$.run.output_uri"
        resources = params["TransformResources"]
        assert resources["InstanceType"] == batch.instance_type
        assert resources["InstanceCount"] == batch.instance_count
        assert params["DataProcessing"]["JoinSource"] == "None"
        assert {"Key": "project", "Value": "reviews"} in params["Tags"]
        # The model and the job share the run's generated name.
        assert params["TransformJobName.$"] == params["ModelName.$"] == "$.run.name"


def test_output_and_volume_are_encrypted_with_the_lake_key(synthesised):
    for stage in synthesised.values():
        parts = _raw_definition(stage)
        for marker in ('"KmsKeyId":"', '"VolumeKmsKeyId":"'):
            assert "DataKey" in _reference_after(parts, marker), marker


def test_predictions_land_in_a_run_folder_of_the_predictions_bucket(definitions, dev):
    run = definitions["dev"]["States"]["NameRun"]["Parameters"]
    assert run["id.$"] == "$$.Execution.Name"
    assert run["date.$"] == (
        "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)"
    )
    assert run["output_uri.$"].startswith(
        f"States.Format('s3://TOKEN/{PREDICTIONS_TABLE}/run_date={{}}/run_id={{}}/', "
    )
    assert "PredictionsBucket" in _reference_after(_raw_definition(dev), "States.Format('s3://")
    model = definitions["dev"]["States"]["CreateModel"]["Parameters"]
    assert model["PrimaryContainer"] == {"ModelPackageName.$": "$.package.arn"}
    assert model["EnableNetworkIsolation"] is True


def test_the_run_registers_its_partition_in_the_workgroup(definitions, dev):
    register = definitions["dev"]["States"]["RegisterPartition"]
    assert register["Resource"].endswith(":states:::athena:startQueryExecution.sync")
    query = register["Parameters"]["QueryString.$"]
    assert "ADD IF NOT EXISTS PARTITION (run_date = \\'{}\\', run_id = \\'{}\\')" in query
    assert query.endswith("$.run.date, $.run.id, $.run.output_uri)")
    assert "Workgroup" in _reference_after(_raw_definition(dev), '"WorkGroup":"')


def test_machine_role_holds_exactly_what_its_steps_call(dev):
    statements = _policy(dev, "BatchScoringStateMachineRole")
    by_actions = {frozenset(_actions(s)): s for s in statements}
    transform = by_actions[
        frozenset(
            a.lower()
            for a in (
                "sagemaker:CreateTransformJob",
                "sagemaker:DescribeTransformJob",
                "sagemaker:StopTransformJob",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            )
        )
    ]
    assert json.dumps(transform["Resource"]).endswith(':transform-job/batch-*"]]}')
    models = by_actions[frozenset({"sagemaker:createmodel", "sagemaker:deletemodel"})]
    assert json.dumps(models["Resource"]).endswith(':model/batch-*"]]}')
    rule = by_actions[frozenset({"events:putrule", "events:puttargets", "events:describerule"})]
    assert "rule/StepFunctionsGetEventsForSageMakerTransformJobsRule" in json.dumps(rule)
    (pass_role,) = [s for s in statements if _actions(s) == {"iam:passrole"}]
    assert "BatchScoringModelRole" in json.dumps(pass_role["Resource"])
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    queries = {f"athena:{verb}queryexecution" for verb in ("start", "get", "stop")}
    athena = by_actions[frozenset(queries)]
    assert ":workgroup/" in json.dumps(athena["Resource"])
    (glue,) = [s for s in statements if any(a.startswith("glue:") for a in _actions(s))]
    # The catalog, the lake database and the scored_reviews table (by reference), no more.
    assert len(glue["Resource"]) == 3
    assert '"/", {"Ref": "BatchScoringScoredReviewsTable' in json.dumps(glue["Resource"][2])
    assert not any("delete" in a for a in _actions(glue))
    writes = [s for s in statements if "s3:putobject" in _actions(s)]
    assert [json.dumps(s["Resource"]).split('"')[-2] for s in writes] == ["/results/*"]
    # Only the calls that take no resource ARN are on "*".
    (anywhere,) = [s for s in statements if s["Resource"] == "*"]
    assert {a for a in _actions(anywhere) if not a.startswith(("logs:", "xray:"))} == {
        "sagemaker:listmodelpackages"
    }


def test_model_role_reads_artifacts_and_input_and_writes_only_predictions(dev):
    statements = _policy(dev, "BatchScoringModelRole")
    text = json.dumps(statements)
    for readable in ("/training-jobs/*", "/curated_reviews/scoring/*", "/batch-input/*"):
        assert readable in text
    writes = [s for s in statements if "s3:putobject" in _actions(s)]
    assert len(writes) == 1 and "PredictionsBucket" in json.dumps(writes[0]["Resource"])
    assert json.dumps(writes[0]["Resource"]).endswith(f'/{PREDICTIONS_TABLE}/*"]]}}')
    assert not any(a.startswith("s3:delete") for s in statements for a in _actions(s))
    (kms,) = [s for s in statements if "kms:decrypt" in _actions(s)]
    assert "kms:generatedatakey*" in _actions(kms) and "DataKey" in json.dumps(kms)


def test_scored_reviews_table_follows_the_output_contract(dev):
    (table,) = dev.template("ml").find_resources("AWS::Glue::Table").values()
    table_input = table["Properties"]["TableInput"]
    assert table_input["Name"] == PREDICTIONS_TABLE
    assert [k["Name"] for k in table_input["PartitionKeys"]] == list(PARTITION_KEYS)
    # Partitions are registered per run, not projected.
    assert not any(k.startswith("projection") for k in table_input["Parameters"])
    storage = table_input["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    columns = {c["Name"]: c["Type"] for c in storage["Columns"]}
    assert columns == {
        "review_id": "string",
        "label": "string",
        "score": "double",
        "probability_positive": "double",
        "uncertain": "boolean",
        "true_label": "string",
        "line": "int",
        "error": "struct<code:string,message:string>",
    }
    location = json.dumps(storage["Location"])
    assert "PredictionsBucket" in location and location.endswith(f'/{PREDICTIONS_TABLE}/"]]}}')


def test_named_queries_compare_runs(dev):
    queries = dev.template("ml").find_resources("AWS::Athena::NamedQuery").values()
    sql = {q["Properties"]["QueryString"] for q in queries}
    assert len(sql) == 3
    for query in sql:
        assert f"FROM {PREDICTIONS_TABLE}" in query and "GROUP BY run_date, run_id" in query
    text = " ".join(sql)
    assert "floor(probability_positive * 10)" in text
    assert "CASE WHEN uncertain THEN 1.0 ELSE 0.0 END) AS uncertain_share" in text
    assert "label = true_label" in text and "true_label IS NOT NULL" in text


def test_a_schedule_scores_the_etl_scoring_channel(synthesised, dev_switched_on):
    for stage in synthesised.values():
        assert stage.config.batch.schedule is None  # on demand unless configured
        rules = stage.template("ml").find_resources("AWS::Events::Rule")
        assert not any("BatchScoring" in k for k in rules)
    rules = dev_switched_on.template("ml").find_resources("AWS::Events::Rule")
    (rule,) = [r for k, r in rules.items() if k.startswith("BatchScoringScheduled")]
    props = rule["Properties"]
    assert props["ScheduleExpression"] == dev_switched_on.config.batch.schedule
    (target,) = props["Targets"]
    assert "BatchScoringStateMachine" in json.dumps(target["Arn"])
    request = json.dumps(target["Input"])
    assert "CuratedBucket" in request and "/curated_reviews/scoring/" in request
    assert '\\"compression\\":\\"Gzip\\"' in request
