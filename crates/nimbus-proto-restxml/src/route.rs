//! Operation routing: which S3 operation a request names, decided only from the model's
//! HTTP bindings (method + `requestUri` template such as `/{Bucket}/{Key+}?uploads`), the
//! request's path and query, and optionally its headers. It owns label extraction (the
//! `{Bucket}` and greedy `{Key+}` values, percent-decoded); it does not own the bucket of a
//! virtual-hosted-style `Host` header, which the gateway extracts and passes in.
//!
//! S3 binds many operations to the same template (`PUT /{Bucket}/{Key+}` is PutObject,
//! CopyObject, UploadPart and UploadPartCopy), so after the template's own literals the
//! tie is broken by the operation's *required* query-string and header members
//! (`uploadId`, `partNumber`, `x-amz-copy-source`) — the same information the SDKs use to
//! build those requests. Smithy-based SDKs also append `?x-id=OperationName`; when present it
//! names the operation among the candidates. Unimplemented operations have no input shape in
//! the generated model, so their requirements come from [`S3_REQUIREMENTS`] (copied from
//! botocore's S3 model) — otherwise an UploadPart would be routed to PutObject and overwrite
//! the object instead of answering NotImplemented.

use crate::{parse_query, percent_decode};
use nimbus_wire::model::{Location, Operation, ServiceModel, ShapeKind};

/// The operation a request resolved to, with its URI label values.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub op: &'static Operation,
    /// `(label name, percent-decoded value)`; the greedy label keeps its `/`.
    pub labels: Vec<(&'static str, String)>,
}

/// Operations that share a template with a newer twin and must lose every tie to it:
/// the deprecated lifecycle/notification APIs (S3 answers the same request in the newer
/// shape), and ListDirectoryBuckets, which S3 serves only on the S3 Express control
/// endpoint, so `GET /` here means ListBuckets.
const DEPRIORITIZED: &[&str] = &[
    "GetBucketLifecycle",
    "PutBucketLifecycle",
    "GetBucketNotification",
    "PutBucketNotification",
    "ListDirectoryBuckets",
];

/// Required query-string and header members of the S3 operations that share a method +
/// template with another operation, from botocore's S3 model (`required` members with
/// `location` `querystring`/`header`). Used only for operations whose input shape the model
/// leaves out (unimplemented ones); the model is authoritative otherwise.
pub const S3_REQUIREMENTS: &[(&str, &[(Location, &str)])] = &[
    (
        "AbortMultipartUpload",
        &[(Location::QueryString, "uploadId")],
    ),
    (
        "CompleteMultipartUpload",
        &[(Location::QueryString, "uploadId")],
    ),
    ("ListParts", &[(Location::QueryString, "uploadId")]),
    (
        "UploadPart",
        &[
            (Location::QueryString, "partNumber"),
            (Location::QueryString, "uploadId"),
        ],
    ),
    (
        "UploadPartCopy",
        &[
            (Location::Header, "x-amz-copy-source"),
            (Location::QueryString, "partNumber"),
            (Location::QueryString, "uploadId"),
        ],
    ),
    ("CopyObject", &[(Location::Header, "x-amz-copy-source")]),
    (
        "GetBucketAnalyticsConfiguration",
        &[(Location::QueryString, "id")],
    ),
    (
        "GetBucketIntelligentTieringConfiguration",
        &[(Location::QueryString, "id")],
    ),
    (
        "GetBucketInventoryConfiguration",
        &[(Location::QueryString, "id")],
    ),
    (
        "GetBucketMetricsConfiguration",
        &[(Location::QueryString, "id")],
    ),
];

/// Routes a request to an operation using every operation's http method + request_uri
/// template (e.g. `/{Bucket}/{Key+}?uploads`, `/{Bucket}?list-type=2`). `vhost_bucket` is the
/// bucket taken from a virtual-hosted-style Host header, in which case the path has no
/// bucket segment.
///
/// The most specific template wins: all literal query requirements satisfied (`?uploads` =
/// key present, `?list-type=2` = key with that value), then most literal path segments,
/// then fewest greedy labels, then most query literals, then required query members
/// present. Header requirements cannot be seen here; use [`resolve_with_headers`] to tell
/// PutObject from CopyObject.
pub fn resolve(
    model: &'static ServiceModel,
    method: &str,
    path: &str,
    query: &str,
    vhost_bucket: Option<&str>,
) -> Option<Resolved> {
    resolve_inner(model, method, path, query, None, vhost_bucket)
}

