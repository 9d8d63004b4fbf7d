//! Fault injection under the SDK: an HTTP client that forwards every AWS request to the real
//! one, numbers and names each, and fails exactly the Nth. It goes into an `SdkConfig`, so
//! every client built from that configuration (every adapter, every service) shares one
//! count. The configuration has the SDK's retries off, so one request is one operation call:
//! a failed request is an operation that failed after whatever retrying the SDK would do.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

use crate::aws_call::operation_name;

/// How the chosen call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The service answers 503 Service Unavailable and does nothing: how an AWS outage or
    /// overload looks from the client (the SDK classifies 5xx and throttling alike, as
    /// retryable, so this stands for both).
    Unavailable,
    /// The request reaches the service and takes effect, then the connection drops before
    /// the response: the caller cannot tell whether it happened, so its retry must be safe.
    LostResponse,
}

impl FaultKind {
    pub fn label(self) -> &'static str {
        match self {
            FaultKind::Unavailable => "503, not applied",
            FaultKind::LostResponse => "applied, response lost",
        }
    }
}

/// One AWS request the scenario made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// 1-based, across every service.
    pub number: usize,
    /// `service.Operation`.
    pub operation: String,
    /// What the scenario was doing when it made the call (a phase, a failover step).
    pub context: String,
    /// Which time the scenario entered that context (the third observe sample is 3).
    pub invocation: usize,
}

impl Call {
    /// The context, with the invocation after the first: `observe #3`.
    pub fn during(&self) -> String {
        match self.invocation {
            1 => self.context.clone(),
            n => format!("{} #{n}", self.context),
        }
    }
}

/// Which call fails, and the log of every call made.
#[derive(Debug)]
pub struct FaultPlan {
    fail: Option<(usize, FaultKind)>,
    calls: Mutex<Vec<Call>>,
    /// The current context and how often each was entered.
    context: Mutex<(String, BTreeMap<String, usize>)>,
}

impl FaultPlan {
    /// Fails nothing; counts and names the calls.
    pub fn counting() -> Arc<Self> {
        Self::new(None)
    }

    /// Fails call `number` (1-based) the way `kind` says.
    pub fn failing(number: usize, kind: FaultKind) -> Arc<Self> {
        Self::new(Some((number, kind)))
    }

    fn new(fail: Option<(usize, FaultKind)>) -> Arc<Self> {
        Arc::new(Self {
            fail,
            calls: Mutex::new(Vec::new()),
            context: Mutex::new((String::new(), BTreeMap::new())),
        })
    }

    /// Names what the scenario does from now on, for the calls' `context`.
    pub fn set_context(&self, context: &str) {
        let (current, entered) = &mut *self.context.lock().unwrap();
        *current = context.to_string();
        *entered.entry(current.clone()).or_default() += 1;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The call that was made to fail, if the scenario got that far.
    pub fn failed_call(&self) -> Option<Call> {
        let (number, _) = self.fail?;
        self.calls.lock().unwrap().get(number - 1).cloned()
    }

    /// Logs the call; returns how it must fail, if it is the chosen one.
    fn record(&self, operation: String) -> Option<FaultKind> {
        let mut calls = self.calls.lock().unwrap();
        let number = calls.len() + 1;
        let (context, entered) = &*self.context.lock().unwrap();
        calls.push(Call {
            number,
            operation,
            context: context.clone(),
            invocation: entered.get(context).copied().unwrap_or(1),
        });
        self.fail
            .filter(|(chosen, _)| *chosen == number)
            .map(|(_, kind)| kind)
    }
}

/// `base` with its HTTP client wrapped by `plan` and the SDK's retries off.
pub fn faulty_config(base: &SdkConfig, plan: Arc<FaultPlan>) -> SdkConfig {
    let inner = base.http_client().unwrap_or_else(default_http_client);
    base.to_builder()
        .http_client(FaultyHttpClient { inner, plan })
        .retry_config(RetryConfig::disabled())
        .build()
}

/// The client the SDK would pick itself (hyper 1 with rustls on aws-lc); a loaded
/// configuration leaves the choice to each service client, so there is none to wrap.
fn default_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build_https()
}

#[derive(Debug, Clone)]
struct FaultyHttpClient {
    inner: SharedHttpClient,
    plan: Arc<FaultPlan>,
}

impl HttpClient for FaultyHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            plan: self.plan.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    plan: Arc<FaultPlan>,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation_name(&request);
        match self.plan.record(operation) {
            None => self.inner.call(request),
            Some(FaultKind::Unavailable) => {
                let status = StatusCode::try_from(503).expect("503 is a status code");
                HttpConnectorFuture::ready(Ok(Response::new(status, SdkBody::empty())))
            }
            Some(FaultKind::LostResponse) => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    // The service handles the request; its answer never arrives.
                    let _ = sent.await;
                    Err(ConnectorError::io(
                        "fault matrix: connection reset before the response arrived".into(),
                    ))
                })
            }
        }
    }
}
