//! What each fault action does and how it is undone: the one place that `plan` shows and that
//! `inject` and `recover` follow.
//!
//! Every SSM fault also schedules its own undo on the host after its duration (plus a grace
//! period), so a fault ends even if gameday itself is lost in the middle of a run.

use serde::Serialize;

use crate::spec::{AlarmState, Fault, FaultAction, Signal};

/// The AWS document that runs shell scripts on instances.
pub const SSM_DOCUMENT: &str = "AWS-RunShellScript";
/// Extra seconds an on-host fault waits past its duration before undoing itself.
pub const SELF_UNDO_GRACE_SECS: u64 = 120;

/// One AWS API call (or HTTP request) that gameday will make.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiCall {
    pub service: String,
    pub operation: String,
    /// The resources or parameters, in words.
    pub detail: String,
}

impl ApiCall {
    pub fn new(service: &str, operation: &str, detail: impl Into<String>) -> Self {
        Self {
            service: service.to_string(),
            operation: operation.to_string(),
            detail: detail.into(),
        }
    }
}

/// How a fault is taken back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Undo {
    /// These calls restore the state before the fault.
    Calls { calls: Vec<ApiCall> },
    /// Nothing can be undone; the system must recover by itself, which is what the experiment
    /// measures.
    Nothing { reason: String },
}

/// The calls that inject a fault and the undo that reverses it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultEffect {
    pub fault: String,
    pub action: String,
    pub inject: Vec<ApiCall>,
    pub undo: Undo,
}

/// The shell commands an SSM fault runs, and the commands that reverse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsmScript {
    pub inject: Vec<String>,
    pub undo: Vec<String>,
}

/// The effect of `fault` on the instances `targets`.
pub fn fault_effect(fault: &Fault, targets: &[String]) -> FaultEffect {
    let ids = if targets.is_empty() {
        "(no instance selected)".to_string()
    } else {
        targets.join(", ")
    };
    let (inject, undo) = match &fault.action {
        FaultAction::Ec2Terminate(_) => (
            vec![ApiCall::new("ec2", "TerminateInstances", &ids)],
            Undo::Nothing {
                reason: "a terminated instance cannot be restored; recovery is the system's own (Auto Scaling or gameday failover)".into(),
            },
        ),
        FaultAction::Ec2Stop(_) => (
            vec![ApiCall::new("ec2", "StopInstances", &ids)],
            Undo::Calls { calls: vec![ApiCall::new("ec2", "StartInstances", &ids)] },
        ),
        FaultAction::Ec2Reboot(_) => (
            vec![ApiCall::new("ec2", "RebootInstances", &ids)],
            Undo::Nothing { reason: "a reboot ends by itself; recovery is the instance coming back".into() },
        ),
        FaultAction::FisExperiment(fis) => (
            vec![ApiCall::new("fis", "StartExperiment", format!("template {}", fis.template_id))],
            Undo::Calls { calls: vec![ApiCall::new("fis", "StopExperiment", "the experiment started above")] },
        ),
        FaultAction::SetAlarmState(forced) => (
            vec![ApiCall::new("cloudwatch", "SetAlarmState", format!("{} -> {}", forced.alarm_name, alarm_state_name(forced.state)))],
            Undo::Calls {
                calls: vec![ApiCall::new(
                    "cloudwatch",
                    "SetAlarmState",
                    format!("{} -> OK (the alarm re-evaluates from its metric at its next period)", forced.alarm_name),
                )],
            },
        ),
        _ => {
            let script = ssm_script(fault).expect("every other action is an SSM script");
            let send = |commands: &[String]| {
                ApiCall::new("ssm", "SendCommand", format!("{SSM_DOCUMENT} on {ids}: {}", commands.join("; ")))
            };
            (vec![send(&script.inject)], Undo::Calls { calls: vec![send(&script.undo)] })
        }
    };
    FaultEffect {
        fault: fault.name.clone(),
        action: fault.action.type_name().to_string(),
        inject,
        undo,
    }
}

