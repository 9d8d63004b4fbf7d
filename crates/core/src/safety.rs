//! The safety rules every phase and `plan` apply: the kill switch and the stop conditions.

use serde::Serialize;

/// The global kill switch, an SSM parameter; engaged when its value is `on`, `true`, `1` or
/// `engaged` (any case). A missing parameter is not engaged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KillSwitch {
    pub parameter: String,
    pub value: Option<String>,
}

impl KillSwitch {
    pub fn is_engaged(&self) -> bool {
        self.value.as_deref().is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "on" | "true" | "1" | "engaged"
            )
        })
    }

    /// Why the kill switch stops a run, if it does.
    pub fn problem(&self) -> Option<String> {
        self.is_engaged().then(|| {
            format!(
                "the kill switch {} is engaged ({})",
                self.parameter,
                self.value.as_deref().unwrap_or_default()
            )
        })
    }
}

/// Why a stop condition stops a run, if it does. Only OK is safe: a stop condition that cannot
/// be evaluated (INSUFFICIENT_DATA, or a missing alarm) is not a safe one.
pub fn stop_alarm_problem(alarm_name: &str, state: Option<&str>) -> Option<String> {
    match state {
        Some("OK") => None,
        Some(state) => Some(format!(
            "stop condition {alarm_name} is {state}; it must be OK"
        )),
        None => Some(format!(
            "stop condition {alarm_name} does not exist, so it cannot stop the run"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_switch_values() {
        let switch = |value: Option<&str>| KillSwitch {
            parameter: "/k".into(),
            value: value.map(String::from),
        };
        for engaged in ["on", "TRUE", " 1 ", "Engaged"] {
            assert!(switch(Some(engaged)).is_engaged(), "{engaged}");
        }
        for off in [None, Some("off"), Some("false"), Some("")] {
            assert!(switch(off).problem().is_none(), "{off:?}");
        }
    }

    #[test]
    fn only_ok_stop_alarms_are_safe() {
        assert_eq!(stop_alarm_problem("a", Some("OK")), None);
        assert!(
            stop_alarm_problem("a", Some("INSUFFICIENT_DATA"))
                .unwrap()
                .contains("INSUFFICIENT_DATA")
        );
        assert!(
            stop_alarm_problem("a", None)
                .unwrap()
                .contains("does not exist")
        );
    }
}
