//! The two ways an alarm reaches the failover function, typed with `aws_lambda_events`:
//! an EventBridge "CloudWatch Alarm State Change" event, and an SNS notification carrying the
//! alarm's message. (The payload of a Lambda alarm action is accepted too.) Each becomes a
//! [`AlarmEvent`] whose time is the alarm's state change: where the measured RTO starts.

use aws_lambda_events::cloudwatch_alarms::{
    CloudWatchAlarm, CloudWatchAlarmData, CloudWatchAlarmStateValue,
};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::{CloudWatchAlarmPayload, SnsEventObj};
use chrono::{DateTime, Utc};
use gameday_core::failover::AlarmEvent;
use serde_json::Value;

/// The EventBridge `detail-type` of alarm state changes.
pub const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

/// An event the function cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error(
        "the event is neither an EventBridge \"{ALARM_STATE_CHANGE}\" event nor an SNS alarm notification; route only CloudWatch alarm events to this function"
    )]
    Unrecognised,
    #[error("the {shape} event is malformed: {field}: {message}")]
    Malformed {
        shape: &'static str,
        /// Where, as `detail.state.value`; `(event)` for the whole event.
        field: String,
        message: String,
    },
}

/// The alarm events in `payload`, in the order given (an SNS event may carry several).
pub fn alarm_events(payload: &Value) -> Result<Vec<AlarmEvent>, EventError> {
    if payload.get("detail-type").is_some() {
        return eventbridge(payload).map(|e| vec![e]);
    }
    if payload.get("Records").is_some() {
        return sns(payload);
    }
    if payload.get("alarmData").is_some() {
        return alarm_action(payload).map(|e| vec![e]);
    }
    Err(EventError::Unrecognised)
}

/// Reads `payload` as `T`; an error names the field (serde_json's own errors do not).
fn read<T: serde::de::DeserializeOwned>(
    shape: &'static str,
    payload: &Value,
) -> Result<T, EventError> {
    serde_path_to_error::deserialize(payload).map_err(|error| {
        let path = error.path().to_string();
        EventError::Malformed {
            shape,
            field: if path == "." { "(event)".into() } else { path },
            message: error.into_inner().to_string(),
        }
    })
}

fn state_name(value: &CloudWatchAlarmStateValue) -> &'static str {
    match value {
        CloudWatchAlarmStateValue::Alarm => "ALARM",
        CloudWatchAlarmStateValue::InsufficientData => "INSUFFICIENT_DATA",
        _ => "OK",
    }
}

fn eventbridge(payload: &Value) -> Result<AlarmEvent, EventError> {
    let event: EventBridgeEvent<CloudWatchAlarmData<Value, Value>> = read("EventBridge", payload)?;
    if event.detail_type != ALARM_STATE_CHANGE {
        return Err(EventError::Malformed {
            shape: "EventBridge",
            field: "detail-type".into(),
            message: format!(
                "detail-type is `{}`, expected `{ALARM_STATE_CHANGE}`",
                event.detail_type
            ),
        });
    }
    let state = event.detail.state.as_ref();
    Ok(AlarmEvent {
        alarm_name: event.detail.alarm_name.clone(),
        state: state.map_or("OK", |s| state_name(&s.value)).to_string(),
        alarm_at: state
            .map(|s| s.timestamp)
            .or(event.time)
            .unwrap_or_else(Utc::now),
        source: "eventbridge".into(),
        event_id: event.id.clone(),
        reason: state.map(|s| s.reason.clone()).unwrap_or_default(),
    })
}

fn alarm_action(payload: &Value) -> Result<AlarmEvent, EventError> {
    let event: CloudWatchAlarm<Value, Value> = read("alarm action", payload)?;
    let state = event.alarm_data.state.as_ref();
    Ok(AlarmEvent {
        alarm_name: event.alarm_data.alarm_name.clone(),
        state: state.map_or("OK", |s| state_name(&s.value)).to_string(),
        alarm_at: state.map_or(event.time, |s| s.timestamp),
        source: "alarm-action".into(),
        event_id: None,
        reason: state.map(|s| s.reason.clone()).unwrap_or_default(),
    })
}

