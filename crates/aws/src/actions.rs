//! EC2 fault actions and their undo: terminate, stop, start, reboot.

use std::future::Future;

use crate::error::AwsError;

/// Acts on instances. Callers pass only locked, opted-in targets; the adapter acts on exactly
/// the ids given and nothing else.
pub trait InstanceActions {
    fn terminate(&self, instance_ids: &[String]) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn stop(&self, instance_ids: &[String]) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn start(&self, instance_ids: &[String]) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn reboot(&self, instance_ids: &[String]) -> impl Future<Output = Result<(), AwsError>> + Send;
}
