//! TLS termination for HTTPS (ALB) and TLS (NLB) listeners, with rustls over ring. The
//! control plane hands each secure listener its certificates (the default first, then the
//! listener's certificate list, each as PEM chain + key + the names it serves) and its
//! security policy's protocol versions and ciphers (OpenSSL names, as `DescribeSSLPolicies`
//! lists them); [`server_config`] turns them into one rustls `ServerConfig`, built once per
//! published snapshot. Per handshake the certificate is chosen by the client's SNI: an exact
//! name first, then a wildcard (`*.example.com` covers one label), else — and without SNI —
//! the default; among certificates for one name, one whose key the client can verify (RSA or
//! ECDSA, by its signature algorithms) is preferred, as ALB does. Only what rustls
//! implements can be offered: TLS 1.2 and 1.3, and the ECDHE-AES-GCM and ChaCha20 suites;
//! a policy's TLS 1.0/1.1 and CBC or RSA-kex ciphers are left out. ALPN offers `h2` and `http/1.1` on HTTPS listeners whose balancer has
//! HTTP/2 on.

use rustls::crypto::ring::cipher_suite as cs;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
pub use rustls::ServerConfig;
use rustls::SupportedCipherSuite;
use std::sync::Arc;

/// One certificate as a listener serves it.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsCert {
    /// The certificate, then its chain (PEM).
    pub chain_pem: String,
    pub key_pem: String,
    /// The DNS names it serves (wildcards as `*.example.com`).
    pub names: Vec<String>,
}

/// What a secure listener terminates with.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsSettings {
    /// The default certificate first, then the listener's other certificates.
    pub certs: Vec<TlsCert>,
    /// `TLSv1.2`, `TLSv1.3` (others are ignored: rustls does not speak them).
    pub protocols: Vec<String>,
    /// OpenSSL cipher names, in the policy's order.
    pub ciphers: Vec<String>,
    /// ALPN protocols to offer, in preference order.
    pub alpn: Vec<Vec<u8>>,
}

/// The rustls suite an OpenSSL/IANA cipher name stands for, if rustls has it.
fn suite(name: &str) -> Option<SupportedCipherSuite> {
    Some(match name {
        "TLS_AES_128_GCM_SHA256" => cs::TLS13_AES_128_GCM_SHA256,
        "TLS_AES_256_GCM_SHA384" => cs::TLS13_AES_256_GCM_SHA384,
        "TLS_CHACHA20_POLY1305_SHA256" => cs::TLS13_CHACHA20_POLY1305_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256" => cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256" => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES256-GCM-SHA384" => cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-RSA-AES256-GCM-SHA384" => cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-CHACHA20-POLY1305" => cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-RSA-CHACHA20-POLY1305" => cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        _ => return None,
    })
}

/// Picks the certificate for `sni` among `named` (lower-case name, value): an exact name
/// first, then a wildcard covering its first label.
pub fn pick<'a, T>(named: &'a [(String, T)], sni: &str) -> Option<&'a T> {
    pick_by(named, sni, |_| true)
}

/// [`pick`], preferring at each step (exact, then wildcard) a value `fits` accepts; when none
/// does, the first match stands (and the handshake fails as it would on AWS).
pub fn pick_by<'a, T>(
    named: &'a [(String, T)],
    sni: &str,
    fits: impl Fn(&T) -> bool,
) -> Option<&'a T> {
    let sni = sni.trim_end_matches('.').to_ascii_lowercase();
    let wild = match sni.split_once('.') {
        Some((first, rest)) if !first.is_empty() => Some(format!("*.{rest}")),
        _ => None,
    };
    let best = |name: &str| {
        let all: Vec<&'a T> = named
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v)
            .collect();
        all.iter()
            .copied()
            .find(|v| fits(v))
            .or(all.first().copied())
    };
    best(&sni).or_else(|| wild.as_deref().and_then(best))
}

#[derive(Debug)]
struct BySni {
    default: Arc<CertifiedKey>,
    named: Vec<(String, Arc<CertifiedKey>)>,
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let schemes = hello.signature_schemes();
        let fits = |k: &Arc<CertifiedKey>| k.key.choose_scheme(schemes).is_some();
        let chosen = hello
            .server_name()
            .and_then(|sni| pick_by(&self.named, sni, fits))
            .unwrap_or(&self.default);
        Some(chosen.clone())
    }
}

