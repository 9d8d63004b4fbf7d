//! The Bookstore API tier: the primary instance the API's A record points at (it carries the
//! failover policy's `failover=primary` tag and not the opt-in tag, so experiments never
//! select it), four opted-in API instances spread over the two subnets, the backup AMI made
//! from the primary, and the `bookstore-api-ec2` launch template the failover relaunches
//! from. Each is found before it is created, so seeding twice creates nothing new.

use aws_sdk_ec2::types::{
    Filter, InstanceType, LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
    RequestLaunchTemplateData, ResourceType, Tag, TagSpecification,
};
use gameday_core::failover::QUARANTINE_TAG_KEY;
use gameday_core::spec::{OPT_IN_TAG_KEY, OPT_IN_TAG_VALUE};

use super::network::{BookstoreNetwork, missing};
use crate::error::{AwsError, from_sdk};

/// How many opted-in API instances the fleet has.
const OPTED_IN_COUNT: usize = 4;
/// The tag that marks the opted-in instances the seed made (so a second seed tops them up).
const SEED_TAG_KEY: &str = "gameday:seed";
const SEED_TAG_VALUE: &str = "bookstore-api-fleet";
/// The failover policy's primary selector, `examples/bookstore/failover.yaml`.
pub const PRIMARY_TAGS: [(&str, &str); 3] = [
    ("service", "bookstore"),
    ("role", "api"),
    ("failover", "primary"),
];
/// The failover policy's `relaunch.imageTags` and `relaunch.launchTemplate`.
pub const BACKUP_IMAGE_TAG: (&str, &str) = ("backup-of", "bookstore-api");
pub const BACKUP_IMAGE_NAME: &str = "bookstore-api-ec2-image";
pub const LAUNCH_TEMPLATE_NAME: &str = "bookstore-api-ec2";
const LIVE_STATES: &str = "pending,running,stopping,stopped";

/// The API instances, the backup image and the launch template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ApiTier {
    pub primary: String,
    pub opted_in: Vec<String>,
    pub image_id: String,
    pub launch_template_id: String,
}

pub(super) async fn ensure_api_tier(
    ec2: &aws_sdk_ec2::Client,
    network: &BookstoreNetwork,
) -> Result<ApiTier, AwsError> {
    let base_image = amazon_image(ec2).await?;
    let primary = match live_instances(ec2, &PRIMARY_TAGS).await?.into_iter().next() {
        Some(primary) => primary,
        None => {
            let mut tags = vec![("Name", "bookstore-api")];
            tags.extend(PRIMARY_TAGS);
            launch(ec2, &base_image, &network.subnet_ids[0], network, &tags).await?
        }
    };
    let mut opted_in = live_instances(ec2, &[(SEED_TAG_KEY, SEED_TAG_VALUE)]).await?;
    let opted_in_tags = [
        ("Name", "bookstore-api"),
        ("service", "bookstore"),
        ("role", "api"),
        (OPT_IN_TAG_KEY, OPT_IN_TAG_VALUE),
        (SEED_TAG_KEY, SEED_TAG_VALUE),
    ];
    while opted_in.len() < OPTED_IN_COUNT {
        let subnet = &network.subnet_ids[opted_in.len() % network.subnet_ids.len()];
        opted_in.push(launch(ec2, &base_image, subnet, network, &opted_in_tags).await?);
    }
    // Sorted, so a second seed reports the fleet exactly as the first did.
    opted_in.sort();
    let image_id = ensure_backup_image(ec2, &primary).await?;
    let launch_template_id = ensure_launch_template(ec2, &image_id, network).await?;
    Ok(ApiTier {
        primary,
        opted_in,
        image_id,
        launch_template_id,
    })
}

fn filter(name: &str, values: &str) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.split(',').map(String::from).collect()))
        .build()
}

fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect()
}

/// The image every sandbox instance starts from (moto ships a set of Amazon images).
async fn amazon_image(ec2: &aws_sdk_ec2::Client) -> Result<String, AwsError> {
    ec2.describe_images()
        .owners("amazon")
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeImages", e))?
        .images()
        .iter()
        .find_map(|i| i.image_id().map(String::from))
        .ok_or_else(|| AwsError::Refused {
            service: "ec2",
            operation: "DescribeImages",
            code: "NoImage".into(),
            message: "the sandbox offers no Amazon image to launch".into(),
        })
}

