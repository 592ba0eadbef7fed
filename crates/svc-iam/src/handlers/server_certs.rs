//! Server certificates (`UploadServerCertificate`, `GetServerCertificate`,
//! `ListServerCertificates`, `UpdateServerCertificate`, `DeleteServerCertificate`,
//! `TagServerCertificate`, `UntagServerCertificate`, `ListServerCertificateTags`), the
//! TLS certificates IAM keeps for services that predate ACM
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html>):
//! - the body must be one PEM certificate (`MalformedCertificate`), the private key a PEM
//!   key (RSA or EC, unencrypted) that belongs to it (`KeyPairMismatch`), and the chain, when
//!   given, PEM certificates starting with the body's issuer, each followed by its own
//!   issuer (checked by name; `MalformedCertificate` naming the index);
//! - names are unique per account, case-insensitively (`EntityAlreadyExists`), at most 20
//!   per account (`LimitExceeded`); ids are `ASCA` and 17 more characters; the ARN carries
//!   the path; `Expiration` is the certificate's `notAfter`;
//! - the private key is never kept nor returned;
//! - tags follow the rules of users' tags.
//!
//! Not here: load balancer listeners do not take IAM server certificates yet (they take
//! ACM's), so deleting one never conflicts with a listener.

use crate::certs;
use crate::errors;
use crate::generated::errors as g;
use crate::generated::*;
use crate::model::ServerCertRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam};
use crate::validate::{self, path_or_root, Checker};
use nimbus_core::{AwsError, RequestContext};

/// "Server certificates stored in IAM per account: 20".
pub(super) const MAX_SERVER_CERTS: usize = 20;
const TAG_QUOTA: &str = "TagsPerServerCertificate";

fn not_found(name: &str) -> AwsError {
    errors::no_such_entity(format!(
        "The Server Certificate with name {name} cannot be found."
    ))
}

fn lookup<'a>(acct: &'a Account, name: &str) -> Result<&'a ServerCertRec, AwsError> {
    acct.server_certs
        .get(&name.to_ascii_lowercase())
        .ok_or_else(|| not_found(name))
}

fn metadata(c: &ServerCertRec) -> ServerCertificateMetadata {
    ServerCertificateMetadata {
        path: c.path.clone(),
        server_certificate_name: c.name.clone(),
        server_certificate_id: c.id.clone(),
        arn: c.arn(),
        upload_date: Some(render::ts(c.uploaded)),
        expiration: Some(render::ts(c.expiration)),
    }
}

fn malformed(message: impl Into<String>) -> AwsError {
    g::malformed_certificate_exception(message)
}

/// The certificate's `notAfter` (ms) once body, key and chain are checked.
fn check_material(body: &str, key: &str, chain: Option<&str>) -> Result<i64, AwsError> {
    let cert = certs::one_certificate(body).ok_or_else(|| {
        malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    let key_bits = certs::private_key_public_bits(key).ok_or_else(|| {
        malformed("Unable to parse private key. Please ensure the key is in PEM format.")
    })?;
    if key_bits != cert.public_key {
        return Err(g::key_pair_mismatch_exception(
            "The private key did not match the public key in the certificate.",
        ));
    }
    if let Some(chain) = chain {
        let list = certs::chain(chain).ok_or_else(|| {
            malformed(
                "Unable to parse certificate chain. Please ensure the chain is in PEM format.",
            )
        })?;
        if let Some(i) = certs::misplaced_in_chain(&cert, &list) {
            return Err(malformed(format!(
                "Unable to validate certificate chain. The certificate chain must start with \
                 the immediate signing certificate, followed by any intermediaries in order. \
                 The index within the chain of the invalid certificate is: {i}"
            )));
        }
    }
    Ok(cert.not_after_ms)
}

pub(super) async fn upload(
    iam: &Iam,
    ctx: &RequestContext,
    input: UploadServerCertificateRequest,
) -> Result<UploadServerCertificateResponse, AwsError> {
    Checker::new()
        .name("serverCertificateName", &input.server_certificate_name, 128)
        .path("path", input.path.as_deref())
        .done()?;
    let tags = validate::new_tags(input.tags, TAG_QUOTA)?;
    let body = input.certificate_body.trim().to_string();
    let chain = input
        .certificate_chain
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let expiration = check_material(&body, &input.private_key, chain.as_deref())?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let name = &input.server_certificate_name;
        if acct.server_certs.contains_key(&name.to_ascii_lowercase()) {
            return Err(errors::already_exists("The Server Certificate", name));
        }
        if acct.server_certs.len() >= MAX_SERVER_CERTS {
            return Err(errors::quota(
                "ServerCertificatesPerAccount",
                MAX_SERVER_CERTS,
            ));
        }
        let c = ServerCertRec {
            account: account.clone(),
            name: name.clone(),
            path: path_or_root(input.path),
            id: iam.unique_id("ASCA"),
            body,
            chain,
            uploaded: now,
            expiration,
            tags,
        };
        let out = UploadServerCertificateResponse {
            server_certificate_metadata: Some(metadata(&c)),
            tags: render::opt_tags(&c.tags),
        };
        Ok((Change::one(Op::PutServerCert(c)), out))
    })
    .await
}

pub(super) async fn get(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetServerCertificateRequest,
) -> Result<GetServerCertificateResponse, AwsError> {
    Checker::new()
        .name("serverCertificateName", &input.server_certificate_name, 128)
        .done()?;
    iam.read(ctx, |_, acct| {
        let c = lookup(acct, &input.server_certificate_name)?;
        Ok(GetServerCertificateResponse {
            server_certificate: ServerCertificate {
                server_certificate_metadata: metadata(c),
                certificate_body: c.body.clone(),
                certificate_chain: c.chain.clone(),
                tags: render::opt_tags(&c.tags),
            },
        })
    })
}

