//! Control calls to a running sandbox server: readiness, moto configuration, reset.

use std::time::{Duration, Instant};

use crate::SandboxError;
use crate::http::{self, Response};

/// The moto configuration every sandbox gets: Step Functions interprets ASL, Lambda runs
/// without Docker.
pub const MOTO_CONFIG: &str =
    r#"{"stepfunctions":{"execute_state_machine":true},"lambda":{"use_docker":false}}"#;

const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// `http://host:port` -> `host:port`.
pub(crate) fn authority(endpoint_url: &str) -> &str {
    let rest = endpoint_url.strip_prefix("http://").unwrap_or(endpoint_url);
    rest.split('/').next().unwrap_or(rest)
}

/// The port of `http://host:port`.
pub(crate) fn port_of(endpoint_url: &str) -> Option<u16> {
    authority(endpoint_url).rsplit_once(':')?.1.parse().ok()
}

fn call(
    endpoint_url: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    what: &'static str,
) -> Result<Response, SandboxError> {
    let body = body.map(|b| ("application/json", b.as_bytes()));
    let response = http::request(authority(endpoint_url), method, path, body, CALL_TIMEOUT)
        .map_err(|e| SandboxError::Http {
            url: endpoint_url.to_owned(),
            what,
            detail: e.to_string(),
        })?;
    if !response.is_success() {
        return Err(SandboxError::Http {
            url: endpoint_url.to_owned(),
            what,
            detail: format!("HTTP {}: {}", response.status, response.body_excerpt(500)),
        });
    }
    Ok(response)
}

/// One readiness probe: `GET /moto-api/config` answers 2xx with moto's JSON configuration.
pub(crate) fn probe(endpoint_url: &str) -> Result<(), SandboxError> {
    let response = call(
        endpoint_url,
        "GET",
        "/moto-api/config",
        None,
        "the readiness check (GET /moto-api/config)",
    )?;
    let is_moto = serde_json::from_slice::<serde_json::Value>(&response.body)
        .is_ok_and(|config| config.get("lambda").is_some());
    if !is_moto {
        return Err(SandboxError::Http {
            url: endpoint_url.to_owned(),
            what: "the readiness check (GET /moto-api/config)",
            detail: format!(
                "the answer is not moto's configuration: {}",
                response.body_excerpt(200)
            ),
        });
    }
    Ok(())
}

/// Probes until the server answers or `deadline` passes; returns the last failure.
pub(crate) fn wait_until_answering(
    endpoint_url: &str,
    deadline: Instant,
) -> Result<(), SandboxError> {
    loop {
        match probe(endpoint_url) {
            Ok(()) => return Ok(()),
            Err(error) if Instant::now() >= deadline => return Err(error),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// `POST /moto-api/config` with [`MOTO_CONFIG`], and checks that moto took it.
pub(crate) fn apply_config(endpoint_url: &str) -> Result<(), SandboxError> {
    const WHAT: &str = "applying the moto configuration (POST /moto-api/config)";
    let response = call(
        endpoint_url,
        "POST",
        "/moto-api/config",
        Some(MOTO_CONFIG),
        WHAT,
    )?;
    // moto echoes only the batch and lambda sections; check the one it shows.
    let echoed = serde_json::from_slice::<serde_json::Value>(&response.body).ok();
    let use_docker = echoed
        .as_ref()
        .and_then(|config| config.pointer("/lambda/use_docker"))
        .and_then(|value| value.as_bool());
    if use_docker != Some(false) {
        return Err(SandboxError::Http {
            url: endpoint_url.to_owned(),
            what: WHAT,
            detail: format!(
                "moto did not take the configuration; it answered {}",
                response.body_excerpt(300)
            ),
        });
    }
    Ok(())
}

/// `POST /moto-api/reset` (drops every resource in every service), then re-applies the config.
pub(crate) fn reset(endpoint_url: &str) -> Result<(), SandboxError> {
    call(
        endpoint_url,
        "POST",
        "/moto-api/reset",
        None,
        "resetting moto (POST /moto-api/reset)",
    )?;
    apply_config(endpoint_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parts() {
        assert_eq!(authority("http://127.0.0.1:4566"), "127.0.0.1:4566");
        assert_eq!(authority("http://127.0.0.1:4566/"), "127.0.0.1:4566");
        assert_eq!(port_of("http://127.0.0.1:4566"), Some(4566));
        assert_eq!(port_of("http://127.0.0.1"), None);
    }

    #[test]
    fn config_is_json() {
        let config: serde_json::Value = serde_json::from_str(MOTO_CONFIG).unwrap();
        assert_eq!(config["stepfunctions"]["execute_state_machine"], true);
        assert_eq!(config["lambda"]["use_docker"], false);
    }
}
