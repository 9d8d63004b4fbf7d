"""Tests for gameday_sandbox.py, run against the real server in a subprocess.

Requests are built the way aws-sdk-cloudwatch 1.140 builds them (path, headers and
aws-smithy-cbor body encoding: structures as indefinite-length maps, lists as
definite arrays, doubles as 64-bit floats, timestamps as tag 1 over a 64-bit float).

Run with ``python -m pytest`` from the sandbox venv.
"""

import datetime
import gzip
import http.client
import json
import select
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

import cbor2
import pytest

SERVER = Path(__file__).with_name("gameday_sandbox.py")
CLOUDWATCH_AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/monitoring/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
SSM_AUTH = CLOUDWATCH_AUTH.replace("/monitoring/", "/ssm/")
NAMESPACE = "Gameday/Test"
DIMENSIONS = [{"Name": "Service", "Value": "bookstore-api"}]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server():
    """Start the sandbox as the Rust side does; return (process, port) once it reports READY."""
    port = free_port()
    command = [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", str(port), "--exit-on-stdin-eof"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline().decode() if ready else ""
    if line.strip() != f"READY http://127.0.0.1:{port}":
        proc.kill()
        pytest.fail(f"sandbox did not report READY, got {line!r}")
    return proc, port


@pytest.fixture(scope="module")
def port():
    proc, port = start_server()
    yield port
    proc.stdin.close()
    proc.wait(timeout=10)


def _head(major, length):
    """A CBOR initial byte plus length, in the shortest form (as minicbor writes it)."""
    if length < 24:
        return bytes([major << 5 | length])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if length < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, length)
    raise ValueError(length)


def sdk_cbor(value):
    """Encode `value` the way aws-smithy-cbor's Encoder does for a generated serializer."""
    if isinstance(value, dict):
        return b"\xbf" + b"".join(sdk_cbor(k) + sdk_cbor(v) for k, v in value.items()) + b"\xff"
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(sdk_cbor(item) for item in value)
    if isinstance(value, datetime.datetime):
        return b"\xc1" + sdk_cbor(value.timestamp())
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    return cbor2.dumps(value)


def loads_keeping_tags(body):
    """Decode CBOR, keeping tag 1 as a CBORTag instead of turning it into a datetime."""
    return cbor2.loads(body, semantic_decoders={1: lambda value, _immutable: cbor2.CBORTag(1, value)})


