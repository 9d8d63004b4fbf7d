//! Names an AWS request as `service.Operation`, from what is on the wire: the signing service
//! in the `Authorization` header, then the operation from the protocol's own place for it
//! (`X-Amz-Target` for the JSON protocols, `Action=` for the query protocols, the URI for
//! rpc-v2-cbor and the REST protocols).

use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

/// `dynamodb.PutItem`, `ec2.DescribeInstances`, `route53.ChangeResourceRecordSets`, ...
pub fn operation_name(request: &HttpRequest) -> String {
    let service = signing_service(request).unwrap_or_else(|| "unknown".to_string());
    let operation = json_target(request)
        .or_else(|| query_action(request))
        .or_else(|| cbor_operation(request))
        .or_else(|| rest_operation(&service, request.method(), path(request.uri())))
        .unwrap_or_else(|| format!("{} {}", request.method(), path(request.uri())));
    format!("{service}.{operation}")
}

/// `Credential=AKID/20260101/us-west-2/<service>/aws4_request` of the SigV4 header.
fn signing_service(request: &HttpRequest) -> Option<String> {
    let header = request.headers().get("authorization")?;
    let scope = header.split("Credential=").nth(1)?.split(',').next()?;
    scope.split('/').nth(3).map(String::from)
}

/// `DynamoDB_20120810.PutItem` -> `PutItem`.
fn json_target(request: &HttpRequest) -> Option<String> {
    let target = request.headers().get("x-amz-target")?;
    target.rsplit('.').next().map(String::from)
}

/// `Action=DescribeInstances&Version=...` in a form-encoded body.
fn query_action(request: &HttpRequest) -> Option<String> {
    let body = std::str::from_utf8(request.body().bytes()?).ok()?;
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(String::from)
}

/// `/service/GraniteServiceVersion20100801/operation/DescribeAlarms`.
fn cbor_operation(request: &HttpRequest) -> Option<String> {
    request.headers().get("smithy-protocol")?;
    path(request.uri())
        .split("/operation/")
        .nth(1)
        .map(String::from)
}

/// The REST operations gameday's adapters call, by method and path shape.
fn rest_operation(service: &str, method: &str, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let name = match (service, method, segments.as_slice()) {
        ("route53", "GET", [_, "hostedzonesbyname"]) => "ListHostedZonesByName",
        ("route53", "GET", [_, "hostedzone", _, "rrset"]) => "ListResourceRecordSets",
        ("route53", "POST", [_, "hostedzone", _, "rrset"]) => "ChangeResourceRecordSets",
        ("route53", "GET", [_, "change", _]) => "GetChange",
        ("fis", "POST", ["experiments"]) => "StartExperiment",
        ("fis", "DELETE", ["experiments", _]) => "StopExperiment",
        ("fis", "GET", ["experiments", _]) => "GetExperiment",
        _ => return None,
    };
    Some(name.to_string())
}

/// The path of a URI, without scheme, authority or query.
fn path(uri: &str) -> &str {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("/", |start| &after_scheme[start..]);
    path.split('?').next().unwrap_or(path)
}
