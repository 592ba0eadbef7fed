//! `CreateKeyPair`, `ImportKeyPair`, `DescribeKeyPairs` and `DeleteKeyPair`: key pairs per
//! (account, region), unique by name, `key-` + 17 hex ids, tags from `TagSpecifications`,
//! the describe filters. The key material itself (generation, formats, fingerprints) is
//! `keypairs`'; the private key is returned once and never stored. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateKeyPair.html>.

use super::check_dry_run;
use crate::def_errors;
use crate::def_records::KeyPairRec;
use crate::defs::DefChange;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    CreateKeyPairRequest, DeleteKeyPairRequest, DeleteKeyPairResult, DescribeKeyPairsRequest,
    DescribeKeyPairsResult, ImportKeyPairRequest, ImportKeyPairResult, KeyPair, KeyPairInfo,
};
use crate::keypairs::{self, ImportError, KeyType};
use crate::state::Ec2;
use crate::tags;
use nimbus_core::{AwsError, RequestContext};
use std::sync::Arc;

/// Key names: 1 to 255 ASCII characters.
fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() {
        return Err(errors::invalid_parameter_value(
            "Value () for parameter keyName is invalid. The value cannot be empty",
        ));
    }
    if !name.is_ascii() {
        return Err(errors::invalid_parameter_value(
            "Character sets beyond ASCII are not supported.",
        ));
    }
    if name.len() > 255 {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({name}) for parameter keyName is invalid. Length exceeds maximum of 255 characters."
        )));
    }
    Ok(())
}

fn exists(ec2: &Ec2, ctx: &RequestContext, name: &str) -> bool {
    ec2.defs.read(|st| {
        st.key_pairs_of(ctx.account_id(), &ctx.region)
            .is_some_and(|m| m.contains_key(name))
    })
}

/// Stores `rec` unless its name was taken meanwhile.
async fn store(ec2: &Ec2, rec: KeyPairRec) -> Result<(), AwsError> {
    ec2.defs
        .mutate(|st| {
            if st
                .key_pairs_of(&rec.account, &rec.region)
                .is_some_and(|m| m.contains_key(&rec.key_name))
            {
                return Err(def_errors::key_pair_duplicate(&rec.key_name));
            }
            Ok((
                DefChange {
                    put_key_pairs: vec![rec],
                    ..Default::default()
                },
                (),
            ))
        })
        .await
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateKeyPairRequest,
) -> Result<KeyPair, AwsError> {
    check_name(&input.key_name)?;
    let kind = match input.key_type.as_deref() {
        None | Some("rsa") => KeyType::Rsa,
        Some("ed25519") => KeyType::Ed25519,
        Some(other) => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter keyType is invalid. Valid values are rsa and ed25519."
            )))
        }
    };
    let ppk = match input.key_format.as_deref() {
        None | Some("pem") => false,
        Some("ppk") => true,
        Some(other) => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter keyFormat is invalid. Valid values are pem and ppk."
            )))
        }
    };
    let tags = tags::from_specs(input.tag_specifications, "key-pair")?;
    check_dry_run(input.dry_run)?;
    if exists(ec2, ctx, &input.key_name) {
        return Err(def_errors::key_pair_duplicate(&input.key_name));
    }
    let name = input.key_name.clone();
    let created = tokio::task::spawn_blocking(move || keypairs::create(kind, ppk, &name))
        .await
        .map_err(|e| AwsError::internal(format!("key generation failed: {e}")))?
        .map_err(|e| AwsError::internal(format!("key generation failed: {e}")))?;
    let rec = KeyPairRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        key_pair_id: ec2.ids.resource_id("key"),
        key_name: input.key_name,
        key_type: kind.as_str().to_string(),
        fingerprint: created.fingerprint,
        public_key: created.public_key,
        create_time: ctx.now,
        tags,
    };
    let out = KeyPair {
        key_pair_id: Some(rec.key_pair_id.clone()),
        tags: tags::render(&rec.tags),
        key_name: Some(rec.key_name.clone()),
        key_fingerprint: Some(rec.fingerprint.clone()),
        key_material: Some(created.private_key),
    };
    store(ec2, rec).await?;
    Ok(out)
}