fn certified(provider: &CryptoProvider, c: &TlsCert) -> Result<Arc<CertifiedKey>, String> {
    let chain = CertificateDer::pem_slice_iter(c.chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    if chain.is_empty() {
        return Err("no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes())
        .map_err(|e| format!("private key: {e}"))?;
    let signer = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("private key: {e}"))?;
    Ok(Arc::new(CertifiedKey::new(chain, signer)))
}

/// The rustls configuration of a secure listener.
pub fn server_config(s: &TlsSettings) -> Result<Arc<ServerConfig>, String> {
    // ring's provider (chosen to keep build times down) has no post-quantum key exchange,
    // which rustls marks by deprecating its constructor.
    #[allow(deprecated)]
    let mut provider = rustls::crypto::ring::default_provider();
    let wanted: Vec<SupportedCipherSuite> = s.ciphers.iter().filter_map(|c| suite(c)).collect();
    provider
        .cipher_suites
        .retain(|x| wanted.iter().any(|w| w.suite() == x.suite()));
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    let has = |v: rustls::ProtocolVersion| {
        provider
            .cipher_suites
            .iter()
            .any(|x| x.version().version == v)
    };
    if s.protocols.iter().any(|p| p == "TLSv1.3") && has(rustls::ProtocolVersion::TLSv1_3) {
        versions.push(&rustls::version::TLS13);
    }
    if s.protocols.iter().any(|p| p == "TLSv1.2") && has(rustls::ProtocolVersion::TLSv1_2) {
        versions.push(&rustls::version::TLS12);
    }
    if versions.is_empty() {
        return Err("the security policy allows no protocol version rustls implements".into());
    }
    let mut keys = Vec::new();
    for c in &s.certs {
        keys.push((certified(&provider, c)?, c));
    }
    let Some((default, _)) = keys.first().cloned() else {
        return Err("no certificate".into());
    };
    let named = keys
        .iter()
        .flat_map(|(k, c)| c.names.iter().map(|n| (n.to_ascii_lowercase(), k.clone())))
        .collect();
    let mut cfg = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(BySni { default, named }));
    cfg.alpn_protocols = s.alpn.clone();
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::pick;

    #[test]
    fn sni_picks_exact_names_before_wildcards() {
        let named = vec![
            ("*.example.com".to_string(), 1),
            ("www.example.com".to_string(), 2),
            ("example.com".to_string(), 3),
        ];
        assert_eq!(pick(&named, "www.example.com"), Some(&2));
        assert_eq!(pick(&named, "WWW.Example.com."), Some(&2));
        assert_eq!(pick(&named, "api.example.com"), Some(&1));
        assert_eq!(pick(&named, "example.com"), Some(&3));
        assert_eq!(
            pick(&named, "a.b.example.com"),
            None,
            "a wildcard covers one label"
        );
        assert_eq!(pick(&named, "other.org"), None);
    }

    #[test]
    fn a_certificate_the_client_can_verify_is_preferred_for_the_same_name() {
        use super::pick_by;
        let named = vec![
            ("a.example.com".to_string(), "rsa"),
            ("a.example.com".to_string(), "ec"),
            ("*.example.com".to_string(), "wild-rsa"),
            ("*.example.com".to_string(), "wild-ec"),
        ];
        assert_eq!(
            pick_by(&named, "a.example.com", |k| k.contains("ec")),
            Some(&"ec")
        );
        assert_eq!(
            pick_by(&named, "a.example.com", |k| k.contains("rsa")),
            Some(&"rsa")
        );
        assert_eq!(
            pick_by(&named, "a.example.com", |_| false),
            Some(&"rsa"),
            "else the first"
        );
        assert_eq!(
            pick_by(&named, "b.example.com", |k| k.ends_with("ec")),
            Some(&"wild-ec")
        );
        assert_eq!(
            pick_by(&named, "a.example.com", |k| k.starts_with("wild")),
            Some(&"rsa"),
            "an exact name wins over a wildcard the client prefers"
        );
    }
}
