"""Python peer of the five phase functions (prepare, inject, observe, recover, validate) for the
Lambda start benchmark: at import (Lambda's init) it creates what `ports_from_env` in
crates/phases/src/lambda.rs creates, one boto3 client per service: EC2 (instances and
actions), SSM (parameters and commands), CloudWatch, DynamoDB, SNS, FIS and Route 53, and an
HTTP client for the HTTP probes. Only start-up is measured; the handler serves no event."""

import os

import boto3
import urllib3

TABLE_NAME = os.environ.get("TABLE_NAME", "gameday")
ec2 = boto3.client("ec2")
ssm = boto3.client("ssm")
cloudwatch = boto3.client("cloudwatch")
dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")
fis = boto3.client("fis")
route53 = boto3.client("route53")
# The probes' HTTP client: no retries, no redirects (as ReqwestHttpChecker).
http = urllib3.PoolManager(retries=False, headers={"User-Agent": "gameday-probe-peer"})


def handler(event, context):
    raise NotImplementedError("a start-up peer: only its init is benchmarked")
