//! The EventBridge Scheduler adapter against the sandbox's Scheduler (moto).

use gameday_aws::schedules::{SchedulerSchedules, Schedules};
use gameday_core::schedule_sync::{ScheduleDefinition, schedule_input};
use gameday_e2e::TestSandbox;

fn definition(name: &str, expression: &str) -> ScheduleDefinition {
    ScheduleDefinition {
        name: name.to_string(),
        expression: expression.to_string(),
        time_zone: "America/Los_Angeles".to_string(),
        target_arn: "arn:aws:states:us-west-2:123456789012:stateMachine:gameday-experiment"
            .to_string(),
        role_arn: "arn:aws:iam::123456789012:role/gameday-scheduler".to_string(),
        input: schedule_input("api-instance-failure"),
        flexible_window_minutes: None,
        enabled: true,
    }
}

#[tokio::test]
async fn schedules_are_created_read_back_updated_listed_and_deleted() {
    let sandbox = TestSandbox::start().await;
    let schedules = SchedulerSchedules::from_config(&sandbox.config);
    let group = "gameday";

    assert!(!schedules.group_exists(group).await.unwrap());
    schedules.create_group(group).await.unwrap();
    assert!(schedules.group_exists(group).await.unwrap());
    schedules
        .create_group(group)
        .await
        .expect("creating an existing group is not an error");

    let created = definition("gameday-api-instance-failure", "cron(0 10 ? * 3#1 *)");
    schedules.create(group, &created).await.unwrap();
    assert_eq!(
        schedules.get(group, &created.name).await.unwrap(),
        Some(created.clone()),
        "every field reads back as written"
    );
    let again = schedules.create(group, &created).await.unwrap_err();
    assert_eq!(again.code(), Some("ConflictException"), "{again}");

    let mut flexible = definition("gameday-database-failure", "rate(7 days)");
    flexible.flexible_window_minutes = Some(15);
    flexible.enabled = false;
    schedules.create(group, &flexible).await.unwrap();
    assert_eq!(
        schedules.get(group, &flexible.name).await.unwrap(),
        Some(flexible.clone())
    );

    let mut updated = created.clone();
    updated.expression = "cron(0 10 ? * 3#2 *)".to_string();
    updated.time_zone = "Europe/Berlin".to_string();
    schedules.update(group, &updated).await.unwrap();
    assert_eq!(
        schedules.get(group, &updated.name).await.unwrap(),
        Some(updated.clone())
    );

    let mut names = schedules.list_names(group).await.unwrap();
    names.sort();
    assert_eq!(
        names,
        ["gameday-api-instance-failure", "gameday-database-failure"]
    );
    assert!(
        schedules.list_names("default").await.unwrap().is_empty(),
        "listing is per group"
    );

    schedules.delete(group, &updated.name).await.unwrap();
    assert_eq!(schedules.get(group, &updated.name).await.unwrap(), None);
    schedules
        .delete(group, &updated.name)
        .await
        .expect("deleting a schedule already gone is not an error");
    assert_eq!(
        schedules.list_names(group).await.unwrap(),
        ["gameday-database-failure"]
    );
}
