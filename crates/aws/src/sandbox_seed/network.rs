//! The Bookstore network: one VPC, an API subnet in each of two availability zones (public
//! addresses on launch, as the API's A record points at a public address), and the API's
//! security group. Each piece is found by its `Name` tag before it is created.

use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, IpPermission, IpRange, ResourceType, Tag, TagSpecification,
};

use crate::error::{AwsError, from_sdk};

const VPC_NAME: &str = "bookstore-vpc";
const VPC_CIDR: &str = "10.20.0.0/16";
/// (Name tag, CIDR, availability-zone suffix) of the two API subnets.
const SUBNETS: [(&str, &str, &str); 2] = [
    ("bookstore-api-a", "10.20.1.0/24", "a"),
    ("bookstore-api-b", "10.20.2.0/24", "b"),
];
pub(super) const SECURITY_GROUP_NAME: &str = "bookstore-api";

/// The network the API instances and their launch template use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookstoreNetwork {
    pub vpc_id: String,
    /// One subnet per availability zone, in zone order.
    pub subnet_ids: Vec<String>,
    pub availability_zones: Vec<String>,
    pub security_group_id: String,
}

pub(super) async fn ensure_network(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<BookstoreNetwork, AwsError> {
    let vpc_id = ensure_vpc(ec2).await?;
    let mut subnet_ids = Vec::new();
    let mut availability_zones = Vec::new();
    for (name, cidr, zone_suffix) in SUBNETS {
        let zone = format!("{region}{zone_suffix}");
        subnet_ids.push(ensure_subnet(ec2, &vpc_id, name, cidr, &zone).await?);
        availability_zones.push(zone);
    }
    let security_group_id = ensure_security_group(ec2, &vpc_id).await?;
    Ok(BookstoreNetwork {
        vpc_id,
        subnet_ids,
        availability_zones,
        security_group_id,
    })
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn name_tag(resource: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key("Name").value(name).build())
        .tags(Tag::builder().key("service").value("bookstore").build())
        .build()
}

async fn ensure_vpc(ec2: &aws_sdk_ec2::Client) -> Result<String, AwsError> {
    let found = ec2
        .describe_vpcs()
        .filters(filter("tag:Name", VPC_NAME))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeVpcs", e))?;
    if let Some(id) = found.vpcs().iter().find_map(|v| v.vpc_id()) {
        return Ok(id.to_string());
    }
    let created = ec2
        .create_vpc()
        .cidr_block(VPC_CIDR)
        .tag_specifications(name_tag(ResourceType::Vpc, VPC_NAME))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "CreateVpc", e))?;
    created
        .vpc()
        .and_then(|v| v.vpc_id())
        .map(String::from)
        .ok_or_else(|| missing("CreateVpc", "a VPC id"))
}

async fn ensure_subnet(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    name: &str,
    cidr: &str,
    zone: &str,
) -> Result<String, AwsError> {
    let found = ec2
        .describe_subnets()
        .filters(filter("vpc-id", vpc_id))
        .filters(filter("tag:Name", name))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeSubnets", e))?;
    if let Some(id) = found.subnets().iter().find_map(|s| s.subnet_id()) {
        return Ok(id.to_string());
    }
    let subnet_id = ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .availability_zone(zone)
        .tag_specifications(name_tag(ResourceType::Subnet, name))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "CreateSubnet", e))?
        .subnet()
        .and_then(|s| s.subnet_id())
        .map(String::from)
        .ok_or_else(|| missing("CreateSubnet", "a subnet id"))?;
    ec2.modify_subnet_attribute()
        .subnet_id(&subnet_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "ModifySubnetAttribute", e))?;
    Ok(subnet_id)
}

async fn ensure_security_group(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
) -> Result<String, AwsError> {
    let found = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", vpc_id))
        .filters(filter("group-name", SECURITY_GROUP_NAME))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "DescribeSecurityGroups", e))?;
    if let Some(id) = found.security_groups().iter().find_map(|g| g.group_id()) {
        return Ok(id.to_string());
    }
    let group_id = ec2
        .create_security_group()
        .group_name(SECURITY_GROUP_NAME)
        .description("Bookstore API: HTTPS from anywhere")
        .vpc_id(vpc_id)
        .tag_specifications(name_tag(ResourceType::SecurityGroup, SECURITY_GROUP_NAME))
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "CreateSecurityGroup", e))?
        .group_id()
        .map(String::from)
        .ok_or_else(|| missing("CreateSecurityGroup", "a group id"))?;
    ec2.authorize_security_group_ingress()
        .group_id(&group_id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .map_err(|e| from_sdk("ec2", "AuthorizeSecurityGroupIngress", e))?;
    Ok(group_id)
}

pub(super) fn missing(operation: &'static str, what: &str) -> AwsError {
    AwsError::Refused {
        service: "ec2",
        operation,
        code: "IncompleteAnswer".into(),
        message: format!("the answer carries no {what}"),
    }
}
