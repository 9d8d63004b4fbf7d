"""gameday's local AWS sandbox: moto's server with a CloudWatch rpc-v2-cbor front.

Why this exists: the Rust ``aws-sdk-cloudwatch`` speaks the Smithy RPC v2 CBOR
protocol, while moto 5.2.5 serves CloudWatch only in awsJson1_0 and awsQuery and
answers CBOR requests with 404. This module runs moto's own WSGI application
(the one ``moto_server`` runs) behind a small middleware that translates
CloudWatch rpc-v2-cbor calls to awsJson1_0 calls of the same operation, in
process, and translates the answers back. Every other request reaches moto
untouched.

Wire format handled by the front (Smithy RPC v2 CBOR protocol,
https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html):

* request: ``POST {prefix?}/service/GraniteServiceVersion20100801/operation/<Op>``
  with ``smithy-protocol: rpc-v2-cbor``; body a CBOR map (possibly indefinite
  length, possibly gzip-compressed with ``Content-Encoding: gzip``), timestamps
  as tag 1 epoch seconds, blobs as byte strings;
* success: 200, ``smithy-protocol: rpc-v2-cbor``, ``Content-Type: application/cbor``
  and a CBOR map; operations whose output is Unit get an empty body and no
  ``Content-Type``;
* error: moto's status, a CBOR map ``{"__type": "com.amazonaws.cloudwatch#<Shape>",
  "message": ...}`` plus the error shape's other members, and, because CloudWatch
  carries ``@awsQueryCompatible``, ``x-amzn-query-error: <QueryCode>;<Sender|Receiver>``,
  the header from which the SDK takes the error code it matches on.

Usage::

    python gameday_sandbox.py --host 127.0.0.1 --port N [--exit-on-stdin-eof] [--verbose]

It prints ``READY http://HOST:PORT`` on stdout once the socket listens (``--port 0``
picks a free port and reports it there).

moto 5.2.5 answers every CloudWatch operation gameday uses (PutMetricData,
GetMetricData, GetMetricStatistics, ListMetrics, PutMetricAlarm, DescribeAlarms,
SetAlarmState, DeleteAlarms) correctly in awsJson1_0, so all operations are
forwarded as JSON; none needs the query protocol. Operations moto lacks come back
as 501 ``NotImplemented``.
"""

import argparse
import base64
import gzip
import io
import json
import logging
import os
import re
import signal
import sys
import threading
import traceback
from http import HTTPStatus

import botocore.session
import cbor2
from botocore.model import OperationNotFoundError
from botocore.utils import parse_timestamp
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.wsgi import get_input_stream

SMITHY_PROTOCOL = "rpc-v2-cbor"
CBOR_CONTENT_TYPE = "application/cbor"
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
# botocore's model keeps the Smithy service name (targetPrefix) but not its namespace.
CLOUDWATCH_NAMESPACE = "com.amazonaws.cloudwatch"
RPC_PATH = re.compile(r"/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$")
# Headers of the CBOR request that must not reach moto's JSON handler.
DROPPED_REQUEST_KEYS = (
    "HTTP_SMITHY_PROTOCOL",
    "HTTP_ACCEPT",
    "HTTP_CONTENT_ENCODING",
    "HTTP_TRANSFER_ENCODING",
    "HTTP_X_AMZN_QUERY_MODE",
    "wsgi.input_terminated",
)
# moto response headers carried over to the CBOR response.
KEPT_RESPONSE_HEADERS = ("x-amzn-requestid", "x-amzn-query-error")