/// The on-host commands of an SSM fault; `None` for actions that are not SSM scripts.
pub fn ssm_script(fault: &Fault) -> Option<SsmScript> {
    let secs = fault.duration.as_duration().as_secs_f64().ceil() as u64;
    let (inject, undo) = match &fault.action {
        FaultAction::NetworkLatency(f) => (
            format!(
                "tc qdisc replace dev {} root netem delay {}ms {}ms",
                f.interface, f.delay_ms, f.jitter_ms
            ),
            format!("tc qdisc del dev {} root 2>/dev/null || true", f.interface),
        ),
        FaultAction::PacketLoss(f) => (
            format!(
                "tc qdisc replace dev {} root netem loss {}%",
                f.interface, f.loss_percent
            ),
            format!("tc qdisc del dev {} root 2>/dev/null || true", f.interface),
        ),
        FaultAction::CpuStress(f) => (
            format!(
                "nohup stress-ng --cpu {} --cpu-load {} --timeout {secs}s >/dev/null 2>&1 &",
                f.workers, f.load_percent
            ),
            "pkill -x stress-ng || true".to_string(),
        ),
        FaultAction::MemoryStress(f) => (
            format!(
                "nohup stress-ng --vm 1 --vm-bytes {}% --vm-keep --timeout {secs}s >/dev/null 2>&1 &",
                f.percent
            ),
            "pkill -x stress-ng || true".to_string(),
        ),
        FaultAction::DiskFill(f) => {
            let file = format!("{}/gameday-disk-fill", f.path.trim_end_matches('/'));
            (
                format!(
                    "fallocate -l $(( $(df --output=avail -k {} | tail -1) * {} / 100 ))K {file}",
                    f.path, f.percent
                ),
                format!("rm -f {file}"),
            )
        }
        FaultAction::KillProcess(f) => {
            let signal = match f.signal {
                Signal::Kill => "KILL",
                Signal::Term => "TERM",
            };
            let restart = match &f.restart_service {
                Some(unit) => format!("systemctl start {unit}"),
                None => "true".to_string(),
            };
            (format!("pkill -{signal} -x {}", f.process_name), restart)
        }
        _ => return None,
    };
    let self_undo = format!(
        "nohup sh -c 'sleep {}; {}' >/dev/null 2>&1 &",
        secs + SELF_UNDO_GRACE_SECS,
        undo.replace('\'', "")
    );
    Some(SsmScript {
        inject: vec![inject, self_undo],
        undo: vec![undo],
    })
}

fn alarm_state_name(state: AlarmState) -> &'static str {
    match state {
        AlarmState::Ok => "OK",
        AlarmState::Alarm => "ALARM",
        AlarmState::InsufficientData => "INSUFFICIENT_DATA",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::IsoDuration;
    use crate::spec::{Ec2Fault, KillProcess, NetworkLatency};

    fn fault(action: FaultAction) -> Fault {
        Fault {
            name: "f".into(),
            duration: IsoDuration::from_secs(300),
            action,
        }
    }

    #[test]
    fn terminate_says_it_cannot_be_undone() {
        let effect = fault_effect(
            &fault(FaultAction::Ec2Terminate(Ec2Fault { target: "t".into() })),
            &["i-1".into()],
        );
        assert_eq!(
            effect.inject,
            [ApiCall::new("ec2", "TerminateInstances", "i-1")]
        );
        assert!(matches!(effect.undo, Undo::Nothing { .. }));
    }

    #[test]
    fn stop_is_undone_by_start_on_the_same_instances() {
        let ids = vec!["i-1".to_string(), "i-2".to_string()];
        let effect = fault_effect(
            &fault(FaultAction::Ec2Stop(Ec2Fault { target: "t".into() })),
            &ids,
        );
        assert_eq!(
            effect.undo,
            Undo::Calls {
                calls: vec![ApiCall::new("ec2", "StartInstances", "i-1, i-2")]
            }
        );
    }

    #[test]
    fn latency_script_undoes_itself_after_duration_and_grace() {
        let latency = fault(FaultAction::NetworkLatency(NetworkLatency {
            target: "t".into(),
            delay_ms: 200,
            jitter_ms: 20,
            interface: "eth0".into(),
        }));
        let script = ssm_script(&latency).unwrap();
        assert_eq!(
            script.inject[0],
            "tc qdisc replace dev eth0 root netem delay 200ms 20ms"
        );
        assert_eq!(
            script.undo,
            ["tc qdisc del dev eth0 root 2>/dev/null || true"]
        );
        assert!(
            script.inject[1].contains("sleep 420; tc qdisc del dev eth0 root"),
            "{}",
            script.inject[1]
        );
    }

    #[test]
    fn kill_process_restarts_its_unit_only_when_named() {
        let named = fault(FaultAction::KillProcess(KillProcess {
            target: "t".into(),
            process_name: "gunicorn".into(),
            signal: Signal::Kill,
            restart_service: Some("bookstore.service".into()),
        }));
        assert_eq!(
            ssm_script(&named).unwrap().undo,
            ["systemctl start bookstore.service"]
        );
        assert_eq!(
            ssm_script(&named).unwrap().inject[0],
            "pkill -KILL -x gunicorn"
        );
    }
}
