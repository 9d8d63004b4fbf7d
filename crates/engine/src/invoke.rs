//! Where Task states go: the [`TaskInvoker`] port, in-process Lambda handlers
//! ([`LocalFunctions`]) and a Lambda Invoke endpoint ([`LambdaEndpoint`]).

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::failure::{TASK_FAILED, TaskFailure};

/// Runs a Task state's work.
pub trait TaskInvoker: Send + Sync {
    /// `resource` is the Task's Resource as written (after substitution); `input` is the
    /// effective input after InputPath and Parameters.
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>>;
}

type Handler = Box<dyn Fn(Value) -> BoxFuture<'static, Result<Value, TaskFailure>> + Send + Sync>;

/// Lambda resources served by in-process handlers, found by function name.
///
/// Accepts a function ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`), a bare
/// function name, and `arn:aws:states:::lambda:invoke` with `{FunctionName, Payload}` as input,
/// whose result is wrapped as Step Functions does: `{"Payload": ..., "StatusCode": 200}`.
#[derive(Default)]
pub struct LocalFunctions {
    handlers: BTreeMap<String, Handler>,
}

impl LocalFunctions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register<F>(&mut self, name: &str, handler: F)
    where
        F: Fn(Value) -> BoxFuture<'static, Result<Value, TaskFailure>> + Send + Sync + 'static,
    {
        self.handlers.insert(name.to_string(), Box::new(handler));
    }
}

impl TaskInvoker for LocalFunctions {
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>> {
        Box::pin(async move {
            let call = LambdaCall::from_task(resource, input)?;
            let Some(handler) = self.handlers.get(&call.function) else {
                let known: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
                return Err(TaskFailure::new(
                    TASK_FAILED,
                    format!(
                        "no local function named '{}' (resource '{resource}'); registered: {}",
                        call.function,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            let wrapped = call.wrapped;
            let result = handler(call.payload).await?;
            Ok(wrap(wrapped, result))
        })
    }
}

/// Invokes functions through a Lambda Invoke endpoint
/// (`POST {endpoint}/2015-03-31/functions/{name}/invocations`), unsigned: meant for local
/// emulators on loopback. A function error (`X-Amz-Function-Error`) becomes a [`TaskFailure`]
/// named by the body's `errorType`, with `errorMessage` as the cause.
pub struct LambdaEndpoint {
    endpoint: String,
    /// Building the client can fail (TLS set-up); that is reported by the first invoke.
    client: Result<reqwest::Client, String>,
}

impl LambdaEndpoint {
    pub fn new(endpoint_url: &str) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| format!("building the HTTP client failed: {e}"));
        Self {
            endpoint: endpoint_url.trim_end_matches('/').to_string(),
            client,
        }
    }

    async fn call(&self, call: &LambdaCall) -> Result<Value, TaskFailure> {
        let sdk_error = |why: String| TaskFailure::new("Lambda.SdkClientException", why);
        let client = self.client.as_ref().map_err(|e| sdk_error(e.clone()))?;
        let url = format!(
            "{}/2015-03-31/functions/{}/invocations",
            self.endpoint, call.function
        );
        let response = client
            .post(&url)
            .header("content-type", "application/json")
            .body(call.payload.to_string())
            .send()
            .await
            .map_err(|e| sdk_error(format!("POST {url} failed: {e}")))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response
            .bytes()
            .await
            .map_err(|e| sdk_error(format!("reading the answer of POST {url} failed: {e}")))?;
        let text = String::from_utf8_lossy(&body);
        if !status.is_success() {
            let error = if status.as_u16() == 404 {
                "Lambda.ResourceNotFoundException"
            } else {
                "Lambda.ServiceException"
            };
            return Err(TaskFailure::new(
                error,
                format!("POST {url} answered {status}: {text}"),
            ));
        }
        let value: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| {
                sdk_error(format!(
                    "the answer of {} is not JSON ({e}): {text}",
                    call.function
                ))
            })?
        };
        if function_error {
            let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_string);
            return Err(TaskFailure::new(
                field("errorType").unwrap_or_else(|| "Lambda.Unknown".to_string()),
                field("errorMessage").unwrap_or_else(|| text.to_string()),
            ));
        }
        Ok(value)
    }
}

impl TaskInvoker for LambdaEndpoint {
    fn invoke<'a>(
        &'a self,
        resource: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, TaskFailure>> {
        Box::pin(async move {
            let call = LambdaCall::from_task(resource, input)?;
            let result = self.call(&call).await?;
            Ok(wrap(call.wrapped, result))
        })
    }
}

/// A Task's call to a Lambda function, read from its resource and input.
#[derive(Debug, PartialEq)]
struct LambdaCall {
    function: String,
    payload: Value,
    /// Through `arn:aws:states:::lambda:invoke`: the result is wrapped in `{Payload, StatusCode}`.
    wrapped: bool,
}

impl LambdaCall {
    fn from_task(resource: &str, input: Value) -> Result<Self, TaskFailure> {
        let parts: Vec<&str> = resource.split(':').collect();
        if let ["arn", _, "states", "", "", "lambda", "invoke"] = parts.as_slice() {
            let function = input
                .get("FunctionName")
                .and_then(Value::as_str)
                .and_then(function_name)
                .ok_or_else(|| {
                    TaskFailure::new(
                        TASK_FAILED,
                        format!(
                            "{resource} needs Parameters with a FunctionName string; got {input}"
                        ),
                    )
                })?;
            let payload = input.get("Payload").cloned().unwrap_or_else(|| json!({}));
            return Ok(Self {
                function,
                payload,
                wrapped: true,
            });
        }
        let function = function_name(resource).ok_or_else(|| {
            TaskFailure::new(
                TASK_FAILED,
                format!(
                    "resource '{resource}' is not a Lambda function; the local engine runs a function \
                     ARN, a function name, or arn:aws:states:::lambda:invoke"
                ),
            )
        })?;
        Ok(Self {
            function,
            payload: input,
            wrapped: false,
        })
    }
}

