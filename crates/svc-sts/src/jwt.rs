//! OpenID Connect ID tokens as `AssumeRoleWithWebIdentity` reads them: a compact JWS
//! (`header.payload.signature`, each base64url without padding, RFC 7515) whose header
//! names the algorithm (`RS256`: RSASSA-PKCS1-v1_5 with SHA-256; `ES256`: ECDSA P-256 with
//! SHA-256, the signature `r‖s`, RFC 7518 §3.4) and the key (`kid`), and whose payload
//! holds the claims STS checks (`iss`, `aud`, `sub`, `exp`, `nbf`, `amr`). [`Token::parse`]
//! only reads; [`Token::verify`] checks the signature against a JSON Web Key Set (RFC 7517:
//! `RSA` keys by `n`/`e`, `EC` keys on `P-256` by `x`/`y`) with `ring`. No other
//! algorithm is accepted (in particular never `none` or a symmetric `HS*`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// Why a token is not usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts of JSON, or a claim of the wrong type.
    Malformed(String),
    /// An algorithm other than RS256 / ES256.
    Algorithm(String),
    /// No key of the set fits the header (`kid`, key type).
    NoKey,
    /// The signature does not verify with the key.
    BadSignature,
}

/// A parsed, not yet verified token.
#[derive(Clone, Debug)]
pub struct Token {
    pub alg: String,
    pub kid: Option<String>,
    pub iss: String,
    pub sub: String,
    /// `aud`: one string or a list.
    pub aud: Vec<String>,
    pub exp: i64,
    pub nbf: Option<i64>,
    /// `amr` (authentication methods), one string or a list.
    pub amr: Vec<String>,
    signing_input: String,
    signature: Vec<u8>,
}

fn b64(part: &str, what: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed(format!("the {what} is not base64url")))
}

fn strings(v: Option<&Value>, claim: &str) -> Result<Vec<String>, JwtError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| JwtError::Malformed(format!("claim {claim} is not a string")))
            })
            .collect(),
        Some(_) => Err(JwtError::Malformed(format!(
            "claim {claim} is not a string"
        ))),
    }
}

fn seconds(v: Option<&Value>, claim: &str) -> Result<Option<i64>, JwtError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| JwtError::Malformed(format!("claim {claim} is not a number"))),
        Some(_) => Err(JwtError::Malformed(format!(
            "claim {claim} is not a number"
        ))),
    }
}

