//! EC2 fault actions and their undo: terminate, stop, start, reboot.

use std::future::Future;

use crate::error::{AwsError, from_sdk};

/// Acts on instances. Callers pass only locked, opted-in targets; the adapter acts on exactly
/// the ids given and nothing else.
pub trait InstanceActions {
    fn terminate(
        &self,
        instance_ids: &[String],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn stop(&self, instance_ids: &[String]) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn start(&self, instance_ids: &[String]) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn reboot(&self, instance_ids: &[String]) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// Ids per EC2 call. TerminateInstances takes up to 1000 ids and EC2 recommends smaller
/// batches; one unknown id fails the whole call, so small batches also keep a failure small.
const IDS_PER_CALL: usize = 100;

/// The EC2 adapter: `TerminateInstances`, `StopInstances`, `StartInstances` and
/// `RebootInstances`, always by explicit instance id (never by filter), so nothing but the
/// given instances can be touched. An empty list makes no call.
#[derive(Clone, Debug)]
pub struct Ec2Actions {
    client: aws_sdk_ec2::Client,
}

impl Ec2Actions {
    pub fn new(client: aws_sdk_ec2::Client) -> Self {
        Self { client }
    }
}

/// The ids in batches for one call each, without repeats, in the order given.
fn batches(instance_ids: &[String]) -> Vec<Vec<String>> {
    let mut unique: Vec<String> = Vec::with_capacity(instance_ids.len());
    for id in instance_ids {
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    unique
        .chunks(IDS_PER_CALL)
        .map(<[String]>::to_vec)
        .collect()
}

impl InstanceActions for Ec2Actions {
    async fn terminate(&self, instance_ids: &[String]) -> Result<(), AwsError> {
        for ids in batches(instance_ids) {
            self.client
                .terminate_instances()
                .set_instance_ids(Some(ids))
                .send()
                .await
                .map_err(|e| from_sdk("ec2", "TerminateInstances", e))?;
        }
        Ok(())
    }

    async fn stop(&self, instance_ids: &[String]) -> Result<(), AwsError> {
        for ids in batches(instance_ids) {
            self.client
                .stop_instances()
                .set_instance_ids(Some(ids))
                .send()
                .await
                .map_err(|e| from_sdk("ec2", "StopInstances", e))?;
        }
        Ok(())
    }

    async fn start(&self, instance_ids: &[String]) -> Result<(), AwsError> {
        for ids in batches(instance_ids) {
            self.client
                .start_instances()
                .set_instance_ids(Some(ids))
                .send()
                .await
                .map_err(|e| from_sdk("ec2", "StartInstances", e))?;
        }
        Ok(())
    }

    async fn reboot(&self, instance_ids: &[String]) -> Result<(), AwsError> {
        for ids in batches(instance_ids) {
            self.client
                .reboot_instances()
                .set_instance_ids(Some(ids))
                .send()
                .await
                .map_err(|e| from_sdk("ec2", "RebootInstances", e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_drop_repeats_and_split_long_lists() {
        assert!(batches(&[]).is_empty());
        let ids: Vec<String> = ["i-b", "i-a", "i-b"].map(String::from).to_vec();
        assert_eq!(
            batches(&ids),
            vec![vec!["i-b".to_string(), "i-a".to_string()]]
        );
        let many: Vec<String> = (0..250).map(|n| format!("i-{n:04}")).collect();
        let split = batches(&many);
        assert_eq!(
            split.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert_eq!(split.concat(), many);
    }
}