/// Instances carrying every tag that are not terminated and not quarantined by a failover,
/// oldest first.
async fn live_instances(
    ec2: &aws_sdk_ec2::Client,
    wanted: &[(&str, &str)],
) -> Result<Vec<String>, AwsError> {
    let mut request = ec2
        .describe_instances()
        .filters(filter("instance-state-name", LIVE_STATES));
    for (key, value) in wanted {
        request = request.filters(filter(&format!("tag:{key}"), value));
    }
    let output = request
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeInstances", e))?;
    let mut found: Vec<_> = output
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| !i.tags().iter().any(|t| t.key() == Some(QUARANTINE_TAG_KEY)))
        .filter_map(|i| Some((i.launch_time().cloned(), i.instance_id()?.to_string())))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    Ok(found.into_iter().map(|(_, id)| id).collect())
}

async fn launch(
    ec2: &aws_sdk_ec2::Client,
    image: &str,
    subnet: &str,
    network: &BookstoreNetwork,
    instance_tags: &[(&str, &str)],
) -> Result<String, AwsError> {
    ec2.run_instances()
        .image_id(image)
        .instance_type(InstanceType::T2Micro)
        .subnet_id(subnet)
        .security_group_ids(&network.security_group_id)
        .min_count(1)
        .max_count(1)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(tags(instance_tags)))
                .build(),
        )
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "RunInstances", e))?
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .map(String::from)
        .ok_or_else(|| missing("RunInstances", "an instance id"))
}

/// The backup AMI of the primary, tagged as the failover policy looks it up.
async fn ensure_backup_image(ec2: &aws_sdk_ec2::Client, primary: &str) -> Result<String, AwsError> {
    let (key, value) = BACKUP_IMAGE_TAG;
    let found = ec2
        .describe_images()
        .owners("self")
        .filters(filter(&format!("tag:{key}"), value))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeImages", e))?;
    if let Some(id) = found.images().iter().find_map(|i| i.image_id()) {
        return Ok(id.to_string());
    }
    let image_id = ec2
        .create_image()
        .instance_id(primary)
        .name(BACKUP_IMAGE_NAME)
        .description("Backup of the Bookstore API primary, for failover relaunches")
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "CreateImage", e))?
        .image_id()
        .map(String::from)
        .ok_or_else(|| missing("CreateImage", "an image id"))?;
    ec2.create_tags()
        .resources(&image_id)
        .set_tags(Some(tags(&[BACKUP_IMAGE_TAG, ("Name", BACKUP_IMAGE_NAME)])))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "CreateTags", e))?;
    Ok(image_id)
}

/// The API's launch template: the backup AMI, in the first API subnet with the API's security
/// group and a public address. (moto 5.2.5 ignores a template's network interfaces when it
/// launches from one, so in the sandbox a replacement lands in the default subnet; it still
/// gets a public address.)
async fn ensure_launch_template(
    ec2: &aws_sdk_ec2::Client,
    image_id: &str,
    network: &BookstoreNetwork,
) -> Result<String, AwsError> {
    let found = ec2
        .describe_launch_templates()
        .filters(filter("launch-template-name", LAUNCH_TEMPLATE_NAME))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeLaunchTemplates", e))?;
    if let Some(id) = found
        .launch_templates()
        .iter()
        .find(|t| t.launch_template_name() == Some(LAUNCH_TEMPLATE_NAME))
        .and_then(|t| t.launch_template_id())
    {
        return Ok(id.to_string());
    }
    let interface = LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
        .device_index(0)
        .subnet_id(&network.subnet_ids[0])
        .groups(&network.security_group_id)
        .associate_public_ip_address(true)
        .build();
    ec2.create_launch_template()
        .launch_template_name(LAUNCH_TEMPLATE_NAME)
        .version_description("Bookstore API from the backup AMI")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(image_id)
                .instance_type(InstanceType::T2Micro)
                .network_interfaces(interface)
                .build(),
        )
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "CreateLaunchTemplate", e))?
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .map(String::from)
        .ok_or_else(|| missing("CreateLaunchTemplate", "a launch template id"))
}