impl Token {
    /// Reads `token`; every claim STS needs must be there (`iss`, `sub`, `aud`, `exp`).
    pub fn parse(token: &str) -> Result<Token, JwtError> {
        let mut parts = token.trim().split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed(
                "a token is three dot-separated parts".into(),
            ));
        };
        let header: Value = serde_json::from_slice(&b64(h, "header")?)
            .map_err(|_| JwtError::Malformed("the header is not JSON".into()))?;
        let claims: Value = serde_json::from_slice(&b64(p, "payload")?)
            .map_err(|_| JwtError::Malformed("the payload is not JSON".into()))?;
        let signature = b64(s, "signature")?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if alg != "RS256" && alg != "ES256" {
            return Err(JwtError::Algorithm(alg));
        }
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .map(str::to_string);
        let text = |claim: &str| {
            claims
                .get(claim)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| JwtError::Malformed(format!("claim {claim} is missing")))
        };
        let aud = strings(claims.get("aud"), "aud")?;
        if aud.is_empty() {
            return Err(JwtError::Malformed("claim aud is missing".into()));
        }
        Ok(Token {
            alg,
            kid,
            iss: text("iss")?,
            sub: text("sub")?,
            aud,
            exp: seconds(claims.get("exp"), "exp")?
                .ok_or_else(|| JwtError::Malformed("claim exp is missing".into()))?,
            nbf: seconds(claims.get("nbf"), "nbf")?,
            amr: strings(claims.get("amr"), "amr")?,
            signing_input: format!("{h}.{p}"),
            signature,
        })
    }

    /// Checks the signature with a key of `jwks` (`{"keys": [...]}`): the key named by the
    /// header's `kid` when it has one, otherwise any key of the algorithm's type.
    pub fn verify(&self, jwks: &Value) -> Result<(), JwtError> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let kty = if self.alg == "RS256" { "RSA" } else { "EC" };
        let mut candidates = keys.iter().filter(|k| {
            k.get("kty").and_then(Value::as_str) == Some(kty)
                && self
                    .kid
                    .as_deref()
                    .is_none_or(|kid| k.get("kid").and_then(Value::as_str) == Some(kid))
                && k.get("use")
                    .and_then(Value::as_str)
                    .is_none_or(|u| u == "sig")
        });
        let mut found = false;
        for key in candidates.by_ref() {
            found = true;
            if self.verify_with(key)? {
                return Ok(());
            }
        }
        if found {
            Err(JwtError::BadSignature)
        } else {
            Err(JwtError::NoKey)
        }
    }

    fn verify_with(&self, key: &Value) -> Result<bool, JwtError> {
        let field = |name: &str| -> Result<Vec<u8>, JwtError> {
            let v = key
                .get(name)
                .and_then(Value::as_str)
                .ok_or(JwtError::NoKey)?;
            URL_SAFE_NO_PAD
                .decode(v.trim_end_matches('='))
                .map_err(|_| JwtError::NoKey)
        };
        let message = self.signing_input.as_bytes();
        if self.alg == "RS256" {
            let public = ring::signature::RsaPublicKeyComponents {
                n: field("n")?,
                e: field("e")?,
            };
            Ok(public
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    message,
                    &self.signature,
                )
                .is_ok())
        } else {
            if key.get("crv").and_then(Value::as_str) != Some("P-256") {
                return Ok(false);
            }
            let (x, y) = (field("x")?, field("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Ok(false);
            }
            let mut point = Vec::with_capacity(65);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            let public = ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                point,
            );
            Ok(public.verify(message, &self.signature).is_ok())
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

    /// An ES256 key pair and its JWK (`kid` = `kid`).
    pub fn es256_key(kid: &str) -> (EcdsaKeyPair, Value) {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("keygen");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("key");
        let public = pair.public_key().as_ref();
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&public[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&public[33..65]),
        });
        (pair, jwk)
    }

    /// `claims` signed with `key` as an ES256 token naming `kid`.
    pub fn es256_token(key: &EcdsaKeyPair, kid: &str, claims: &Value) -> String {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = key
            .sign(&SystemRandom::new(), input.as_bytes())
            .expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    fn claims() -> Value {
        serde_json::json!({"iss": "https://127.0.0.1:9/idp", "sub": "alice",
                           "aud": ["app", "other"], "exp": 2_000_000_000, "amr": "pwd"})
    }

    #[test]
    fn an_es256_token_verifies_with_its_key_only() {
        let (key, jwk) = es256_key("k1");
        let (other, other_jwk) = es256_key("k1");
        let t = Token::parse(&es256_token(&key, "k1", &claims())).expect("parses");
        assert_eq!(
            (t.iss.as_str(), t.sub.as_str()),
            ("https://127.0.0.1:9/idp", "alice")
        );
        assert_eq!(t.aud, vec!["app", "other"]);
        assert_eq!(t.amr, vec!["pwd"]);
        assert_eq!(t.exp, 2_000_000_000);
        t.verify(&serde_json::json!({"keys": [jwk]}))
            .expect("verifies");
        assert_eq!(
            t.verify(&serde_json::json!({"keys": [other_jwk]})),
            Err(JwtError::BadSignature)
        );
        // Signed by another key: refused even though the kid matches.
        let forged = Token::parse(&es256_token(&other, "k1", &claims())).expect("parses");
        assert_eq!(
            forged.verify(&serde_json::json!({"keys": [es256_key("k1").1]})),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_token_whose_kid_is_not_in_the_set_has_no_key() {
        let (key, jwk) = es256_key("k1");
        let t = Token::parse(&es256_token(&key, "k2", &claims())).expect("parses");
        assert_eq!(
            t.verify(&serde_json::json!({"keys": [jwk]})),
            Err(JwtError::NoKey)
        );
    }

    #[test]
    fn an_edited_payload_fails_the_signature() {
        let (key, jwk) = es256_key("k1");
        let token = es256_token(&key, "k1", &claims());
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut edited = claims();
        edited["sub"] = "mallory".into();
        let payload = URL_SAFE_NO_PAD.encode(edited.to_string());
        parts[1] = &payload;
        let t = Token::parse(&parts.join(".")).expect("parses");
        assert_eq!(
            t.verify(&serde_json::json!({"keys": [jwk]})),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn only_rs256_and_es256_are_accepted() {
        for alg in ["none", "HS256", "RS512", ""] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}"}}"#));
            let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
            let r = Token::parse(&format!("{header}.{payload}.c2ln"));
            assert_eq!(r.err(), Some(JwtError::Algorithm(alg.into())), "{alg}");
        }
        assert!(matches!(Token::parse("abc"), Err(JwtError::Malformed(_))));
        assert!(matches!(
            Token::parse("a.b.c.d"),
            Err(JwtError::Malformed(_))
        ));
    }

    #[test]
    fn claims_sts_needs_must_be_there() {
        let (key, _) = es256_key("k1");
        for missing in ["iss", "sub", "aud", "exp"] {
            let mut c = claims();
            c.as_object_mut().expect("object").remove(missing);
            let r = Token::parse(&es256_token(&key, "k1", &c));
            assert!(matches!(r, Err(JwtError::Malformed(_))), "{missing}");
        }
    }
}
