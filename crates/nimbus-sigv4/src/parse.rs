//! Reading SigV4 credentials out of a request: the `Authorization` header form and the
//! presigned (query string) form, into one [`ParsedAuth`]. Validation here is purely syntactic
//! (components present, credential scope shaped right, `X-Amz-Expires` in range); time and
//! signature checks belong to `verify`. Every input is untrusted: this code must return an
//! error, never panic, on any bytes.

use crate::canonical::{query_pairs, X_AMZ_DATE, X_AMZ_SECURITY_TOKEN};
use crate::{time, ParsedAuth, RequestView, SigV4Error, SignedHeaders, ALGORITHM};
use http::header::{HeaderName, DATE};

/// Longest presigned URL lifetime AWS accepts (7 days).
pub const MAX_PRESIGN_EXPIRES: u64 = 604_800;

pub(crate) fn parse(req: &RequestView<'_>) -> Result<Option<ParsedAuth>, SigV4Error> {
    let header = req.headers.get(http::header::AUTHORIZATION);
    let query_algorithm = find_query_param(req.raw_query, "X-Amz-Algorithm");
    match (header, query_algorithm) {
        (None, false) => Ok(None),
        (Some(_), true) => Err(SigV4Error::MultipleAuthMechanisms),
        (Some(h), false) => parse_header(req, h.as_bytes()).map(Some),
        (None, true) => parse_query(req).map(Some),
    }
}

/// Cheap check for a query parameter name, without decoding the whole query.
fn find_query_param(raw_query: &str, name: &str) -> bool {
    raw_query.split('&').any(|p| {
        let k = p.split_once('=').map_or(p, |(k, _)| k);
        k.eq_ignore_ascii_case(name)
    })
}

fn header_str<'a>(req: &RequestView<'a>, name: HeaderName) -> Option<&'a str> {
    req.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The request time in `YYYYMMDDTHHMMSSZ` form: `X-Amz-Date`, else the `Date` header
/// converted to that form (kept verbatim if unparseable, so `verify` reports it).
fn header_amz_date(req: &RequestView<'_>) -> Option<String> {
    if let Some(d) = header_str(req, X_AMZ_DATE) {
        return Some(d.to_string());
    }
    let d = header_str(req, DATE)?;
    Some(
        time::parse_http_date(d)
            .map(time::format_amz_date)
            .unwrap_or_else(|| d.to_string()),
    )
}

struct Scope<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
}

/// `AKID/yyyymmdd/region/service/aws4_request`.
fn parse_credential(cred: &str) -> Result<Scope<'_>, String> {
    let mut it = split_ascii(cred, b'/');
    let parts = [it.next(), it.next(), it.next(), it.next(), it.next()];
    let (Some(ak), Some(date), Some(region), Some(service), Some(term), None) =
        (parts[0], parts[1], parts[2], parts[3], parts[4], it.next())
    else {
        return Err(format!(
            "Credential should be scoped by access key, date, region, service and 'aws4_request', separated by '/': '{cred}'."
        ));
    };
    if ak.is_empty() {
        return Err("Credential should contain an access key id.".to_string());
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "Invalid credential date '{date}'. It must be in YYYYMMDD format."
        ));
    }
    if region.is_empty() {
        return Err("Credential should be scoped to a valid region.".to_string());
    }
    if service.is_empty() {
        return Err("Credential should be scoped to a valid service.".to_string());
    }
    if term != "aws4_request" {
        return Err(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'."
        ));
    }
    Ok(Scope {
        access_key: ak,
        date,
        region,
        service,
    })
}