pub(super) async fn import(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ImportKeyPairRequest,
) -> Result<ImportKeyPairResult, AwsError> {
    check_name(&input.key_name)?;
    let tags = tags::from_specs(input.tag_specifications, "key-pair")?;
    let imported = keypairs::import(&input.public_key_material).map_err(|e| match e {
        ImportError::Format => def_errors::key_format(),
        ImportError::RsaLength(bits) => def_errors::rsa_key_length(bits),
    })?;
    check_dry_run(input.dry_run)?;
    let rec = KeyPairRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        key_pair_id: ec2.ids.resource_id("key"),
        key_name: input.key_name,
        key_type: imported.key_type.as_str().to_string(),
        fingerprint: imported.fingerprint,
        public_key: imported.public_key,
        create_time: ctx.now,
        tags,
    };
    let out = ImportKeyPairResult {
        key_fingerprint: Some(rec.fingerprint.clone()),
        key_name: Some(rec.key_name.clone()),
        key_pair_id: Some(rec.key_pair_id.clone()),
        tags: tags::render(&rec.tags),
    };
    store(ec2, rec).await?;
    Ok(out)
}

/// The filter names `DescribeKeyPairs` accepts (plus the tag filters).
const FILTERS: &[&str] = &["key-pair-id", "key-name", "fingerprint", "key-type"];

fn matches(k: &KeyPairRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&k.tags) {
        return m;
    }
    match f.name.as_str() {
        "key-pair-id" => f.matches(&k.key_pair_id),
        "key-name" => f.matches(&k.key_name),
        "fingerprint" => f.matches(&k.fingerprint),
        "key-type" => f.matches(&k.key_type),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeKeyPairsRequest,
) -> Result<DescribeKeyPairsResult, AwsError> {
    let filters = filters::parse(input.filters, FILTERS, true)?;
    check_dry_run(input.dry_run)?;
    let names = input.key_names.unwrap_or_default();
    let ids = input.key_pair_ids.unwrap_or_default();
    let with_public = input.include_public_key == Some(true);
    let picked = ec2.defs.read(|st| -> Result<Vec<Arc<KeyPairRec>>, AwsError> {
        let empty = Default::default();
        let all = st
            .key_pairs_of(ctx.account_id(), &ctx.region)
            .unwrap_or(&empty);
        for n in &names {
            if !all.contains_key(n) {
                return Err(def_errors::key_pair_not_found(n));
            }
        }
        for id in &ids {
            if !all.values().any(|k| &k.key_pair_id == id) {
                return Err(def_errors::key_pair_id_not_found(id));
            }
        }
        Ok(all
            .values()
            .filter(|k| names.is_empty() || names.contains(&k.key_name))
            .filter(|k| ids.is_empty() || ids.contains(&k.key_pair_id))
            .filter(|k| filters.iter().all(|f| matches(k, f)))
            .cloned()
            .collect())
    })?;
    Ok(DescribeKeyPairsResult {
        key_pairs: Some(
            picked
                .iter()
                .map(|k| KeyPairInfo {
                    key_pair_id: Some(k.key_pair_id.clone()),
                    key_type: Some(k.key_type.clone()),
                    tags: Some(tags::render(&k.tags).unwrap_or_default()),
                    public_key: with_public.then(|| k.public_key.clone()),
                    create_time: Some(k.create_time),
                    key_name: Some(k.key_name.clone()),
                    key_fingerprint: Some(k.fingerprint.clone()),
                })
                .collect(),
        ),
    })
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteKeyPairRequest,
) -> Result<DeleteKeyPairResult, AwsError> {
    let name = input.key_name.filter(|s| !s.is_empty());
    let id = input.key_pair_id.filter(|s| !s.is_empty());
    if name.is_none() && id.is_none() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter KeyName or KeyPairId",
        ));
    }
    check_dry_run(input.dry_run)?;
    let account = ctx.account_id().to_string();
    let region = ctx.region.clone();
    ec2.defs
        .mutate(|st| {
            let empty = Default::default();
            let all = st.key_pairs_of(&account, &region).unwrap_or(&empty);
            let found = match (&id, &name) {
                (Some(id), _) => Some(
                    all.values()
                        .find(|k| &k.key_pair_id == id)
                        .ok_or_else(|| def_errors::key_pair_id_not_found(id))?,
                ),
                // Deleting an absent name succeeds, as on EC2.
                (None, Some(n)) => all.get(n),
                (None, None) => None,
            };
            let mut change = DefChange::default();
            if let Some(k) = found {
                change
                    .delete_key_pairs
                    .push((account.clone(), region.clone(), k.key_name.clone()));
            }
            let out = DeleteKeyPairResult {
                r#return: Some(true),
                key_pair_id: found.map(|k| k.key_pair_id.clone()),
            };
            Ok((change, out))
        })
        .await
}
