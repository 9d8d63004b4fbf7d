//! SSM parameters: the kill switch lives in one.

use std::future::Future;

use crate::error::{AwsError, from_sdk};

/// The default name of the global kill switch parameter.
pub const DEFAULT_KILL_SWITCH_PARAMETER: &str = "/gameday/kill-switch";

pub trait ParameterStore {
    /// The parameter's value, or `None` when it does not exist.
    fn get_parameter(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;
    fn put_parameter(
        &self,
        name: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct SsmParameters {
    client: aws_sdk_ssm::Client,
}

impl SsmParameters {
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        Self { client }
    }
}

impl ParameterStore for SsmParameters {
    async fn get_parameter(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.client.get_parameter().name(name).send().await {
            Ok(output) => Ok(output.parameter().and_then(|p| p.value()).map(String::from)),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_parameter_not_found()) =>
            {
                Ok(None)
            }
            Err(error) => Err(from_sdk("ssm", "GetParameter", error)),
        }
    }

    async fn put_parameter(&self, name: &str, value: &str) -> Result<(), AwsError> {
        self.client
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| from_sdk("ssm", "PutParameter", e))?;
        Ok(())
    }
}
