//! Integrity of uploaded bytes: the MD5 that becomes an object's ETag and is checked
//! against `Content-MD5`, and S3's additional checksums (`x-amz-checksum-*`). A checksum the
//! client sends is verified when Nimbus can compute that algorithm (CRC32, CRC32C,
//! CRC64NVME, SHA256, SHA512, MD5) and rejected with `BadDigest` on mismatch; one it cannot
//! compute (SHA1, XXHASH*) is stored and returned as given. When the client only names an
//! algorithm (`x-amz-sdk-checksum-algorithm`), the checksum is computed here, as S3 does.
//!
//! Bodies are hashed incrementally ([`Hashing`]) as they stream to disk; a checksum the
//! client sends after the body (an `aws-chunked` trailer such as `x-amz-checksum-crc32`) is
//! verified like one sent as a header, so every algorithm it announced up front
//! (`x-amz-trailer`) is computed on the way.
//!
//! Checksums are base64 of the big-endian digest. Reference:
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>.

use crate::faults;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use nimbus_core::AwsError;
use sha2::{Sha256, Sha512};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// An additional checksum algorithm S3 knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
    Sha512,
    Md5,
    XxHash64,
    XxHash3,
    XxHash128,
}

pub(crate) const ALL: [Algorithm; 10] = [
    Algorithm::Crc32,
    Algorithm::Crc32c,
    Algorithm::Crc64Nvme,
    Algorithm::Sha1,
    Algorithm::Sha256,
    Algorithm::Sha512,
    Algorithm::Md5,
    Algorithm::XxHash64,
    Algorithm::XxHash3,
    Algorithm::XxHash128,
];

impl Algorithm {
    /// The name S3 uses in `x-amz-sdk-checksum-algorithm` and in error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
            Algorithm::Md5 => "MD5",
            Algorithm::XxHash64 => "XXHASH64",
            Algorithm::XxHash3 => "XXHASH3",
            Algorithm::XxHash128 => "XXHASH128",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        ALL.into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    pub(crate) fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme | Algorithm::XxHash64 | Algorithm::XxHash3 => 8,
            Algorithm::Md5 | Algorithm::XxHash128 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The base64 checksum of `data`, or `None` for an algorithm Nimbus cannot compute.
    #[cfg(test)]
    pub(crate) fn compute(self, data: &[u8]) -> Option<String> {
        let mut r = Running::new(self)?;
        r.update(data);
        Some(r.finish())
    }

    /// The algorithm of a checksum header or trailer name (`x-amz-checksum-crc32`).
    fn from_header(name: &str) -> Option<Algorithm> {
        let suffix = name
            .get(..15)?
            .eq_ignore_ascii_case("x-amz-checksum-")
            .then(|| &name[15..])?;
        Algorithm::from_name(suffix)
    }
}

/// One checksum being computed over a body that arrives in pieces.
enum Running {
    Crc32(u32),
    Crc32c(u32),
    Crc64Nvme(u64),
    Sha256(Sha256),
    Sha512(Sha512),
    Md5(Md5),
}

