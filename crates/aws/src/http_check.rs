//! The `http` probe: one GET with a timeout.

use std::future::Future;
use std::time::Duration;

pub trait HttpChecker {
    /// The status of a GET of `url` within `timeout`, or why there was none (refused, timed out).
    fn status(
        &self,
        url: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<u16, String>> + Send;
}

/// The HTTP probe over reqwest (rustls).
///
/// * Proxy settings in the environment are ignored: the probe measures the endpoint itself.
/// * Redirects are not followed: a 301 or 302 is the status the endpoint gave.
/// * No connection is reused: every probe opens its own connection and resolves the name
///   again, so a server that went away or a DNS failover shows at the next probe.
/// * The timeout covers the whole exchange up to the status line and headers; the body is
///   not read.
#[derive(Clone, Debug)]
pub struct ReqwestHttpChecker {
    client: reqwest::Client,
}

impl ReqwestHttpChecker {
    /// Builds the client.
    ///
    /// # Panics
    ///
    /// When the TLS backend cannot be set up, as `reqwest::Client::new` does; use
    /// [`ReqwestHttpChecker::try_new`] to get that as an error.
    pub fn new() -> Self {
        Self::try_new().expect("the HTTP client (rustls) can be built")
    }

    pub fn try_new() -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .user_agent(concat!("gameday-probe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("building the HTTP client failed: {}", error_chain(&e)))?;
        Ok(Self { client })
    }
}

impl Default for ReqwestHttpChecker {
    fn default() -> Self {
        Self::new()
    }
}

/// An error and its sources, most specific last, without repeats.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

impl HttpChecker for ReqwestHttpChecker {
    async fn status(&self, url: &str, timeout: Duration) -> Result<u16, String> {
        let result = self.client.get(url).timeout(timeout).send().await;
        match result {
            Ok(response) => Ok(response.status().as_u16()),
            Err(error) if error.is_timeout() => Err(format!(
                "GET {url} timed out after {} ms",
                timeout.as_millis()
            )),
            Err(error) if error.is_connect() => Err(format!(
                "GET {url}: could not connect: {}",
                error_chain(&error)
            )),
            Err(error) => Err(format!("GET {url} failed: {}", error_chain(&error))),
        }
    }
}
