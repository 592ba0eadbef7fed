//! Customer-managed prefix lists: `CreateManagedPrefixList` (IPv4 or IPv6 entries, a
//! maximum size, names not starting with `com.amazonaws`), `DescribeManagedPrefixLists`,
//! `GetManagedPrefixListEntries` (any version), `ModifyManagedPrefixList` (add/remove
//! entries or resize, never both; `CurrentVersion` checked, `PrefixListVersionMismatch`)
//! and `DeleteManagedPrefixList` (refused while a security group rule references it).
//! Security group rules may reference these lists (`rules` checks they exist). AWS's own
//! service prefix lists (`com.amazonaws.{region}.s3`, …) are not modelled. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateManagedPrefixList.html>.

use super::{check_dry_run, check_ids};
use crate::cidr::Cidr;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    AddPrefixListEntry, CreateManagedPrefixListRequest, CreateManagedPrefixListResult,
    DeleteManagedPrefixListRequest, DeleteManagedPrefixListResult,
    DescribeManagedPrefixListsRequest, DescribeManagedPrefixListsResult,
    GetManagedPrefixListEntriesRequest, GetManagedPrefixListEntriesResult, ManagedPrefixList,
    ModifyManagedPrefixListRequest, ModifyManagedPrefixListResult, PrefixListEntry,
};
use crate::model::Peer;
use crate::network::{NetRec, PrefixListRec};
use crate::permissions::validate_cidr6;
use crate::persist::Change;
use crate::state::{scope_key, Ec2, Scope, ScopeKey};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

/// AWS's largest prefix list.
const MAX_ENTRIES_LIMIT: i32 = 1000;

pub(super) fn not_found(id: &str) -> AwsError {
    AwsError::client(
        "InvalidPrefixListID.NotFound",
        format!("The prefix list ID '{id}' does not exist"),
    )
}

fn find<'a>(scope: &'a Scope, id: &str) -> Result<&'a PrefixListRec, AwsError> {
    check_ids(
        std::slice::from_ref(&id.to_string()),
        "pl-",
        "InvalidPrefixListId",
    )?;
    scope.net.prefix_lists.get(id).ok_or_else(|| not_found(id))
}

fn render(key: &ScopeKey, p: &PrefixListRec) -> ManagedPrefixList {
    ManagedPrefixList {
        prefix_list_id: Some(p.pl_id.clone()),
        address_family: Some(p.address_family.clone()),
        state: Some(p.state.clone()),
        prefix_list_arn: Some(format!(
            "arn:aws:ec2:{}:{}:prefix-list/{}",
            key.1, key.0, p.pl_id
        )),
        prefix_list_name: Some(p.name.clone()),
        max_entries: Some(p.max_entries),
        version: Some(p.version()),
        tags: Some(tags::render(&p.tags).unwrap_or_default()),
        owner_id: Some(key.0.clone()),
        ..Default::default()
    }
}

fn check_cidr(family: &str, cidr: &str) -> Result<String, AwsError> {
    if family == "IPv6" {
        validate_cidr6(cidr)?;
        return Ok(cidr.to_ascii_lowercase());
    }
    Cidr::parse(cidr)
        .map(|c| c.to_string())
        .ok_or_else(|| errors::invalid_cidr("cidr", cidr))
}

fn check_size(n: i32) -> Result<(), AwsError> {
    if (1..=MAX_ENTRIES_LIMIT).contains(&n) {
        Ok(())
    } else {
        Err(errors::invalid_parameter_value(format!(
            "Value ({n}) for parameter maxEntries is invalid. It must be between 1 and {MAX_ENTRIES_LIMIT}."
        )))
    }
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() || name.len() > 255 {
        return Err(errors::invalid_parameter_value(
            "The prefix list name must be between 1 and 255 characters.",
        ));
    }
    if name.starts_with("com.amazonaws") {
        return Err(errors::invalid_parameter_value(
            "The prefix list name cannot start with com.amazonaws.",
        ));
    }
    Ok(())
}

fn exists(entry: &(String, Option<String>)) -> AwsError {
    AwsError::client(
        "InvalidPrefixListModification",
        format!(
            "An entry with the CIDR ({}) and description ({}) already exists.",
            entry.0,
            entry.1.as_deref().unwrap_or_default()
        ),
    )
}

/// Adds `new` entries to `into`, refusing repeats.
fn add_entries(
    family: &str,
    into: &mut Vec<(String, Option<String>)>,
    new: Vec<AddPrefixListEntry>,
) -> Result<(), AwsError> {
    for e in new {
        let entry = (check_cidr(family, &e.cidr)?, e.description);
        if into.iter().any(|x| x.0 == entry.0) {
            return Err(exists(&entry));
        }
        into.push(entry);
    }
    Ok(())
}

fn too_many(max: i32) -> AwsError {
    AwsError::client(
        "PrefixListMaxEntriesExceeded",
        format!("The prefix list has more entries than its maximum ({max})."),
    )
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateManagedPrefixListRequest,
) -> Result<CreateManagedPrefixListResult, AwsError> {
    let tags = tags::from_specs(input.tag_specifications, "prefix-list")?;
    check_dry_run(input.dry_run)?;
    check_name(&input.prefix_list_name)?;
    check_size(input.max_entries)?;
    let family = input.address_family;
    if family != "IPv4" && family != "IPv6" {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({family}) for parameter addressFamily is invalid. Valid values: IPv4, IPv6"
        )));
    }
    let mut entries = Vec::new();
    add_entries(&family, &mut entries, input.entries.unwrap_or_default())?;
    if entries.len() > input.max_entries as usize {
        return Err(too_many(input.max_entries));
    }
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, _| {
        let p = PrefixListRec {
            pl_id: ec2.ids.resource_id("pl"),
            name: input.prefix_list_name,
            address_family: family,
            max_entries: input.max_entries,
            state: "create-complete".into(),
            versions: vec![entries],
            tags,
        };
        let out = CreateManagedPrefixListResult {
            prefix_list: Some(render(&key, &p)),
        };
        Ok((Change::put_net(&key, NetRec::PrefixList(p)), out))
    })
    .await
}

