//! The VPC networking records one (account, region) keeps beside its VPCs: subnets (with the
//! private addresses taken in them), internet gateways, route tables, network ACLs, DHCP
//! option sets, Elastic IPs and network interfaces, plus the marker saying the scope's
//! defaults were created. [`NetRec`] is the one stored shape (table `ec2.network`, see
//! `persist`); [`Net`] is the in-memory index a scope holds. Validation lives in the
//! handlers, wire rendering in `render_net`.

use crate::model::TagRec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One subnet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetRec {
    pub subnet_id: String,
    pub vpc_id: String,
    pub cidr_block: String,
    pub az: String,
    pub az_id: String,
    pub map_public_ip_on_launch: bool,
    pub default_for_az: bool,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// Private IPv4 addresses in use (as `u32`) → who holds each (an ENI id, or the
    /// owner string a caller of the public API gave).
    #[serde(default)]
    pub taken: BTreeMap<u32, String>,
}

/// One internet gateway; `vpc_id` is the VPC it is attached to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IgwRec {
    pub igw_id: String,
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

/// One route: a destination CIDR and its target (`local`, an `igw-`, `eni-`, `nat-`, …
/// id). `origin` is AWS's `CreateRouteTable` (the local route) or `CreateRoute`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteRec {
    pub destination: String,
    pub target: String,
    pub origin: String,
}

/// A route table association: a subnet's, or the VPC's main one (`subnet_id` `None`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RtbAssocRec {
    pub assoc_id: String,
    pub subnet_id: Option<String>,
    pub main: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteTableRec {
    pub rtb_id: String,
    pub vpc_id: String,
    pub routes: Vec<RouteRec>,
    pub associations: Vec<RtbAssocRec>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

impl RouteTableRec {
    pub fn is_main(&self) -> bool {
        self.associations.iter().any(|a| a.main)
    }
}

/// One network ACL entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AclEntryRec {
    pub rule_number: i32,
    pub egress: bool,
    /// `-1` (all) or a protocol number.
    pub protocol: String,
    pub allow: bool,
    pub cidr_block: String,
    pub port_range: Option<(i32, i32)>,
}

/// One subnet's association with an ACL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AclAssocRec {
    pub assoc_id: String,
    pub subnet_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AclRec {
    pub acl_id: String,
    pub vpc_id: String,
    pub is_default: bool,
    pub entries: Vec<AclEntryRec>,
    pub associations: Vec<AclAssocRec>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

/// A DHCP options set: (key, values) in AWS's order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DhcpRec {
    pub dopt_id: String,
    pub configurations: Vec<(String, Vec<String>)>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

/// An Elastic IP (VPC domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddressRec {
    pub allocation_id: String,
    pub public_ip: String,
    /// The network interface it is associated with, and that association's id.
    pub association: Option<(String, String)>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

/// A network interface (an instance's or a load balancer node's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EniRec {
    pub eni_id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub az: String,
    pub private_ip: String,
    pub mac: String,
    pub description: String,
    pub group_ids: Vec<String>,
    /// AWS's `InterfaceType` (`interface`, `network_load_balancer`, …).
    pub interface_type: String,
    /// Set for interfaces a service manages (`amazon-elb`, …).
    pub requester_id: Option<String>,
    /// The instance it is attached to: (instance id, attachment id, device index).
    pub attachment: Option<(String, String, i32)>,
    /// A public address mapped to it (auto-assigned or an Elastic IP).
    pub public_ip: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

/// The stored shape of every networking record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetRec {
    Subnet(SubnetRec),
    InternetGateway(IgwRec),
    RouteTable(RouteTableRec),
    NetworkAcl(AclRec),
    DhcpOptions(DhcpRec),
    Address(AddressRec),
    NetworkInterface(EniRec),
    /// The scope's default VPC and its companions were created (once; deleting the default
    /// VPC afterwards does not bring it back, as on AWS).
    Defaults,
}

/// The store key id of the [`NetRec::Defaults`] marker.
pub const DEFAULTS_ID: &str = "~defaults";

