//! The `http` probe: one GET with a timeout.

use std::future::Future;
use std::time::Duration;

pub trait HttpChecker {
    /// The status of a GET of `url` within `timeout`, or why there was none (refused, timed out).
    fn status(&self, url: &str, timeout: Duration) -> impl Future<Output = Result<u16, String>> + Send;
}