class CborFront:
    """WSGI middleware: CloudWatch rpc-v2-cbor in front of moto's awsJson1_0."""

    def __init__(self, app):
        self.app = app
        self.model = botocore.session.get_session().get_service_model("cloudwatch")
        prefix = self.model.metadata["targetPrefix"]
        self.service_names = {prefix, f"{CLOUDWATCH_NAMESPACE}.{prefix}"}

    def __call__(self, environ, start_response):
        operation = self._operation_name(environ)
        if operation is None:
            return self.app(environ, start_response)
        status, headers, body = self._handle(environ, operation)
        start_response(f"{status} {_reason(status)}", headers)
        return [body]

    def _operation_name(self, environ):
        """The operation of an rpc-v2-cbor CloudWatch request, else None."""
        if environ.get("REQUEST_METHOD") != "POST":
            return None
        if environ.get("HTTP_SMITHY_PROTOCOL", "").lower() != SMITHY_PROTOCOL:
            return None
        match = RPC_PATH.search(environ.get("PATH_INFO", ""))
        if match is None or match["service"] not in self.service_names:
            return None
        return match["operation"]

    def _handle(self, environ, operation):
        try:
            op_model = self.model.operation_model(operation)
        except OperationNotFoundError:
            return cbor_error(404, "UnknownOperationException", f"no CloudWatch operation {operation}")
        if "HTTP_X_AMZ_TARGET" in environ or "HTTP_X_AMZN_TARGET" in environ:
            return cbor_error(
                400, "SerializationException", "rpc-v2-cbor requests must not carry X-Amz-Target"
            )
        try:
            params = decode_request(environ)
            document = to_json_value(params, op_model.input_shape) if op_model.input_shape else {}
        except (cbor2.CBORDecodeError, ValueError, TypeError, AttributeError, EOFError, OSError) as exc:
            return cbor_error(400, "SerializationException", f"malformed CBOR request body: {exc!r}")
        status, headers, body = self._call_moto(environ, op_model, json.dumps(document).encode())
        kept = [(name, value) for name, value in headers if name.lower() in KEPT_RESPONSE_HEADERS]
        if status == 200:
            return success_response(op_model, body, kept)
        return self._error_response(op_model, status, body, kept)

    def _call_moto(self, environ, op_model, body):
        """Run the awsJson1_0 form of the call through moto; returns (status, headers, body)."""
        inner = json_environ(environ, self.model.metadata["targetPrefix"], op_model.name, body)
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = int(status.split()[0]), headers

        try:
            chunks = self.app(inner, start_response)
            try:
                payload = b"".join(chunks)
            finally:
                getattr(chunks, "close", lambda: None)()
        except NotImplementedError as exc:
            return 501, [], json.dumps({"__type": "NotImplemented", "message": str(exc)}).encode()
        except Exception as exc:  # noqa: BLE001 - moto's failures become a 500 for the caller
            traceback.print_exc()
            return 500, [], json.dumps({"__type": "InternalFailure", "message": repr(exc)}).encode()
        return captured["status"], captured["headers"], payload

    def _error_response(self, op_model, status, body, headers):
        """moto's JSON error as an rpc-v2-cbor error of the matching modelled shape."""
        document = _json_object(body)
        query_error = next((v for n, v in headers if n.lower() == "x-amzn-query-error"), "")
        code = str(document.get("__type", "")).rpartition("#")[2] or query_error.partition(";")[0]
        code = code or "UnknownError"
        shape = self._error_shape(op_model, code)
        members = to_cbor_value(document, shape) if shape is not None else {}
        members.setdefault("message", _error_message(document, body))
        if not query_error:
            headers = headers + [("x-amzn-query-error", _query_error(shape, code, status))]
        return cbor_error(status, shape.name if shape is not None else code, members=members, headers=headers)

    def _error_shape(self, op_model, code):
        """The modelled error whose shape name, or failing that query code, is `code`."""
        candidates = list(op_model.error_shapes) + list(self.model.error_shapes)
        for matches in (lambda s: s.name == code, lambda s: s.error_code == code):
            found = next((shape for shape in candidates if matches(shape)), None)
            if found is not None:
                return found
        return None


def decode_request(environ):
    """The CBOR request body as Python values ({} when the body is empty)."""
    raw = get_input_stream(environ).read()
    if "gzip" in environ.get("HTTP_CONTENT_ENCODING", "").lower():
        raw = gzip.decompress(raw)
    params = cbor2.loads(raw) if raw else {}
    if not isinstance(params, dict):
        raise ValueError("the request body is not a CBOR map")
    return params