impl NetRec {
    pub fn id(&self) -> &str {
        match self {
            NetRec::Subnet(r) => &r.subnet_id,
            NetRec::InternetGateway(r) => &r.igw_id,
            NetRec::RouteTable(r) => &r.rtb_id,
            NetRec::NetworkAcl(r) => &r.acl_id,
            NetRec::DhcpOptions(r) => &r.dopt_id,
            NetRec::Address(r) => &r.allocation_id,
            NetRec::NetworkInterface(r) => &r.eni_id,
            NetRec::Defaults => DEFAULTS_ID,
        }
    }
}

/// One scope's networking records, by id.
#[derive(Clone, Debug, Default)]
pub struct Net {
    pub subnets: BTreeMap<String, SubnetRec>,
    pub igws: BTreeMap<String, IgwRec>,
    pub route_tables: BTreeMap<String, RouteTableRec>,
    pub acls: BTreeMap<String, AclRec>,
    pub dhcp_options: BTreeMap<String, DhcpRec>,
    pub addresses: BTreeMap<String, AddressRec>,
    pub enis: BTreeMap<String, EniRec>,
    /// Whether the scope's defaults were created.
    pub initialised: bool,
}

impl Net {
    pub fn put(&mut self, rec: NetRec) {
        match rec {
            NetRec::Subnet(r) => {
                self.subnets.insert(r.subnet_id.clone(), r);
            }
            NetRec::InternetGateway(r) => {
                self.igws.insert(r.igw_id.clone(), r);
            }
            NetRec::RouteTable(r) => {
                self.route_tables.insert(r.rtb_id.clone(), r);
            }
            NetRec::NetworkAcl(r) => {
                self.acls.insert(r.acl_id.clone(), r);
            }
            NetRec::DhcpOptions(r) => {
                self.dhcp_options.insert(r.dopt_id.clone(), r);
            }
            NetRec::Address(r) => {
                self.addresses.insert(r.allocation_id.clone(), r);
            }
            NetRec::NetworkInterface(r) => {
                self.enis.insert(r.eni_id.clone(), r);
            }
            NetRec::Defaults => self.initialised = true,
        }
    }

    /// Forgets the record with `id` (whatever its kind).
    pub fn remove(&mut self, id: &str) {
        if id == DEFAULTS_ID {
            self.initialised = false;
            return;
        }
        self.subnets.remove(id);
        self.igws.remove(id);
        self.route_tables.remove(id);
        self.acls.remove(id);
        self.dhcp_options.remove(id);
        self.addresses.remove(id);
        self.enis.remove(id);
    }

    /// The main route table of `vpc_id`.
    pub fn main_route_table(&self, vpc_id: &str) -> Option<&RouteTableRec> {
        self.route_tables
            .values()
            .find(|r| r.vpc_id == vpc_id && r.is_main())
    }

    /// The default network ACL of `vpc_id`.
    pub fn default_acl(&self, vpc_id: &str) -> Option<&AclRec> {
        self.acls
            .values()
            .find(|a| a.vpc_id == vpc_id && a.is_default)
    }

    /// The ACL `subnet_id` is associated with.
    pub fn acl_of_subnet(&self, subnet_id: &str) -> Option<&AclRec> {
        self.acls
            .values()
            .find(|a| a.associations.iter().any(|x| x.subnet_id == subnet_id))
    }

    /// The route table explicitly associated with `subnet_id`.
    pub fn route_table_of_subnet(&self, subnet_id: &str) -> Option<&RouteTableRec> {
        self.route_tables.values().find(|r| {
            r.associations
                .iter()
                .any(|a| a.subnet_id.as_deref() == Some(subnet_id))
        })
    }

    /// The internet gateway attached to `vpc_id`.
    pub fn igw_of_vpc(&self, vpc_id: &str) -> Option<&IgwRec> {
        self.igws
            .values()
            .find(|g| g.vpc_id.as_deref() == Some(vpc_id))
    }
}