def post(port, path, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def cloudwatch(port, operation, params, compress=False):
    """Send an rpc-v2-cbor CloudWatch call as the Rust SDK does; return (status, headers, body)."""
    body = sdk_cbor(params)
    headers = {
        "content-type": "application/cbor",
        "smithy-protocol": "rpc-v2-cbor",
        "accept": "application/cbor",
        "x-amzn-query-mode": "true",
        "x-amz-date": "20260101T000000Z",
        "amz-sdk-invocation-id": "00000000-0000-4000-8000-000000000000",
        "amz-sdk-request": "attempt=1; max=3",
        "authorization": CLOUDWATCH_AUTH,
    }
    if compress:
        body = gzip.compress(body)
        headers["content-encoding"] = "gzip"
    path = f"/service/GraniteServiceVersion20100801/operation/{operation}"
    return post(port, path, body, headers)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def metric(name):
    return {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": DIMENSIONS}


def put_metric(port, name, value, compress=False):
    datum = {**metric(name), "Timestamp": now() - datetime.timedelta(seconds=60), "Value": value}
    del datum["Namespace"]
    datum["Unit"] = "Milliseconds"
    return cloudwatch(port, "PutMetricData", {"Namespace": NAMESPACE, "MetricData": [datum]}, compress)


def assert_unit_success(status, headers, body):
    assert status == 200
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert body == b""
    assert "content-type" not in headers


def assert_cbor_success(status, headers, body):
    assert status == 200, body
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["content-type"] == "application/cbor"
    return loads_keeping_tags(body)


def assert_epoch_tag(value):
    assert isinstance(value, cbor2.CBORTag) and value.tag == 1
    assert isinstance(value.value, float)
    assert abs(value.value - now().timestamp()) < 3600
    return value.value


def test_put_metric_data_then_get_metric_data(port):
    assert_unit_success(*put_metric(port, "Latency", 42.0))
    query = {"Id": "latency", "MetricStat": {"Metric": metric("Latency"), "Period": 60, "Stat": "Average"}}
    result = assert_cbor_success(
        *cloudwatch(
            port,
            "GetMetricData",
            {
                "MetricDataQueries": [query],
                "StartTime": now() - datetime.timedelta(minutes=10),
                "EndTime": now() + datetime.timedelta(minutes=1),
            },
        )
    )
    (series,) = result["MetricDataResults"]
    assert series["Id"] == "latency"
    assert series["StatusCode"] == "Complete"
    assert series["Values"] == [42.0] and isinstance(series["Values"][0], float)
    (stamp,) = series["Timestamps"]
    assert_epoch_tag(stamp)


def test_get_metric_statistics_and_list_metrics(port):
    assert_unit_success(*put_metric(port, "Errors", 3.0))
    stats = assert_cbor_success(
        *cloudwatch(
            port,
            "GetMetricStatistics",
            {
                **metric("Errors"),
                "StartTime": now() - datetime.timedelta(minutes=10),
                "EndTime": now() + datetime.timedelta(minutes=1),
                "Period": 60,
                "Statistics": ["Sum", "SampleCount"],
            },
        )
    )
    (point,) = stats["Datapoints"]
    assert point["Sum"] == 3.0 and point["SampleCount"] == 1.0
    assert_epoch_tag(point["Timestamp"])
    listed = assert_cbor_success(*cloudwatch(port, "ListMetrics", {"Namespace": NAMESPACE}))
    assert {m["MetricName"] for m in listed["Metrics"]} >= {"Errors"}
    assert all(m["Dimensions"] == DIMENSIONS for m in listed["Metrics"])


def test_gzip_compressed_put_metric_data(port):
    assert_unit_success(*put_metric(port, "Compressed", 7.0, compress=True))
    listed = assert_cbor_success(*cloudwatch(port, "ListMetrics", {"MetricName": "Compressed"}))
    assert [m["MetricName"] for m in listed["Metrics"]] == ["Compressed"]


def put_alarm(port, name):
    alarm = {
        "AlarmName": name,
        **metric("Latency"),
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 2,
        "Threshold": 250.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    return cloudwatch(port, "PutMetricAlarm", alarm)


def describe_alarm(port, name):
    result = assert_cbor_success(*cloudwatch(port, "DescribeAlarms", {"AlarmNames": [name]}))
    assert result["CompositeAlarms"] == []
    return result["MetricAlarms"]


def test_put_metric_alarm_and_describe_alarms(port):
    assert_unit_success(*put_alarm(port, "bookstore-latency"))
    (alarm,) = describe_alarm(port, "bookstore-latency")
    assert alarm["AlarmName"] == "bookstore-latency"
    assert alarm["AlarmArn"].endswith(":alarm:bookstore-latency")
    assert alarm["Namespace"] == NAMESPACE and alarm["MetricName"] == "Latency"
    assert alarm["Dimensions"] == DIMENSIONS
    assert alarm["Period"] == 60 and type(alarm["Period"]) is int
    assert alarm["EvaluationPeriods"] == 2
    assert alarm["Threshold"] == 250.0 and isinstance(alarm["Threshold"], float)
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["ActionsEnabled"] is True
    assert alarm["StateValue"] == "OK"
    assert_epoch_tag(alarm["StateUpdatedTimestamp"])
    assert_epoch_tag(alarm["AlarmConfigurationUpdatedTimestamp"])


def test_set_alarm_state_then_delete_alarms(port):
    assert_unit_success(*put_alarm(port, "bookstore-stop"))
    state = {"AlarmName": "bookstore-stop", "StateValue": "ALARM", "StateReason": "chaos drill"}
    assert_unit_success(*cloudwatch(port, "SetAlarmState", state))
    (alarm,) = describe_alarm(port, "bookstore-stop")
    assert alarm["StateValue"] == "ALARM" and alarm["StateReason"] == "chaos drill"
    assert_unit_success(*cloudwatch(port, "DeleteAlarms", {"AlarmNames": ["bookstore-stop"]}))
    assert describe_alarm(port, "bookstore-stop") == []


def test_empty_structures_round_trip(port):
    assert sdk_cbor({}) == b"\xbf\xff"
    everything = assert_cbor_success(*cloudwatch(port, "DescribeAlarms", {}))
    assert isinstance(everything["MetricAlarms"], list)
    assert_unit_success(*put_alarm(port, "bookstore-tagged"))
    (alarm,) = describe_alarm(port, "bookstore-tagged")
    tags = {"ResourceARN": alarm["AlarmArn"], "Tags": [{"Key": "gameday", "Value": "opt-in"}]}
    status, headers, body = cloudwatch(port, "TagResource", tags)
    assert assert_cbor_success(status, headers, body) == {}
    assert body == b"\xa0"


def test_missing_alarm_is_a_resource_not_found_error(port):
    state = {"AlarmName": "no-such-alarm", "StateValue": "OK", "StateReason": "x"}
    status, headers, body = cloudwatch(port, "SetAlarmState", state)
    assert status == 404
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["content-type"] == "application/cbor"
    assert headers["x-amzn-query-error"] == "ResourceNotFound;Sender"
    error = cbor2.loads(body)
    assert error["__type"] == "com.amazonaws.cloudwatch#ResourceNotFound"
    assert isinstance(error["message"], str)


def test_modelled_error_carries_its_query_code(port):
    datum = {"MetricName": "Both", "Value": 1.0, "Values": [1.0]}
    status, headers, body = cloudwatch(port, "PutMetricData", {"Namespace": NAMESPACE, "MetricData": [datum]})
    assert status == 400
    assert headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"
    error = cbor2.loads(body)
    assert error["__type"] == "com.amazonaws.cloudwatch#InvalidParameterValueException"
    assert "mutually exclusive" in error["message"]


def test_other_requests_pass_through(port):
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonSSM.PutParameter",
        "authorization": SSM_AUTH,
    }
    parameter = {"Name": "/gameday/kill-switch", "Value": "off", "Type": "String"}
    status, response_headers, body = post(port, "/", json.dumps(parameter).encode(), headers)
    assert status == 200
    assert response_headers["content-type"] == "application/x-amz-json-1.1"
    assert json.loads(body)["Version"] == 1
    assert "smithy-protocol" not in response_headers


def test_exits_when_stdin_closes():
    proc, _ = start_server()
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0


def test_exits_cleanly_on_sigterm():
    proc, _ = start_server()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    proc.stdin.close()