pub(super) async fn list(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListServerCertificatesRequest,
) -> Result<ListServerCertificatesResponse, AwsError> {
    Checker::new()
        .path_prefix(input.path_prefix.as_deref())
        .max_items(input.max_items)
        .done()?;
    let prefix = input.path_prefix.unwrap_or_else(|| "/".into());
    let items = iam.read(ctx, |_, acct| {
        acct.server_certs
            .iter()
            .filter(|(_, c)| c.path.starts_with(&prefix))
            .map(|(k, c)| (k.clone(), metadata(c)))
            .collect()
    });
    let (server_certificate_metadata_list, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListServerCertificatesResponse {
        server_certificate_metadata_list,
        is_truncated,
        marker,
    })
}

pub(super) async fn update(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateServerCertificateRequest,
) -> Result<(), AwsError> {
    let mut check = Checker::new();
    check
        .name("serverCertificateName", &input.server_certificate_name, 128)
        .path("newPath", input.new_path.as_deref());
    if let Some(n) = &input.new_server_certificate_name {
        check.name("newServerCertificateName", n, 128);
    }
    check.done()?;
    iam.mutate(ctx, |_, acct| {
        let old = lookup(acct, &input.server_certificate_name)?;
        let mut c = old.clone();
        let mut change = Change::default();
        if let Some(new) = &input.new_server_certificate_name {
            let renamed = !new.eq_ignore_ascii_case(&old.name);
            if renamed && acct.server_certs.contains_key(&new.to_ascii_lowercase()) {
                return Err(errors::already_exists("The Server Certificate", new));
            }
            change.push(Op::DeleteServerCert(old.account.clone(), old.name.clone()));
            c.name = new.clone();
        }
        if let Some(p) = &input.new_path {
            c.path = p.clone();
        }
        change.push(Op::PutServerCert(c));
        Ok((change, ()))
    })
    .await
}

pub(super) async fn delete(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteServerCertificateRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("serverCertificateName", &input.server_certificate_name, 128)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let c = lookup(acct, &input.server_certificate_name)?;
        Ok((
            Change::one(Op::DeleteServerCert(c.account.clone(), c.name.clone())),
            (),
        ))
    })
    .await
}

/// Applies `edit` to the certificate `name`.
async fn edit(
    iam: &Iam,
    ctx: &RequestContext,
    name: &str,
    edit: impl FnOnce(&mut ServerCertRec) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    Checker::new()
        .name("serverCertificateName", name, 128)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let mut c = lookup(acct, name)?.clone();
        edit(&mut c)?;
        Ok((Change::one(Op::PutServerCert(c)), ()))
    })
    .await
}

pub(super) async fn tag(
    iam: &Iam,
    ctx: &RequestContext,
    input: TagServerCertificateRequest,
) -> Result<(), AwsError> {
    let add = validate::new_tags(Some(input.tags), TAG_QUOTA)?;
    edit(iam, ctx, &input.server_certificate_name, |c| {
        c.tags = validate::merge_tags(&c.tags, add, TAG_QUOTA)?;
        Ok(())
    })
    .await
}

pub(super) async fn untag(
    iam: &Iam,
    ctx: &RequestContext,
    input: UntagServerCertificateRequest,
) -> Result<(), AwsError> {
    Checker::new().tag_keys(&input.tag_keys).done()?;
    let keys = input.tag_keys;
    edit(iam, ctx, &input.server_certificate_name, |c| {
        c.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })
    .await
}

pub(super) async fn list_tags(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListServerCertificateTagsRequest,
) -> Result<ListServerCertificateTagsResponse, AwsError> {
    Checker::new()
        .name("serverCertificateName", &input.server_certificate_name, 128)
        .max_items(input.max_items)
        .done()?;
    iam.read(ctx, |_, acct| {
        let c = lookup(acct, &input.server_certificate_name)?;
        let (tags, is_truncated, marker) = render::page_indexed(
            render::tags(&c.tags),
            input.marker.as_deref(),
            input.max_items,
        );
        Ok(ListServerCertificateTagsResponse {
            tags,
            is_truncated,
            marker,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("params");
        let cert = params.self_signed(&key).expect("cert");
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_key_must_belong_to_its_certificate() {
        let (cert, key) = self_signed("a.example.com");
        let (_, other_key) = self_signed("b.example.com");
        assert!(check_material(&cert, &key, None).expect("matches") > 0);
        let e = check_material(&cert, &other_key, None).expect_err("mismatch");
        assert_eq!(e.code, "KeyPairMismatch");
        let e = check_material("not a certificate", &key, None).expect_err("malformed");
        assert_eq!(e.code, "MalformedCertificate");
        let e = check_material(&cert, "not a key", None).expect_err("malformed key");
        assert_eq!(e.code, "MalformedCertificate");
    }

    #[test]
    fn a_chain_must_start_with_the_issuer() {
        let ca_key = rcgen::KeyPair::generate().expect("key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let leaf_key = rcgen::KeyPair::generate().expect("key");
        let leaf = rcgen::CertificateParams::new(vec!["www.example.com".to_string()])
            .expect("params")
            .signed_by(&leaf_key, &ca, &ca_key)
            .expect("leaf");
        let key = leaf_key.serialize_pem();
        check_material(&leaf.pem(), &key, Some(&ca.pem())).expect("in order");
        let (unrelated, _) = self_signed("other.example.com");
        let e = check_material(&leaf.pem(), &key, Some(&unrelated)).expect_err("wrong issuer");
        assert_eq!(e.code, "MalformedCertificate");
        assert!(e.message.ends_with("is: 0"), "{}", e.message);
    }
}
