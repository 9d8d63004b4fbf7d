//! Which handler this process serves, from the `GAMEDAY_HANDLER` environment variable.

/// One per directory under `functions/`; the names are those directories' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Prepare,
    Inject,
    Observe,
    Recover,
    Validate,
    Failover,
    PipelineGate,
}

impl Handler {
    pub const ALL: [Handler; 7] = [
        Handler::Prepare,
        Handler::Inject,
        Handler::Observe,
        Handler::Recover,
        Handler::Validate,
        Handler::Failover,
        Handler::PipelineGate,
    ];

    /// The value of `GAMEDAY_HANDLER` that selects it (the function's folder under `functions/`).
    pub fn name(self) -> &'static str {
        match self {
            Handler::Prepare => "prepare",
            Handler::Inject => "inject",
            Handler::Observe => "observe",
            Handler::Recover => "recover",
            Handler::Validate => "validate",
            Handler::Failover => "failover",
            Handler::PipelineGate => "pipeline-gate",
        }
    }

    /// The handler named by the variable's value; a missing or unknown value is refused with
    /// the list of names, since a function must never guess what it is.
    pub fn from_env_value(value: Option<&str>) -> Result<Handler, String> {
        let names = || {
            Self::ALL
                .iter()
                .map(|h| h.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Err(format!(
                "GAMEDAY_HANDLER is not set; set it on the function to one of: {}",
                names()
            ));
        };
        Self::ALL
            .into_iter()
            .find(|h| h.name() == value)
            .ok_or_else(|| {
                format!(
                    "GAMEDAY_HANDLER is `{value}`, which is no gameday handler; set it to one of: {}",
                    names()
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_selects_its_own_handler() {
        for handler in Handler::ALL {
            assert_eq!(Handler::from_env_value(Some(handler.name())), Ok(handler));
        }
    }

    #[test]
    fn a_missing_or_empty_variable_is_refused_with_the_names() {
        for value in [None, Some(""), Some("  ")] {
            let refusal = Handler::from_env_value(value).unwrap_err();
            assert!(refusal.contains("GAMEDAY_HANDLER is not set"), "{refusal}");
            assert!(refusal.contains("pipeline-gate"), "{refusal}");
        }
    }

    #[test]
    fn an_unknown_name_is_refused_and_quoted() {
        let refusal = Handler::from_env_value(Some("Prepare")).unwrap_err();
        assert!(refusal.contains("`Prepare`"), "{refusal}");
        assert!(refusal.contains("prepare, inject, observe"), "{refusal}");
    }
}
