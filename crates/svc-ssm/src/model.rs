//! The records Parameter Store keeps for an account's own parameters: one [`ParamRec`] per
//! (account, region, name) holding every retained version ([`VersionRec`], oldest first,
//! at most 100) and the parameter's tags. Serde types, stored whole by `persist`.
//!
//! Values are stored as given, in plaintext, in Nimbus's own data directory — SecureString
//! included (Nimbus has no KMS; the only key is the AWS-managed `alias/aws/ssm`). What a
//! SecureString read without `WithDecryption` returns is the version's `ciphertext`: random
//! bytes drawn when the version was written, base64-encoded, so the answer is opaque and
//! stable like AWS's and reveals nothing about the value (not even its equality with
//! another version's).

use serde::{Deserialize, Serialize};

/// Most versions a parameter keeps (AWS's limit); the oldest goes when a 101st is written.
pub const MAX_VERSIONS: usize = 100;
/// Most labels one version can carry.
pub const MAX_LABELS_PER_VERSION: usize = 10;
/// The AWS-managed key SecureString parameters use when no `KeyId` is given.
pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";

/// One parameter of one account and region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamRec {
    pub account: String,
    pub region: String,
    pub name: String,
    /// Retained versions, oldest first; never empty.
    pub versions: Vec<VersionRec>,
    /// Tags in the order they were first added.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// One version of a parameter: its value and the settings it was written with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRec {
    pub version: i64,
    /// `String`, `StringList` or `SecureString`.
    pub r#type: String,
    pub value: String,
    /// For SecureString: what is returned without decryption (see the module docs).
    #[serde(default)]
    pub ciphertext: Option<String>,
    /// For SecureString: the key it is "encrypted" with.
    #[serde(default)]
    pub key_id: Option<String>,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    /// `Standard` or `Advanced`.
    pub tier: String,
    /// `text` or `aws:ec2:image`.
    pub data_type: String,
    pub labels: Vec<String>,
    /// Milliseconds since the Unix epoch (Nimbus time).
    pub last_modified_ms: i64,
    /// ARN of the principal that wrote this version.
    pub last_modified_user: String,
}

impl ParamRec {
    /// The newest version.
    pub fn latest(&self) -> &VersionRec {
        self.versions.last().expect("a parameter always has a version")
    }

    pub fn version(&self, v: i64) -> Option<&VersionRec> {
        self.versions.iter().find(|x| x.version == v)
    }

    /// The version carrying `label`.
    pub fn labelled(&self, label: &str) -> Option<&VersionRec> {
        self.versions.iter().find(|x| x.labels.iter().any(|l| l == label))
    }
}