/// A Lambda result as the Task sees it: wrapped in `{Payload, StatusCode}` when it came through
/// `arn:aws:states:::lambda:invoke`.
fn wrap(wrapped: bool, result: Value) -> Value {
    if wrapped {
        json!({"Payload": result, "StatusCode": 200})
    } else {
        result
    }
}

/// The function name in a function ARN (`arn:...:lambda:...:function:NAME[:QUALIFIER]`), a partial
/// ARN (`ACCOUNT:function:NAME`), or a name with an optional `:QUALIFIER`.
fn function_name(reference: &str) -> Option<String> {
    let parts: Vec<&str> = reference.split(':').collect();
    let name = match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => name,
        [_, "function", name, ..] => name,
        [name] | [name, _] => name,
        _ => return None,
    };
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_from_every_form() {
        for (reference, expected) in [
            (
                "arn:aws:lambda:us-east-1:123456789012:function:observe",
                Some("observe"),
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:observe:live",
                Some("observe"),
            ),
            ("123456789012:function:observe", Some("observe")),
            ("observe", Some("observe")),
            ("observe:3", Some("observe")),
            ("arn:aws:states:::sns:publish", None),
            ("", None),
        ] {
            assert_eq!(function_name(reference).as_deref(), expected, "{reference}");
        }
    }

    #[test]
    fn lambda_invoke_takes_function_name_and_payload() {
        let call = LambdaCall::from_task(
            "arn:aws:states:::lambda:invoke",
            json!({"FunctionName": "arn:aws:lambda:eu-west-1:1:function:inject", "Payload": {"a": 1}}),
        )
        .unwrap();
        assert_eq!(call.function, "inject");
        assert_eq!(call.payload, json!({"a": 1}));
        assert!(call.wrapped);
        assert_eq!(
            wrap(true, json!(5)),
            json!({"Payload": 5, "StatusCode": 200})
        );
        let error = LambdaCall::from_task("arn:aws:states:::lambda:invoke", json!({})).unwrap_err();
        assert!(error.cause.contains("FunctionName"), "{error:?}");
    }

    #[tokio::test]
    async fn local_functions_run_handlers_and_name_the_known_ones() {
        let mut functions = LocalFunctions::new();
        functions.register("double", |input| {
            Box::pin(async move { Ok(json!(input.as_i64().unwrap_or(0) * 2)) })
        });
        functions.register("broken", |_| {
            Box::pin(async { Err(TaskFailure::new("Gameday.Transient", "try again")) })
        });
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:double";
        assert_eq!(functions.invoke(arn, json!(21)).await, Ok(json!(42)));
        assert_eq!(
            functions
                .invoke(
                    "arn:aws:states:::lambda:invoke",
                    json!({"FunctionName": "double", "Payload": 2})
                )
                .await,
            Ok(json!({"Payload": 4, "StatusCode": 200}))
        );
        assert_eq!(
            functions.invoke("broken", json!(null)).await,
            Err(TaskFailure::new("Gameday.Transient", "try again"))
        );
        let unknown = functions.invoke("missing", json!(null)).await.unwrap_err();
        assert_eq!(unknown.error, TASK_FAILED);
        assert!(unknown.cause.contains("broken, double"), "{unknown:?}");
        let service = functions
            .invoke("arn:aws:states:::sns:publish", json!({}))
            .await
            .unwrap_err();
        assert!(
            service.cause.contains("not a Lambda function"),
            "{service:?}"
        );
    }

    /// Serves one HTTP exchange per answer on a loopback port; returns the endpoint URL and
    /// the requests' first lines.
    async fn serve(answers: Vec<String>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let mut requests = Vec::new();
            for answer in answers {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut received = Vec::new();
                let mut buffer = [0u8; 4096];
                // Read the head and a body of Content-Length bytes.
                loop {
                    let n = socket.read(&mut buffer).await.unwrap();
                    received.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&received).to_string();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if received.len() >= head_end + 4 + length || n == 0 {
                            requests.push(text);
                            break;
                        }
                    }
                }
                socket.write_all(answer.as_bytes()).await.unwrap();
                socket.shutdown().await.unwrap();
            }
            requests
        });
        (endpoint, server)
    }

    fn answer(headers: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    #[tokio::test]
    async fn lambda_endpoint_posts_and_maps_function_errors() {
        let (endpoint, server) = serve(vec![
            answer("", r#"{"ok":true}"#),
            answer(
                "x-amz-function-error: Unhandled\r\n",
                r#"{"errorType":"Gameday.TargetLocked","errorMessage":"locked by run-1"}"#,
            ),
        ])
        .await;
        let lambda = LambdaEndpoint::new(&format!("{endpoint}/"));
        assert_eq!(
            lambda
                .invoke(
                    "arn:aws:states:::lambda:invoke",
                    json!({"FunctionName": "prepare", "Payload": {"run": 1}})
                )
                .await,
            Ok(json!({"Payload": {"ok": true}, "StatusCode": 200}))
        );
        assert_eq!(
            lambda.invoke("inject", json!({})).await,
            Err(TaskFailure::new("Gameday.TargetLocked", "locked by run-1"))
        );
        let requests = server.await.unwrap();
        assert!(requests[0].starts_with("POST /2015-03-31/functions/prepare/invocations "));
        assert!(requests[0].ends_with(r#"{"run":1}"#), "{}", requests[0]);
        assert!(requests[1].starts_with("POST /2015-03-31/functions/inject/invocations "));
    }
}