impl Running {
    /// `None` for an algorithm Nimbus cannot compute.
    fn new(alg: Algorithm) -> Option<Running> {
        Some(match alg {
            Algorithm::Crc32 => Running::Crc32(0),
            Algorithm::Crc32c => Running::Crc32c(0),
            Algorithm::Crc64Nvme => Running::Crc64Nvme(0),
            Algorithm::Sha256 => Running::Sha256(Sha256::new()),
            Algorithm::Sha512 => Running::Sha512(Sha512::new()),
            Algorithm::Md5 => Running::Md5(Md5::new()),
            Algorithm::Sha1 | Algorithm::XxHash64 | Algorithm::XxHash3 | Algorithm::XxHash128 => {
                return None
            }
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Running::Crc32(c) => *c = crc32(&CRC32_TABLE, *c, data),
            Running::Crc32c(c) => *c = crc32(&CRC32C_TABLE, *c, data),
            Running::Crc64Nvme(c) => *c = crc64(&CRC64_NVME_TABLE, *c, data),
            Running::Sha256(h) => h.update(data),
            Running::Sha512(h) => h.update(data),
            Running::Md5(h) => h.update(data),
        }
    }

    /// The base64 digest.
    fn finish(self) -> String {
        let raw: Vec<u8> = match self {
            Running::Crc32(c) | Running::Crc32c(c) => c.to_be_bytes().to_vec(),
            Running::Crc64Nvme(c) => c.to_be_bytes().to_vec(),
            Running::Sha256(h) => h.finalize().to_vec(),
            Running::Sha512(h) => h.finalize().to_vec(),
            Running::Md5(h) => h.finalize().to_vec(),
        };
        B64.encode(raw)
    }
}

/// The digests of a body being received: its MD5 (the ETag) and every checksum the request
/// asked for or announced as a trailer.
pub(crate) struct Hashing {
    md5: Md5,
    size: u64,
    running: Vec<(Algorithm, Running)>,
}

impl Hashing {
    /// Starts hashing for `req`, plus the checksums named by the trailers the client
    /// announced (`x-amz-trailer`, lowercase header names).
    pub(crate) fn new(req: &Requested, announced: &[String]) -> Hashing {
        let mut algs: Vec<Algorithm> = Vec::new();
        let named = req
            .checksum
            .as_ref()
            .map(|(a, _)| *a)
            .into_iter()
            .chain(req.algorithm)
            .chain(announced.iter().filter_map(|n| Algorithm::from_header(n)));
        for a in named {
            if !algs.contains(&a) {
                algs.push(a);
            }
        }
        Hashing {
            md5: Md5::new(),
            size: 0,
            running: algs
                .into_iter()
                .filter_map(|a| Running::new(a).map(|r| (a, r)))
                .collect(),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.size += data.len() as u64;
        for (_, r) in &mut self.running {
            r.update(data);
        }
    }

    /// Bytes hashed so far.
    #[cfg(test)]
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Checks the digests against what the client sent — in `req` (headers) or in
    /// `trailers` (after the body) — and returns the ETag digest and the checksum to store.
    pub(crate) fn finish(
        self,
        req: &Requested,
        trailers: &[(String, String)],
    ) -> Result<Verified, AwsError> {
        let md5 = self.md5.finalize();
        if let Some(expected) = req.content_md5 {
            if expected[..] != md5[..] {
                return Err(faults::bad_digest_md5(
                    &B64.encode(expected),
                    &B64.encode(md5),
                ));
            }
        }
        let mut computed: Vec<(Algorithm, String)> = self
            .running
            .into_iter()
            .map(|(a, r)| (a, r.finish()))
            .collect();
        let mut take = |alg: Algorithm| {
            computed
                .iter()
                .position(|(a, _)| *a == alg)
                .map(|i| computed.swap_remove(i).1)
        };
        // A checksum sent as a trailer counts as if sent as a header.
        let mut given = req.checksum.clone();
        if given.is_none() {
            let sent: Vec<(Algorithm, &str)> = trailers
                .iter()
                .filter_map(|(k, v)| Algorithm::from_header(k).map(|a| (a, v.as_str())))
                .collect();
            given = Requested::parse(None, &sent, None)?.checksum;
        }
        let checksum = match (given, req.algorithm) {
            (Some((alg, value)), _) => {
                if let Some(actual) = take(alg) {
                    if actual != value {
                        return Err(faults::bad_digest_checksum(alg.name()));
                    }
                }
                Some((alg.name().to_string(), value))
            }
            (None, Some(alg)) => take(alg).map(|v| (alg.name().to_string(), v)),
            (None, None) => None,
        };
        Ok(Verified {
            md5_hex: hex::encode(md5),
            checksum,
        })
    }
}

/// What a PutObject asked to have verified.
#[derive(Clone, Debug, Default)]
pub(crate) struct Requested {
    /// `Content-MD5`, decoded.
    pub content_md5: Option<[u8; 16]>,
    /// The one `x-amz-checksum-*` value sent, if any.
    pub checksum: Option<(Algorithm, String)>,
    /// `x-amz-sdk-checksum-algorithm`.
    pub algorithm: Option<Algorithm>,
}

impl Requested {
    /// Validates the shapes of the digests a request carries (not yet their values).
    /// `given` lists the `x-amz-checksum-*` headers present.
    pub(crate) fn parse(
        content_md5: Option<&str>,
        given: &[(Algorithm, &str)],
        algorithm: Option<&str>,
    ) -> Result<Requested, AwsError> {
        let mut out = Requested::default();
        if let Some(v) = content_md5 {
            let raw = B64
                .decode(v.trim())
                .map_err(|_| faults::invalid_digest(v))?;
            let arr: [u8; 16] = raw.try_into().map_err(|_| faults::invalid_digest(v))?;
            out.content_md5 = Some(arr);
        }
        if given.len() > 1 {
            return Err(faults::invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        if let Some((alg, value)) = given.first() {
            let ok = B64
                .decode(value.trim())
                .is_ok_and(|raw| raw.len() == alg.digest_len());
            if !ok {
                return Err(faults::invalid_checksum(&alg.header()));
            }
            out.checksum = Some((*alg, value.trim().to_string()));
        }
        if let Some(name) = algorithm {
            let alg = Algorithm::from_name(name).ok_or_else(|| {
                faults::invalid_request(
                    "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
                )
            })?;
            if let Some((given_alg, _)) = &out.checksum {
                if *given_alg != alg {
                    return Err(faults::invalid_request(format!(
                        "Value for x-amz-sdk-checksum-algorithm header is invalid. The {} checksum header was sent instead.",
                        given_alg.name()
                    )));
                }
            }
            out.algorithm = Some(alg);
        }
        Ok(out)
    }
}

/// The result of checking a body: its ETag digest and the checksum to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verified {
    pub md5_hex: String,
    /// (algorithm name, base64 value).
    pub checksum: Option<(String, String)>,
}

/// Computes the MD5 and the requested checksum of `data` and checks them against what the
/// client sent. CPU-bound: callers run it off the async runtime for large bodies.
pub(crate) fn verify(req: &Requested, data: &[u8]) -> Result<Verified, AwsError> {
    let mut h = Hashing::new(req, &[]);
    h.update(data);
    h.finish(req, &[])
}

const fn crc32_table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

const fn crc64_table(poly: u64) -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// CRC-32 (ISO-HDLC), reflected polynomial.
static CRC32_TABLE: [u32; 256] = crc32_table(0xEDB8_8320);
/// CRC-32C (Castagnoli), reflected polynomial.
static CRC32C_TABLE: [u32; 256] = crc32_table(0x82F6_3B78);
/// CRC-64/NVME, reflected polynomial.
static CRC64_NVME_TABLE: [u64; 256] = crc64_table(0x9A6C_9329_AC4B_C9B5);

/// Continues CRC `crc` (0 to start) over `data`.
fn crc32(table: &[u32; 256], crc: u32, data: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in data {
        c = table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// Continues CRC `crc` (0 to start) over `data`.
fn crc64(table: &[u64; 256], crc: u64, data: &[u8]) -> u64 {
    let mut c = !crc;
    for &b in data {
        c = table[((c ^ b as u64) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_values() {
        // The standard "check" value of each CRC: its digest of "123456789".
        assert_eq!(crc32(&CRC32_TABLE, 0, b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(&CRC32C_TABLE, 0, b"123456789"), 0xE306_9283);
        assert_eq!(
            crc64(&CRC64_NVME_TABLE, 0, b"123456789"),
            0xAE8B_1486_0A79_9888
        );
        // Continued over pieces, the same digest.
        let c = crc32(&CRC32_TABLE, crc32(&CRC32_TABLE, 0, b"1234"), b"56789");
        assert_eq!(c, 0xCBF4_3926);
        let c = crc64(
            &CRC64_NVME_TABLE,
            crc64(&CRC64_NVME_TABLE, 0, b"12"),
            b"3456789",
        );
        assert_eq!(c, 0xAE8B_1486_0A79_9888);
    }

    #[test]
    fn trailing_checksums_are_verified_like_headers() {
        let body = b"hello world";
        let crc = Algorithm::Crc32.compute(body).unwrap_or_default();
        let req = Requested::parse(None, &[], Some("CRC32")).expect("ok");
        let announced = ["x-amz-checksum-crc32".to_string()];
        let trailer = |v: &str| vec![("x-amz-checksum-crc32".to_string(), v.to_string())];
        let mut h = Hashing::new(&req, &announced);
        h.update(b"hello ");
        h.update(b"world");
        assert_eq!(h.size(), 11);
        let v = h.finish(&req, &trailer(&crc)).expect("verifies");
        assert_eq!(v.checksum, Some(("CRC32".to_string(), crc.clone())));
        // A wrong trailing value is refused; so is a malformed one.
        let mut h = Hashing::new(&Requested::default(), &announced);
        h.update(body);
        let wrong = Algorithm::Crc32.compute(b"other").unwrap_or_default();
        assert_eq!(
            h.finish(&Requested::default(), &trailer(&wrong))
                .unwrap_err()
                .code,
            "BadDigest"
        );
        let mut h = Hashing::new(&Requested::default(), &announced);
        h.update(body);
        assert_eq!(
            h.finish(&Requested::default(), &trailer("nope"))
                .unwrap_err()
                .code,
            "InvalidRequest"
        );
    }

    #[test]
    fn md5_and_checksums_are_verified() {
        let body = b"hello";
        let md5_b64 = B64.encode(Md5::digest(body));
        let crc = Algorithm::Crc32.compute(body).unwrap_or_default();
        let req = Requested::parse(Some(&md5_b64), &[(Algorithm::Crc32, &crc)], Some("crc32"))
            .expect("valid request");
        let v = verify(&req, body).expect("verifies");
        assert_eq!(v.md5_hex, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(v.checksum, Some(("CRC32".to_string(), crc.clone())));

        let err = verify(&req, b"other").unwrap_err();
        assert_eq!(err.code, "BadDigest");

        let only_crc = Requested::parse(None, &[(Algorithm::Crc32, &crc)], None).expect("ok");
        assert_eq!(verify(&only_crc, b"other").unwrap_err().code, "BadDigest");
    }

    #[test]
    fn malformed_digests_are_rejected() {
        assert_eq!(
            Requested::parse(Some("not base64!"), &[], None)
                .unwrap_err()
                .code,
            "InvalidDigest"
        );
        assert_eq!(
            Requested::parse(Some("AAAA"), &[], None).unwrap_err().code,
            "InvalidDigest"
        );
        let e = Requested::parse(None, &[(Algorithm::Crc32, "AAAAAAAA")], None).unwrap_err();
        assert_eq!(e.code, "InvalidRequest");
        let e = Requested::parse(
            None,
            &[(Algorithm::Crc32, "AAAAAA=="), (Algorithm::Sha1, "x")],
            None,
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidRequest");
    }

    #[test]
    fn algorithm_alone_is_computed_and_unknown_ones_are_kept() {
        let req = Requested::parse(None, &[], Some("SHA256")).expect("ok");
        let v = verify(&req, b"").expect("ok");
        assert_eq!(
            v.checksum,
            Some((
                "SHA256".to_string(),
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".to_string()
            ))
        );
        let sha1 = B64.encode([0u8; 20]);
        let req = Requested::parse(None, &[(Algorithm::Sha1, &sha1)], None).expect("ok");
        assert_eq!(
            verify(&req, b"x").expect("ok").checksum,
            Some(("SHA1".to_string(), sha1))
        );
    }
}
