"""Python peer of the failover function for the Lambda start benchmark: at import (Lambda's
init) it creates what serve_failover in crates/bootstrap/src/wiring.rs creates, one boto3 client per service:
EC2, SSM, CloudWatch, DynamoDB, SNS, FIS and Route 53 (its AwsClients and DNS), RDS, and S3
with path-style addresses, and an HTTP client for the HTTP checks. Only start-up is measured;
the handler serves no event."""

import os

import boto3
import urllib3
from botocore.config import Config

TABLE_NAME = os.environ.get("TABLE_NAME", "gameday")
TOPIC_ARN = os.environ.get("TOPIC_ARN")
ec2 = boto3.client("ec2")
ssm = boto3.client("ssm")
cloudwatch = boto3.client("cloudwatch")
dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")
fis = boto3.client("fis")
route53 = boto3.client("route53")
rds = boto3.client("rds")
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
http = urllib3.PoolManager(retries=False, headers={"User-Agent": "gameday-probe-peer"})


def handler(event, context):
    raise NotImplementedError("a start-up peer: only its init is benchmarked")