def json_environ(environ, target_prefix, operation, body):
    """A copy of `environ` re-addressed as the awsJson1_0 request for `operation`."""
    inner = {key: value for key, value in environ.items() if key not in DROPPED_REQUEST_KEYS}
    inner.update(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "CONTENT_TYPE": JSON_CONTENT_TYPE,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_AMZ_TARGET": f"{target_prefix}.{operation}",
            "wsgi.input": io.BytesIO(body),
        }
    )
    return inner


def success_response(op_model, body, headers):
    headers = [("smithy-protocol", SMITHY_PROTOCOL)] + headers
    if op_model.output_shape is None:  # Unit output: no body, no Content-Type
        return 200, headers + [("Content-Length", "0")], b""
    payload = cbor2.dumps(to_cbor_value(_json_object(body), op_model.output_shape))
    return 200, headers + _cbor_headers(payload), payload


def cbor_error(status, shape_name, message=None, members=None, headers=()):
    """An rpc-v2-cbor error: a CBOR map with `__type` set to the absolute shape id."""
    document = dict(members or {})
    if message is not None:
        document["message"] = message
    document["__type"] = f"{CLOUDWATCH_NAMESPACE}#{shape_name}"
    payload = cbor2.dumps(document)
    return status, [("smithy-protocol", SMITHY_PROTOCOL), *headers] + _cbor_headers(payload), payload


def to_json_value(value, shape):
    """Decoded CBOR -> awsJson1_0 document: timestamps as epoch seconds, blobs as base64."""
    return _walk(value, shape, _json_scalar)


def to_cbor_value(value, shape):
    """awsJson1_0 document -> CBOR-ready values: tag 1 timestamps, byte-string blobs."""
    return _walk(value, shape, _cbor_scalar)


def _walk(value, shape, scalar):
    """Rebuild `value` along `shape`, dropping nulls and members the model lacks."""
    kind = shape.type_name
    if kind == "structure":
        return {
            name: _walk(member, shape.members[name], scalar)
            for name, member in value.items()
            if name in shape.members and not _is_null(member)
        }
    if kind == "list":
        return [_walk(item, shape.member, scalar) for item in value]
    if kind == "map":
        return {key: _walk(item, shape.value, scalar) for key, item in value.items()}
    return scalar(value, kind)


def _json_scalar(value, kind):
    if kind == "timestamp" and hasattr(value, "timestamp"):
        return value.timestamp()
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value


def _cbor_scalar(value, kind):
    if kind == "timestamp":
        seconds = value if isinstance(value, (int, float)) else parse_timestamp(value).timestamp()
        return cbor2.CBORTag(1, float(seconds))
    if kind == "blob":
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _is_null(value):
    return value is None or value is cbor2.undefined


def _query_error(shape, code, status):
    """The awsQueryCompatible `x-amzn-query-error` value: `<query code>;<Sender|Receiver>`."""
    if shape is not None:
        sender = shape.metadata.get("error", {}).get("senderFault", False)
        return f"{shape.error_code};{'Sender' if sender else 'Receiver'}"
    return f"{code};{'Sender' if status < 500 else 'Receiver'}"


def _json_object(body):
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _error_message(document, body):
    """moto's error message; the raw body when moto did not answer in JSON."""
    if document:
        return document.get("message") or document.get("Message") or ""
    return body.decode("utf-8", "replace").strip()[:1000]


def _cbor_headers(payload):
    return [("Content-Type", CBOR_CONTENT_TYPE), ("Content-Length", str(len(payload)))]


def _reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit as soon as stdin reaches end of file (ties the server's life to its parent)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def exit_on_stdin_eof():
    """Block reading stdin; at end of file end the whole process at once."""
    fd = sys.stdin.fileno()
    while os.read(fd, 65536):
        pass
    os._exit(0)


def _exit_on_signal(signum, frame):
    sys.exit(0)


def configure_logging(verbose):
    if verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    else:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    configure_logging(args.verbose)
    app = CborFront(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ.setdefault("MOTO_PORT", str(server.port))
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    if args.exit_on_stdin_eof:
        threading.Thread(target=exit_on_stdin_eof, name="stdin-eof", daemon=True).start()
    print(f"READY http://{args.host}:{server.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