/// [`resolve`], also using the request headers to honour operations' required header
/// members (CopyObject and UploadPartCopy need `x-amz-copy-source`).
pub fn resolve_with_headers(
    model: &'static ServiceModel,
    method: &str,
    path: &str,
    query: &str,
    headers: &http::HeaderMap,
    vhost_bucket: Option<&str>,
) -> Option<Resolved> {
    resolve_inner(model, method, path, query, Some(headers), vhost_bucket)
}

/// Ranking of one candidate; compared lexicographically, greater wins.
#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy, Debug)]
struct Score {
    x_id: bool,
    path_literals: usize,
    /// `usize::MAX - greedy labels`, so fewer greedy labels rank higher.
    non_greedy: usize,
    query_literals: usize,
    required_all_present: bool,
    required_present: usize,
    implemented: bool,
    preferred: bool,
}

fn resolve_inner(
    model: &'static ServiceModel,
    method: &str,
    path: &str,
    query: &str,
    headers: Option<&http::HeaderMap>,
    vhost_bucket: Option<&str>,
) -> Option<Resolved> {
    let params = parse_query(query);
    let path_segs = split_path(path);
    let x_id = params
        .iter()
        .find(|(k, _)| k == "x-id")
        .map(|(_, v)| v.as_str());
    let mut best: Option<(Score, Resolved)> = None;
    for op in model.operations {
        if !op.http_method.eq_ignore_ascii_case(method) {
            continue;
        }
        let (tpl_path, tpl_query) = op
            .request_uri
            .split_once('?')
            .unwrap_or((op.request_uri, ""));
        let Some(query_literals) = query_requirements_met(tpl_query, &params) else {
            continue;
        };
        let Some(m) = match_path(tpl_path, &path_segs, vhost_bucket) else {
            continue;
        };
        let score = Score {
            path_literals: m.literals,
            non_greedy: usize::MAX - m.greedy,
            query_literals,
            ..rank(model, op, &params, headers, x_id)
        };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Resolved {
                    op,
                    labels: m.labels,
                },
            ));
        }
    }
    best.map(|(_, r)| r)
}

/// The parts of a [`Score`] that do not depend on the template match.
fn rank(
    model: &ServiceModel,
    op: &Operation,
    params: &[(String, String)],
    headers: Option<&http::HeaderMap>,
    x_id: Option<&str>,
) -> Score {
    let (required_all_present, required_present) = required_members(model, op, params, headers);
    Score {
        x_id: x_id == Some(op.name),
        path_literals: 0,
        non_greedy: 0,
        query_literals: 0,
        required_all_present,
        required_present,
        implemented: op.implemented,
        preferred: !DEPRIORITIZED.contains(&op.name),
    }
}

/// With the request's headers known, is another operation with the same method and template
/// a better match than `op`? Only possible when routing ignored the headers ([`resolve`]):
/// a CopyObject routed as PutObject would overwrite the destination with an empty body, so
/// the decoder refuses such a request instead.
pub(crate) fn better_with_headers(
    model: &ServiceModel,
    op: &Operation,
    query: &str,
    headers: &http::HeaderMap,
) -> Option<&'static Operation> {
    let params = parse_query(query);
    let x_id = params
        .iter()
        .find(|(k, _)| k == "x-id")
        .map(|(_, v)| v.as_str());
    let mine = rank(model, op, &params, Some(headers), x_id);
    model
        .operations
        .iter()
        .filter(|o| {
            o.name != op.name && o.http_method == op.http_method && o.request_uri == op.request_uri
        })
        .map(|o| (rank(model, o, &params, Some(headers), x_id), o))
        .filter(|(score, _)| *score > mine)
        .max_by_key(|(score, _)| *score)
        .map(|(_, o)| o)
}

/// The raw path's segments after the leading `/`; `/` alone has none.
fn split_path(path: &str) -> Vec<&str> {
    let p = path.strip_prefix('/').unwrap_or(path);
    if p.is_empty() {
        Vec::new()
    } else {
        p.split('/').collect()
    }
}