/// `s.split(sep)` for an ASCII separator, scanning bytes (cheaper than the general char
/// searcher on these short strings). Splitting at an ASCII byte always lands on a char
/// boundary.
fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The non-empty tokens of `s` separated by `,` and/or ASCII whitespace.
fn auth_tokens(s: &str) -> impl Iterator<Item = &str> {
    let is_sep = |b: u8| b == b',' || b.is_ascii_whitespace();
    let mut rest = s;
    std::iter::from_fn(move || {
        let start = rest.bytes().position(|b| !is_sep(b))?;
        let r = &rest[start..];
        let end = r.bytes().position(is_sep).unwrap_or(r.len());
        rest = &r[end..];
        Some(&r[..end])
    })
}

fn parse_header(req: &RequestView<'_>, raw: &[u8]) -> Result<ParsedAuth, SigV4Error> {
    let value = std::str::from_utf8(raw)
        .map_err(|_| SigV4Error::incomplete("Authorization header is not valid UTF-8."))?
        .trim();
    let (algorithm, rest) = match value
        .bytes()
        .position(|b| b.is_ascii_whitespace() || b == b',')
    {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    if algorithm != ALGORITHM {
        let shown = if algorithm.is_empty() {
            value
        } else {
            algorithm
        };
        return Err(SigV4Error::incomplete(format!(
            "Unsupported AWS 'algorithm': '{shown}'"
        )));
    }

    // Components are separated by ',' and/or whitespace depending on the client; no
    // component value contains either, so a split on both is exact.
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for token in auth_tokens(rest) {
        let Some((k, v)) = token
            .bytes()
            .position(|b| b == b'=')
            .map(|i| (&token[..i], &token[i + 1..]))
        else {
            return Err(SigV4Error::incomplete(format!(
                "'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."
            )));
        };
        if k.eq_ignore_ascii_case("credential") {
            credential = Some(v);
        } else if k.eq_ignore_ascii_case("signedheaders") {
            signed = Some(v);
        } else if k.eq_ignore_ascii_case("signature") {
            signature = Some(v);
        }
    }
    let amz_date = header_amz_date(req);

    let mut missing = String::new();
    for (present, what) in [
        (
            credential.is_some_and(|c| !c.is_empty()),
            "Authorization header requires 'Credential' parameter. ",
        ),
        (
            signature.is_some_and(|c| !c.is_empty()),
            "Authorization header requires 'Signature' parameter. ",
        ),
        (
            signed.is_some_and(|c| !c.is_empty()),
            "Authorization header requires 'SignedHeaders' parameter. ",
        ),
        (
            amz_date.is_some(),
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        ),
    ] {
        if !present {
            missing.push_str(what);
        }
    }
    if !missing.is_empty() {
        return Err(SigV4Error::incomplete(format!(
            "{missing}Authorization={value}"
        )));
    }
    let (Some(credential), Some(signed), Some(signature), Some(amz_date)) =
        (credential, signed, signature, amz_date)
    else {
        return Err(SigV4Error::incomplete(format!("Authorization={value}")));
    };
    let scope = parse_credential(credential).map_err(SigV4Error::incomplete)?;
    Ok(ParsedAuth {
        access_key: scope.access_key.to_string(),
        date: scope.date.to_string(),
        region: scope.region.to_string(),
        service: scope.service.to_string(),
        signed_headers: SignedHeaders::parse(signed),
        signature: lowercase(signature),
        amz_date,
        presigned: false,
        expires_secs: None,
        session_token: header_str(req, X_AMZ_SECURITY_TOKEN).map(str::to_string),
    })
}

/// `s.to_ascii_lowercase()`: one copy, lowered in place.
fn lowercase(s: &str) -> String {
    let mut out = s.to_string();
    out.make_ascii_lowercase();
    out
}

fn parse_query(req: &RequestView<'_>) -> Result<ParsedAuth, SigV4Error> {
    let pairs = query_pairs(req.raw_query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let algorithm = get("X-Amz-Algorithm").unwrap_or("");
    if algorithm != ALGORITHM {
        return Err(SigV4Error::query_params(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\", not \"{algorithm}\""
        )));
    }
    let credential = get("X-Amz-Credential").filter(|v| !v.is_empty());
    let amz_date = get("X-Amz-Date").filter(|v| !v.is_empty());
    let signed = get("X-Amz-SignedHeaders").filter(|v| !v.is_empty());
    let signature = get("X-Amz-Signature").filter(|v| !v.is_empty());
    let expires = get("X-Amz-Expires");
    let (Some(credential), Some(amz_date), Some(signed), Some(signature)) =
        (credential, amz_date, signed, signature)
    else {
        return Err(SigV4Error::query_params(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    let scope = parse_credential(credential).map_err(|m| {
        SigV4Error::query_params(format!("Error parsing the X-Amz-Credential parameter; {m}"))
    })?;
    // S3 requires X-Amz-Expires; other services (e.g. STS presigned GetCallerIdentity) treat
    // it as optional, in which case the usual 15-minute window applies.
    let expires_secs = match expires {
        None if scope.service == "s3" => {
            return Err(SigV4Error::query_params(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            ))
        }
        None => None,
        Some(e) => Some(parse_expires(e)?),
    };
    Ok(ParsedAuth {
        access_key: scope.access_key.to_string(),
        date: scope.date.to_string(),
        region: scope.region.to_string(),
        service: scope.service.to_string(),
        signed_headers: SignedHeaders::parse(signed),
        signature: signature.to_ascii_lowercase(),
        amz_date: amz_date.to_string(),
        presigned: true,
        expires_secs,
        session_token: get("X-Amz-Security-Token")
            .map(str::to_string)
            .or_else(|| header_str(req, X_AMZ_SECURITY_TOKEN).map(str::to_string)),
    })
}

fn parse_expires(e: &str) -> Result<u64, SigV4Error> {
    let e = e.trim();
    if e.starts_with('-') && e.len() > 1 && e[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::query_params(
            "X-Amz-Expires must be non-negative",
        ));
    }
    if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::query_params(format!(
            "X-Amz-Expires should be a number, not '{e}'"
        )));
    }
    match e.parse::<u64>() {
        Ok(0) => Err(SigV4Error::query_params(
            "X-Amz-Expires must be at least 1 second",
        )),
        Ok(n) if n <= MAX_PRESIGN_EXPIRES => Ok(n),
        _ => Err(SigV4Error::query_params(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES}"
        ))),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn signed_headers_are_normalised_once() {
        let canonical = SignedHeaders::parse("content-type;host;x-amz-date");
        assert_eq!(canonical.as_str(), "content-type;host;x-amz-date");
        assert_eq!(canonical, ["content-type", "host", "x-amz-date"]);
        let messy = SignedHeaders::parse(" Host ; ;X-Amz-Date;");
        assert_eq!(messy.as_str(), "host;x-amz-date");
        assert!(messy.contains("host") && !messy.contains("x-amz"));
        assert!(SignedHeaders::parse(" ; ").is_empty());
        assert_eq!(SignedHeaders::parse("").iter().count(), 0);
    }
    use super::*;

    #[test]
    fn split_helpers_match_std() {
        for s in [
            "",
            "/",
            "a",
            "a/b",
            "/a//b/",
            "é/ü/",
            "AKID/20150830/us-east-1/iam/aws4_request",
        ] {
            assert_eq!(
                split_ascii(s, b'/').collect::<Vec<_>>(),
                s.split('/').collect::<Vec<_>>(),
                "{s:?}"
            );
        }
        for s in [
            "",
            " ",
            "a",
            " a, b ,c\td\n",
            ",,x=1,,y=é ",
            "Credential=a/b, SignedHeaders=h;x",
        ] {
            assert_eq!(
                auth_tokens(s).collect::<Vec<_>>(),
                s.split(|c: char| c == ',' || c.is_ascii_whitespace())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>(),
                "{s:?}"
            );
        }
        assert_eq!(lowercase("AbC"), "abc");
        assert_eq!(lowercase("abc"), "abc");
    }
}
