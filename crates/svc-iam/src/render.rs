//! Records as IAM's wire shapes, and the two wire conventions every handler shares:
//! policy documents leave IAM URL-encoded (RFC 3986 percent-encoding of the JSON text, as
//! the API reference documents for `PolicyDocument`; botocore decodes it again, so the CLI
//! and boto3 show JSON), and list calls page with `Marker`/`MaxItems`/`IsTruncated`
//! (default 100 items). Nothing here reads state or validates input.

use crate::generated::{AttachedPermissionsBoundary, Group, Role, RoleLastUsed, Tag, User};
use crate::model::{GroupRec, RoleRec, TagRec, UserRec};
use nimbus_core::Timestamp;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters is escaped.
const DOCUMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A policy document as IAM returns it.
pub fn document(text: &str) -> String {
    utf8_percent_encode(text, DOCUMENT).to_string()
}

pub fn ts(ms: i64) -> Timestamp {
    Timestamp(ms)
}

pub fn tags(t: &[TagRec]) -> Vec<Tag> {
    t.iter()
        .map(|t| Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// Tags as an optional list: absent when there are none (as `GetUser` answers).
pub fn opt_tags(t: &[TagRec]) -> Option<Vec<Tag>> {
    (!t.is_empty()).then(|| tags(t))
}

pub fn boundary(arn: &Option<String>) -> Option<AttachedPermissionsBoundary> {
    arn.as_ref().map(|a| AttachedPermissionsBoundary {
        permissions_boundary_type: Some("PermissionsBoundaryPolicy".into()),
        permissions_boundary_arn: Some(a.clone()),
    })
}

/// A user; `full` adds what only `GetUser`/`CreateUser` return (tags, boundary).
pub fn user(u: &UserRec, full: bool) -> User {
    User {
        path: u.path.clone(),
        user_name: u.name.clone(),
        user_id: u.id.clone(),
        arn: u.arn(),
        create_date: ts(u.created),
        password_last_used: None,
        permissions_boundary: if full { boundary(&u.boundary) } else { None },
        tags: if full { opt_tags(&u.tags) } else { None },
    }
}

pub fn group(g: &GroupRec) -> Group {
    Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.id.clone(),
        arn: g.arn(),
        create_date: ts(g.created),
    }
}

/// A role; `full` adds what `ListRoles` leaves out (tags, boundary, last use).
pub fn role(r: &RoleRec, full: bool) -> Role {
    Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn(),
        create_date: ts(r.created),
        assume_role_policy_document: Some(document(&r.trust)),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session),
        permissions_boundary: if full { boundary(&r.boundary) } else { None },
        tags: if full { opt_tags(&r.tags) } else { None },
        role_last_used: full.then(RoleLastUsed::default),
    }
}

/// Default page size of IAM's list calls.
pub const DEFAULT_MAX_ITEMS: usize = 100;

/// One page of `items` (already in order, each with its sort key): the items at or after
/// `marker`, at most `max_items`, whether more follow, and the marker of the next page.
pub fn page<T>(
    items: Vec<(String, T)>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> (Vec<T>, Option<bool>, Option<String>) {
    let max = max_items.map_or(DEFAULT_MAX_ITEMS, |n| n.max(1) as usize);
    let mut rest = items
        .into_iter()
        .skip_while(|(k, _)| marker.is_some_and(|m| k.as_str() < m));
    let out: Vec<T> = rest.by_ref().take(max).map(|(_, v)| v).collect();
    match rest.next() {
        Some((next, _)) => (out, Some(true), Some(next)),
        None => (out, Some(false), None),
    }
}

/// Pages items whose order is their position: the marker is the position, zero-padded so
/// that positions compare as strings.
pub fn page_indexed<T>(
    items: Vec<T>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> (Vec<T>, Option<bool>, Option<String>) {
    let keyed = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("{i:08}"), v))
        .collect();
    page(keyed, marker, max_items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_rfc3986_encoded() {
        let doc = r#"{"Version": "2012-10-17", "a~b": "x_y.z-1 +/%"}"#;
        assert_eq!(
            document(doc),
            "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22a~b%22%3A%20%22x_y.z-1%20%2B%2F%25%22%7D"
        );
    }

    #[test]
    fn pages_by_marker() {
        let items: Vec<(String, u32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let (a, t, m) = page(items.clone(), None, Some(2));
        assert_eq!((a, t, m.as_deref()), (vec![0, 1], Some(true), Some("k2")));
        let (b, t, m) = page(items.clone(), Some("k2"), Some(2));
        assert_eq!((b, t, m.as_deref()), (vec![2, 3], Some(true), Some("k4")));
        let (c, t, m) = page(items.clone(), Some("k4"), Some(2));
        assert_eq!((c, t, m), (vec![4], Some(false), None));
        let (all, t, _) = page(items, None, None);
        assert_eq!((all.len(), t), (5, Some(false)));
        let (p, _, m) = page_indexed(vec!['a', 'b', 'c'], None, Some(1));
        assert_eq!((p, m.as_deref()), (vec!['a'], Some("00000001")));
    }
}
