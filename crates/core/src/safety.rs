//! The safety rules every phase and `plan` apply: the kill switch and the stop conditions.

use serde::Serialize;

/// The global kill switch, an SSM parameter. It fails closed: only the value `off` (any case)
/// lets a run start or go on. A missing parameter, or any other value (`on`, `yes`, a typo),
/// stops runs, because a switch that cannot be read as off may be meant as on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KillSwitch {
    pub parameter: String,
    pub value: Option<String>,
}

impl KillSwitch {
    /// Whether it stops runs: anything but `off`.
    pub fn is_engaged(&self) -> bool {
        !self
            .value
            .as_deref()
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("off"))
    }

    /// Why the kill switch stops a run, if it does.
    pub fn problem(&self) -> Option<String> {
        if !self.is_engaged() {
            return None;
        }
        let parameter = &self.parameter;
        Some(match self.value.as_deref() {
            None => format!(
                "the kill switch {parameter} does not exist, so runs are refused; create it with the value off (aws ssm put-parameter --name {parameter} --type String --value off)"
            ),
            Some(value) => format!(
                "the kill switch {parameter} is engaged (its value is `{value}`; only `off` lets runs go on: aws ssm put-parameter --name {parameter} --type String --value off --overwrite)"
            ),
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
        for engaged in [
            "on", "TRUE", " 1 ", "Engaged", "yes", "false", "0", "", "of",
        ] {
            let problem = switch(Some(engaged)).problem().expect(engaged);
            assert!(problem.contains("is engaged"), "{problem}");
        }
        for off in ["off", "OFF", " Off\n"] {
            assert!(!switch(Some(off)).is_engaged(), "{off:?}");
            assert_eq!(switch(Some(off)).problem(), None, "{off:?}");
        }
    }

    #[test]
    fn a_missing_kill_switch_refuses_and_says_how_to_create_it() {
        let problem = KillSwitch {
            parameter: "/gameday/kill-switch".into(),
            value: None,
        }
        .problem()
        .expect("a missing switch fails closed");
        assert!(problem.contains("does not exist"), "{problem}");
        assert!(problem.contains("--value off"), "{problem}");
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
