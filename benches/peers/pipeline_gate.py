"""Python peer of the pipeline-gate function for the Lambda start benchmark: at import
(Lambda's init) it creates what serve_gate in crates/bootstrap/src/wiring.rs creates: Step Functions,
DynamoDB and CodePipeline clients. Only start-up is measured; the handler serves no event."""

import os

import boto3

TABLE_NAME = os.environ.get("TABLE_NAME", "gameday")
stepfunctions = boto3.client("stepfunctions")
dynamodb = boto3.client("dynamodb")
codepipeline = boto3.client("codepipeline")


def handler(event, context):
    raise NotImplementedError("a start-up peer: only its init is benchmarked")