const FILTERS: &[&str] = &["owner-id", "prefix-list-id", "prefix-list-name"];

fn matches(account: &str, p: &PrefixListRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&p.tags) {
        return m;
    }
    match f.name.as_str() {
        "owner-id" => f.matches(account),
        "prefix-list-id" => f.matches(&p.pl_id),
        "prefix-list-name" => f.matches(&p.name),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeManagedPrefixListsRequest,
) -> Result<DescribeManagedPrefixListsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 1, 100)?;
    let ids = input.prefix_list_ids.unwrap_or_default();
    check_ids(&ids, "pl-", "InvalidPrefixListId")?;
    let key = scope_key(ctx);
    let found = ec2
        .read(ctx, |_, scope| -> Result<Vec<PrefixListRec>, AwsError> {
            if let Some(missing) = ids
                .iter()
                .find(|id| !scope.net.prefix_lists.contains_key(*id))
            {
                return Err(not_found(missing));
            }
            Ok(scope
                .net
                .prefix_lists
                .values()
                .filter(|p| ids.is_empty() || ids.contains(&p.pl_id))
                .filter(|p| filters.iter().all(|f| matches(&key.0, p, f)))
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        found,
        |p| p.pl_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeManagedPrefixListsResult {
        next_token,
        prefix_lists: Some(page.iter().map(|p| render(&key, p)).collect()),
    })
}

pub(super) async fn entries(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: GetManagedPrefixListEntriesRequest,
) -> Result<GetManagedPrefixListEntriesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    filters::check_max_results(input.max_results, 1, 100)?;
    let mut entries = ec2
        .read(ctx, |_, scope| -> Result<_, AwsError> {
            let p = find(scope, &input.prefix_list_id)?;
            let version = input.target_version.unwrap_or_else(|| p.version());
            if version < 1 || version > p.version() {
                return Err(errors::invalid_parameter_value(format!(
                    "The prefix list {} does not have version {version}.",
                    p.pl_id
                )));
            }
            Ok(p.versions[(version - 1) as usize].clone())
        })
        .await??;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next_token) = filters::paginate(
        entries,
        |e| e.0.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(GetManagedPrefixListEntriesResult {
        entries: Some(
            page.into_iter()
                .map(|(cidr, description)| PrefixListEntry {
                    cidr: Some(cidr),
                    description,
                })
                .collect(),
        ),
        next_token,
    })
}

pub(super) async fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifyManagedPrefixListRequest,
) -> Result<ModifyManagedPrefixListResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let adds = input.add_entries.unwrap_or_default();
    let removes = input.remove_entries.unwrap_or_default();
    let changes_entries = !adds.is_empty() || !removes.is_empty();
    if changes_entries && input.max_entries.is_some() {
        return Err(errors::invalid_parameter_combination(
            "You cannot modify the entries and the maximum entries for the prefix list in the same request.",
        ));
    }
    if let Some(name) = input.prefix_list_name.as_deref() {
        check_name(name)?;
    }
    if let Some(n) = input.max_entries {
        check_size(n)?;
    }
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let mut p = find(scope, &input.prefix_list_id)?.clone();
        if input.current_version.is_some_and(|v| v != p.version()) {
            return Err(AwsError::client(
                "PrefixListVersionMismatch",
                "The prefix list has the incorrect version number.",
            ));
        }
        if changes_entries {
            let mut next = p.entries().to_vec();
            for r in &removes {
                let cidr = check_cidr(&p.address_family, &r.cidr)?;
                let before = next.len();
                next.retain(|e| e.0 != cidr);
                if next.len() == before {
                    return Err(AwsError::client(
                        "InvalidPrefixListModification",
                        format!(
                            "The entry with the CIDR ({cidr}) does not exist in the prefix list."
                        ),
                    ));
                }
            }
            add_entries(&p.address_family, &mut next, adds)?;
            if next.len() > p.max_entries as usize {
                return Err(too_many(p.max_entries));
            }
            p.versions.push(next);
        }
        if let Some(n) = input.max_entries {
            if (n as usize) < p.entries().len() {
                return Err(too_many(n));
            }
            p.max_entries = n;
        }
        if let Some(name) = input.prefix_list_name {
            p.name = name;
        }
        p.state = "modify-complete".into();
        let out = ModifyManagedPrefixListResult {
            prefix_list: Some(render(&key, &p)),
        };
        Ok((Change::put_net(&key, NetRec::PrefixList(p)), out))
    })
    .await
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteManagedPrefixListRequest,
) -> Result<DeleteManagedPrefixListResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let p = find(scope, &input.prefix_list_id)?;
        let referenced = scope.groups.values().any(|g| {
            g.rules
                .iter()
                .any(|r| matches!(&r.peer, Peer::PrefixList(id) if *id == p.pl_id))
        });
        if referenced {
            return Err(errors::has_dependencies("prefixList", &p.pl_id));
        }
        let mut gone = p.clone();
        gone.state = "delete-complete".into();
        let out = DeleteManagedPrefixListResult {
            prefix_list: Some(render(&key, &gone)),
        };
        let change = Change {
            delete_net: vec![(key.clone(), p.pl_id.clone())],
            ..Default::default()
        };
        Ok((change, out))
    })
    .await
}