/// `Some(number of literals)` when every `key` / `key=value` of the template's query part
/// is satisfied by the request.
fn query_requirements_met(tpl_query: &str, params: &[(String, String)]) -> Option<usize> {
    let mut n = 0;
    for req in tpl_query.split('&').filter(|s| !s.is_empty()) {
        let ok = match req.split_once('=') {
            Some((k, v)) => params.iter().any(|(pk, pv)| pk == k && pv == v),
            None => params.iter().any(|(pk, _)| pk == req),
        };
        if !ok {
            return None;
        }
        n += 1;
    }
    Some(n)
}

struct PathMatch {
    labels: Vec<(&'static str, String)>,
    literals: usize,
    greedy: usize,
}

enum Seg {
    Literal(&'static str),
    Label(&'static str),
    Greedy(&'static str),
}

fn parse_seg(s: &'static str) -> Seg {
    match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(name) => match name.strip_suffix('+') {
            Some(g) => Seg::Greedy(g),
            None => Seg::Label(name),
        },
        None => Seg::Literal(s),
    }
}

fn match_path(
    tpl_path: &'static str,
    path_segs: &[&str],
    vhost_bucket: Option<&str>,
) -> Option<PathMatch> {
    let tpl = tpl_path.strip_prefix('/').unwrap_or(tpl_path);
    let mut tpl_segs: Vec<Seg> = if tpl.is_empty() {
        Vec::new()
    } else {
        tpl.split('/').map(parse_seg).collect()
    };
    let mut labels = Vec::new();
    if let Some(bucket) = vhost_bucket {
        // Virtual-hosted style: the template's leading bucket label is in the Host header.
        match tpl_segs.first() {
            Some(Seg::Label(name)) => labels.push((*name, bucket.to_string())),
            _ => return None,
        }
        tpl_segs.remove(0);
    }
    let greedy_at = tpl_segs.iter().position(|s| matches!(s, Seg::Greedy(_)));
    let greedy = tpl_segs
        .iter()
        .filter(|s| matches!(s, Seg::Greedy(_)))
        .count();
    if greedy > 1 {
        return None;
    }
    let literals = tpl_segs
        .iter()
        .filter(|s| matches!(s, Seg::Literal(_)))
        .count();
    let mut segs = path_segs;
    match greedy_at {
        None => {
            // `/bucket/` is `/bucket`: clients may add a trailing slash to a bucket URL.
            if segs.len() == tpl_segs.len() + 1 && segs.last() == Some(&"") {
                segs = &segs[..segs.len() - 1];
            }
            if segs.len() != tpl_segs.len() {
                return None;
            }
            for (t, s) in tpl_segs.iter().zip(segs) {
                match_one(t, s, &mut labels)?;
            }
        }
        Some(g) => {
            let suffix = tpl_segs.len() - g - 1;
            if segs.len() < g + suffix + 1 {
                return None;
            }
            for (t, s) in tpl_segs[..g].iter().zip(&segs[..g]) {
                match_one(t, s, &mut labels)?;
            }
            let tail_start = segs.len() - suffix;
            for (t, s) in tpl_segs[g + 1..].iter().zip(&segs[tail_start..]) {
                match_one(t, s, &mut labels)?;
            }
            let raw = segs[g..tail_start].join("/");
            if raw.is_empty() {
                return None;
            }
            if let Seg::Greedy(name) = tpl_segs[g] {
                labels.push((name, percent_decode(&raw)));
            }
        }
    }
    Some(PathMatch {
        labels,
        literals,
        greedy,
    })
}

fn match_one(t: &Seg, s: &str, labels: &mut Vec<(&'static str, String)>) -> Option<()> {
    match t {
        Seg::Literal(l) => (percent_decode(s) == *l).then_some(()),
        Seg::Label(name) | Seg::Greedy(name) => {
            if s.is_empty() {
                return None;
            }
            labels.push((*name, percent_decode(s)));
            Some(())
        }
    }
}

/// `(all present, how many present)` over the operation's required query-string and header
/// members. Header members count as absent when `headers` is unknown. An operation whose
/// input shape is not in the model (unimplemented) is looked up in [`S3_REQUIREMENTS`].
fn required_members(
    model: &ServiceModel,
    op: &Operation,
    params: &[(String, String)],
    headers: Option<&http::HeaderMap>,
) -> (bool, usize) {
    let present = |loc: Location, name: &str| match loc {
        Location::QueryString => Some(params.iter().any(|(k, _)| k == name)),
        Location::Header => Some(headers.is_some_and(|h| h.contains_key(name))),
        _ => None,
    };
    let mut all = true;
    let mut n = 0;
    let mut count = |p: Option<bool>| match p {
        Some(true) => n += 1,
        Some(false) => all = false,
        None => {}
    };
    let input = op
        .input
        .and_then(|id| model.shapes.get(id.0 as usize))
        .and_then(|s| match &s.kind {
            ShapeKind::Structure(st) => Some(st),
            _ => None,
        });
    match input {
        Some(st) => {
            for m in st.members.iter().filter(|m| m.required) {
                count(present(m.location, m.location_name.unwrap_or(m.name)));
            }
        }
        None => {
            let known = S3_REQUIREMENTS.iter().find(|(name, _)| *name == op.name);
            for (loc, name) in known.map_or(&[][..], |(_, r)| *r) {
                count(present(*loc, name));
            }
        }
    }
    (all, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(
        tpl: &'static str,
        path: &str,
        vhost: Option<&str>,
    ) -> Option<Vec<(&'static str, String)>> {
        match_path(tpl, &split_path(path), vhost).map(|m| m.labels)
    }

    #[test]
    fn path_matching() {
        assert_eq!(m("/", "/", None), Some(vec![]));
        assert_eq!(m("/", "/b", None), None);
        assert_eq!(
            m("/{Bucket}", "/b", None),
            Some(vec![("Bucket", "b".into())])
        );
        assert_eq!(
            m("/{Bucket}", "/b/", None),
            Some(vec![("Bucket", "b".into())])
        );
        assert_eq!(m("/{Bucket}", "/", None), None);
        assert_eq!(
            m("/{Bucket}/{Key+}", "/b/dir/a%20b%2Bc~%25.txt", None),
            Some(vec![
                ("Bucket", "b".into()),
                ("Key", "dir/a b+c~%.txt".into())
            ])
        );
        // Keys with trailing, doubled and leading slashes survive.
        assert_eq!(m("/{Bucket}/{Key+}", "/b/dir/", None).unwrap()[1].1, "dir/");
        assert_eq!(m("/{Bucket}/{Key+}", "/b/a//c", None).unwrap()[1].1, "a//c");
        assert_eq!(m("/{Bucket}/{Key+}", "/b//x", None).unwrap()[1].1, "/x");
        assert_eq!(m("/{Bucket}/{Key+}", "/b/", None), None);
        assert_eq!(m("/{Bucket}/{Key+}", "/b", None), None);
        // Virtual-hosted style.
        assert_eq!(
            m("/{Bucket}/{Key+}", "/k/x", Some("vb")),
            Some(vec![("Bucket", "vb".into()), ("Key", "k/x".into())])
        );
        assert_eq!(
            m("/{Bucket}", "/", Some("vb")),
            Some(vec![("Bucket", "vb".into())])
        );
        assert_eq!(m("/", "/", Some("vb")), None);
        assert_eq!(
            m("/WriteGetObjectResponse", "/WriteGetObjectResponse", None),
            Some(vec![])
        );
        // Literal after greedy.
        assert_eq!(
            m("/{Id}/{Path+}/end", "/i/a/b/end", None),
            Some(vec![("Id", "i".into()), ("Path", "a/b".into())])
        );
    }

    #[test]
    fn query_requirements() {
        let p = parse_query("list-type=2&uploads&select-type=2&select");
        assert_eq!(query_requirements_met("", &p), Some(0));
        assert_eq!(query_requirements_met("list-type=2", &p), Some(1));
        assert_eq!(query_requirements_met("list-type=1", &p), None);
        assert_eq!(query_requirements_met("uploads", &p), Some(1));
        assert_eq!(query_requirements_met("select&select-type=2", &p), Some(2));
        assert_eq!(query_requirements_met("acl", &p), None);
    }
}