fn sns(payload: &Value) -> Result<Vec<AlarmEvent>, EventError> {
    let event: SnsEventObj<CloudWatchAlarmPayload> = read("SNS", payload)?;
    event
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let alarm = &record.sns.message;
            let alarm_at = parse_alarm_time(&alarm.state_change_time).ok_or_else(|| {
                EventError::Malformed {
                    shape: "SNS",
                    field: format!("Records[{index}].Sns.Message.StateChangeTime"),
                    message: format!(
                        "StateChangeTime `{}` is not a time like 2026-03-03T10:00:00.000+0000",
                        alarm.state_change_time
                    ),
                }
            })?;
            Ok(AlarmEvent {
                alarm_name: alarm.alarm_name.clone(),
                state: alarm.new_state_value.clone(),
                alarm_at,
                source: "sns".into(),
                event_id: Some(record.sns.message_id.clone()),
                reason: alarm.new_state_reason.clone(),
            })
        })
        .collect()
}

/// CloudWatch writes `2026-03-03T10:00:00.000+0000` (no colon in the offset).
pub fn parse_alarm_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The EventBridge event CloudWatch sends when `alarm_name` goes to ALARM at `at`; the drill
/// and the benchmark deliver this.
pub fn eventbridge_alarm_event(
    alarm_name: &str,
    region: &str,
    account: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Value {
    let timestamp = at.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string();
    serde_json::json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": ALARM_STATE_CHANGE,
        "source": "aws.cloudwatch",
        "account": account,
        "time": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": region,
        "resources": [format!("arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_name}")],
        "detail": {
            "alarmName": alarm_name,
            "state": {"value": "ALARM", "reason": reason, "timestamp": timestamp},
            "previousState": {"value": "OK", "reason": "gameday drill: the alarm was OK", "timestamp": timestamp},
            "configuration": {"description": "", "metrics": []}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../events/failover/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-03T10:00:04.615Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn reads_the_eventbridge_alarm_state_change() {
        let events = alarm_events(&fixture("alarm-state-change.json")).unwrap();
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.alarm_name, "bookstore-api-unhealthy");
        assert!(event.is_alarm());
        assert_eq!(
            event.alarm_at,
            at(),
            "the state change time, not the event time"
        );
        assert_eq!(event.source, "eventbridge");
        assert_eq!(
            event.event_id.as_deref(),
            Some("7f4f7bc1-7a2c-4b61-9c0e-0a4b2f1e5d31")
        );
    }

    #[test]
    fn reads_the_sns_alarm_notification() {
        let events = alarm_events(&fixture("sns-alarm-notification.json")).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].alarm_name, "bookstore-api-unhealthy");
        assert_eq!(events[0].state, "ALARM");
        assert_eq!(events[0].alarm_at, at());
        assert_eq!(events[0].source, "sns");
    }

    #[test]
    fn the_drill_event_reads_back() {
        let payload = eventbridge_alarm_event("a", "us-west-2", "123456789012", at(), "drill");
        let events = alarm_events(&payload).unwrap();
        assert_eq!(events[0].alarm_at, at());
        assert!(events[0].is_alarm());
    }

    #[test]
    fn ok_events_are_read_and_other_events_refused() {
        let mut payload = fixture("alarm-state-change.json");
        payload["detail"]["state"]["value"] = "OK".into();
        assert!(!alarm_events(&payload).unwrap()[0].is_alarm());
        assert_eq!(
            alarm_events(&serde_json::json!({"hello": 1})).unwrap_err(),
            EventError::Unrecognised
        );
        let mut wrong_type = payload.clone();
        wrong_type["detail"]["state"]["value"] = 5.into();
        match alarm_events(&wrong_type).unwrap_err() {
            EventError::Malformed { field, .. } => assert_eq!(field, "detail.state.value"),
            other => panic!("{other}"),
        }
        payload["detail-type"] = "EC2 Instance State-change Notification".into();
        assert!(matches!(
            alarm_events(&payload).unwrap_err(),
            EventError::Malformed { .. }
        ));
        assert_eq!(
            parse_alarm_time("2015-06-03T17:43:27.123+0000")
                .unwrap()
                .timestamp_millis(),
            1_433_353_407_123
        );
    }
}
