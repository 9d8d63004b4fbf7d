//! EventBridge Scheduler: the schedules that start experiments on their cadence, for
//! `gameday schedule sync`.
//!
//! What the local sandbox (moto 5.2.5) serves, read from its `moto/scheduler` source and
//! seen in `tests/schedules.rs`: schedule groups and schedules (create, get, update, delete,
//! list by group with pagination) are kept as given. It does not:
//! - fire schedules: nothing starts the target, so a sandbox run is started by hand;
//! - check expressions, time zones, role or target ARNs (real Scheduler rejects bad ones with
//!   a `ValidationException`; gameday validates expressions and zones itself first);
//! - refuse a schedule in a missing group cleanly (it fails with a server error instead of
//!   `ResourceNotFoundException`), which is why the group is created before any schedule;
//! - honour `ClientToken` (the SDK's idempotency token).

use std::future::Future;

use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target};
use gameday_core::schedule_sync::ScheduleDefinition;

use crate::error::{AwsError, from_sdk};

const SERVICE: &str = "scheduler";

pub trait Schedules {
    /// Whether the schedule group exists.
    fn group_exists(&self, group: &str) -> impl Future<Output = Result<bool, AwsError>> + Send;
    fn create_group(&self, group: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// The names of every schedule in the group (all pages).
    fn list_names(&self, group: &str)
    -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    /// The schedule, or `None` when the group has no schedule of that name.
    fn get(
        &self,
        group: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<ScheduleDefinition>, AwsError>> + Send;
    fn create(
        &self,
        group: &str,
        schedule: &ScheduleDefinition,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Replaces every field of the schedule (UpdateSchedule has no partial update).
    fn update(
        &self,
        group: &str,
        schedule: &ScheduleDefinition,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Deletes the schedule; one already gone is not an error.
    fn delete(&self, group: &str, name: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct SchedulerSchedules {
    client: aws_sdk_scheduler::Client,
}

impl SchedulerSchedules {
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_scheduler::Client::new(config),
        }
    }
}

/// Written on every schedule gameday creates, so a person who finds it knows where it comes
/// from.
fn description(schedule: &ScheduleDefinition) -> String {
    format!(
        "gameday: starts the experiment state machine with {}; managed by `gameday schedule sync`",
        schedule.input
    )
}

fn target(operation: &'static str, schedule: &ScheduleDefinition) -> Result<Target, AwsError> {
    Target::builder()
        .arn(&schedule.target_arn)
        .role_arn(&schedule.role_arn)
        .input(&schedule.input)
        .build()
        .map_err(|e| refused_locally(operation, e))
}

fn window(
    operation: &'static str,
    schedule: &ScheduleDefinition,
) -> Result<FlexibleTimeWindow, AwsError> {
    let builder = match schedule.flexible_window_minutes {
        None => FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off),
        Some(minutes) => FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Flexible)
            .maximum_window_in_minutes(minutes),
    };
    builder.build().map_err(|e| refused_locally(operation, e))
}

fn state(schedule: &ScheduleDefinition) -> ScheduleState {
    if schedule.enabled {
        ScheduleState::Enabled
    } else {
        ScheduleState::Disabled
    }
}

/// A request the SDK could not even build (a required field missing).
fn refused_locally(operation: &'static str, error: impl std::fmt::Display) -> AwsError {
    AwsError::Refused {
        service: SERVICE,
        operation,
        code: "InvalidRequest".to_string(),
        message: error.to_string(),
    }
}

impl Schedules for SchedulerSchedules {
    async fn group_exists(&self, group: &str) -> Result<bool, AwsError> {
        match self.client.get_schedule_group().name(group).send().await {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(from_sdk(SERVICE, "GetScheduleGroup", error)),
        }
    }

    async fn create_group(&self, group: &str) -> Result<(), AwsError> {
        match self.client.create_schedule_group().name(group).send().await {
            Ok(_) => Ok(()),
            // Created meanwhile by someone else: the group exists, which is what was asked.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conflict_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(from_sdk(SERVICE, "CreateScheduleGroup", error)),
        }
    }

    async fn list_names(&self, group: &str) -> Result<Vec<String>, AwsError> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_schedules()
                .group_name(group)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| from_sdk(SERVICE, "ListSchedules", e))?;
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|summary| summary.name().map(String::from)),
            );
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    async fn get(&self, group: &str, name: &str) -> Result<Option<ScheduleDefinition>, AwsError> {
        let found = match self
            .client
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(found) => found,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(from_sdk(SERVICE, "GetSchedule", error)),
        };
        let target = found.target();
        let window = found.flexible_time_window();
        Ok(Some(ScheduleDefinition {
            name: found.name().unwrap_or(name).to_string(),
            expression: found.schedule_expression().unwrap_or_default().to_string(),
            // Scheduler reads an expression without a zone in UTC.
            time_zone: found
                .schedule_expression_timezone()
                .unwrap_or("UTC")
                .to_string(),
            target_arn: target.map(|t| t.arn().to_string()).unwrap_or_default(),
            role_arn: target.map(|t| t.role_arn().to_string()).unwrap_or_default(),
            input: target
                .and_then(|t| t.input())
                .unwrap_or_default()
                .to_string(),
            flexible_window_minutes: window
                .filter(|w| *w.mode() == FlexibleTimeWindowMode::Flexible)
                .map(|w| w.maximum_window_in_minutes().unwrap_or(0)),
            enabled: found.state() != Some(&ScheduleState::Disabled),
        }))
    }

    async fn create(&self, group: &str, schedule: &ScheduleDefinition) -> Result<(), AwsError> {
        self.client
            .create_schedule()
            .group_name(group)
            .name(&schedule.name)
            .description(description(schedule))
            .schedule_expression(&schedule.expression)
            .schedule_expression_timezone(&schedule.time_zone)
            .flexible_time_window(window("CreateSchedule", schedule)?)
            .target(target("CreateSchedule", schedule)?)
            .state(state(schedule))
            .send()
            .await
            .map_err(|e| from_sdk(SERVICE, "CreateSchedule", e))?;
        Ok(())
    }

    async fn update(&self, group: &str, schedule: &ScheduleDefinition) -> Result<(), AwsError> {
        self.client
            .update_schedule()
            .group_name(group)
            .name(&schedule.name)
            .description(description(schedule))
            .schedule_expression(&schedule.expression)
            .schedule_expression_timezone(&schedule.time_zone)
            .flexible_time_window(window("UpdateSchedule", schedule)?)
            .target(target("UpdateSchedule", schedule)?)
            .state(state(schedule))
            .send()
            .await
            .map_err(|e| from_sdk(SERVICE, "UpdateSchedule", e))?;
        Ok(())
    }

    async fn delete(&self, group: &str, name: &str) -> Result<(), AwsError> {
        match self
            .client
            .delete_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(from_sdk(SERVICE, "DeleteSchedule", error)),
        }
    }
}
