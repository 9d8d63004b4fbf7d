//! What a finished run means for the caller: the verdict from the run record (the truth), and
//! the exit code a pipeline or a shell script branches on.

use gameday_core::run::{RunRecord, RunStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// FAILED or ABORTED: the experiment ran (or was refused) and did not pass.
    NotPassed(RunStatus),
    /// ERRORED, or no verdict was recorded at all: something broke, look at the record.
    Errored,
}

impl Outcome {
    /// The outcome of a run from its stored record; a run without a verdict is an error,
    /// never a pass.
    pub fn of(record: Option<&RunRecord>) -> Self {
        match record.map(|r| r.status) {
            Some(RunStatus::Passed) => Outcome::Passed,
            Some(status @ (RunStatus::Failed | RunStatus::Aborted)) => Outcome::NotPassed(status),
            _ => Outcome::Errored,
        }
    }

    /// 0 on PASSED, 1 on FAILED or ABORTED, 2 on ERRORED.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => 0,
            Outcome::NotPassed(_) => 1,
            Outcome::Errored => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn record(status: RunStatus) -> RunRecord {
        let mut record = RunRecord::new("r1", "exp", "svc", Utc::now());
        record.status = status;
        record
    }

    #[test]
    fn only_a_recorded_pass_exits_zero() {
        assert_eq!(Outcome::of(Some(&record(RunStatus::Passed))).exit_code(), 0);
        assert_eq!(Outcome::of(Some(&record(RunStatus::Failed))).exit_code(), 1);
        assert_eq!(
            Outcome::of(Some(&record(RunStatus::Aborted))).exit_code(),
            1
        );
        assert_eq!(
            Outcome::of(Some(&record(RunStatus::Errored))).exit_code(),
            2
        );
        assert_eq!(
            Outcome::of(Some(&record(RunStatus::Running))).exit_code(),
            2
        );
        assert_eq!(Outcome::of(None).exit_code(), 2);
    }
}
