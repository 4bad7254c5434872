//! OpenPGP signing keys and signatures for apt and yum repositories (pure Rust, `pgp` crate).
//!
//! * [`generate`] makes a new key: an Ed25519 (legacy EdDSA, v4) primary key that certifies and
//!   signs, one user id, an optional expiry. The tests check that GnuPG's `gpgv` (apt) and
//!   gpgme (dnf's repo_gpgcheck) verify its signatures; rpm 4.18 also supports EdDSA.
//! * [`SigningKey::load`] reads an armored (or binary) secret key, unlocks it with a passphrase
//!   if needed, and refuses a revoked or expired key, or one without a signing-capable (sub)key,
//!   **before** anything is written: it signs and verifies a probe.
//! * [`SigningKey::clearsign`] (apt's `InRelease`) and [`SigningKey::detached`] (`Release.gpg`,
//!   `repomd.xml.asc`) make SHA-256 signatures whose creation time is given by the caller;
//!   the time is the metadata's ([`crate::publish::metadata_time`]: `SOURCE_DATE_EPOCH` when
//!   set, else the caller's clock; nothing here reads the clock), but never earlier
//!   than the signing key's creation ([`SigningKey::signature_time_for`]: GnuPG reports a "Time
//!   conflict" and rpm-sequoia rejects such signatures). EdDSA and RSA signatures are
//!   deterministic, so with a fixed time the same input gives the same signature bytes.
//! * [`SigningKey::detached_packet`] signs rpm headers (`klts package --sign-key`): packages and
//!   repositories load their key with the same [`SigningKey::load`] checks and follow the same
//!   time rule.

use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, Deserializable, DetachedSignature, KeyType,
    SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{KeyFlags, Signature, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::ser::Serialize;
use pgp::types::{Duration, KeyDetails, Password, SignedUser, Tag, Timestamp};
use std::path::{Path, PathBuf};

/// Environment variable holding the passphrase of an encrypted secret key.
pub const PASSPHRASE_ENV: &str = "KLTS_SIGNING_PASSPHRASE";

/// Errors of key handling and signing.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key file could not be read.
    #[error("{path}: cannot read the signing key: {source}\nhelp: give an armored secret key (`klts key generate --out key.asc` makes one)")]
    Read {
        /// The key file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not an OpenPGP secret key (armored or binary).
    #[error("{path}: not an OpenPGP secret key: {msg}\nhelp: export one with `gpg --export-secret-keys --armor KEYID`, or make one with `klts key generate`")]
    Parse {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it (unparsable, or self-signatures that do not verify).
        msg: String,
    },
    /// The primary key carries a revocation signature.
    #[error(
        "{path}: the key {fingerprint} is revoked\nhelp: use another key (`klts key generate`)"
    )]
    Revoked {
        /// The key file.
        path: PathBuf,
        /// The primary key's fingerprint.
        fingerprint: String,
    },
    /// The expiry set by the primary key's newest self-signature has passed.
    #[error("{path}: the key {fingerprint} expired on {} UTC\nhelp: extend it (`gpg --quick-set-expire`) or make a new one (`klts key generate`)", utc_day(*expired))]
    Expired {
        /// The key file.
        path: PathBuf,
        /// The primary key's fingerprint.
        fingerprint: String,
        /// When it expired, unix seconds (shown as a UTC day).
        expired: u64,
    },
    /// Neither the primary key nor a valid subkey may sign (no signing key flag).
    #[error("{path}: the key {fingerprint} has no valid signing-capable key or subkey\nhelp: add a signing subkey (`gpg --quick-add-key FPR ed25519 sign`) or use `klts key generate`")]
    NoSigningKey {
        /// The key file.
        path: PathBuf,
        /// The primary key's fingerprint.
        fingerprint: String,
    },
    /// The probe signature made when loading the key failed or did not verify, typically a missing
    /// or wrong passphrase.
    #[error("{path}: cannot sign with the key {fingerprint}: {msg}\nhelp: if the key is protected, set the passphrase in ${PASSPHRASE_ENV}")]
    Unusable {
        /// The key file.
        path: PathBuf,
        /// The primary key's fingerprint.
        fingerprint: String,
        /// Why signing failed.
        msg: String,
    },
    /// Making or checking a signature failed.
    #[error("cannot sign {what}: {msg}")]
    Sign {
        /// What was being signed or read, e.g. `the cleartext`, `the public key`.
        what: String,
        /// The OpenPGP library's error.
        msg: String,
    },
    /// [`write_key_files`] would replace a file and `force` is not set.
    #[error("{path}: already exists\nhelp: choose another --out, or pass --force to replace it")]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// [`write_key_files`] could not write a key file.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// [`KeyParams`] that make no valid key: an empty or malformed name or email, an expiry out of
    /// range.
    #[error("invalid key parameters: {0}\nhelp: a user id needs a name; --expires takes e.g. 2y, 18m, 90d or never")]
    Params(String),
}

/// A new key: the armored secret key (keep it private) and its armored public key.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// The secret key, ASCII-armored and protected by [`KeyParams::passphrase`] when one is set:
    /// keep it private ([`write_key_files`] writes it mode 0600).
    pub secret_armored: String,
    /// The public key (certificate), ASCII-armored: publish it and give it to clients.
    pub public_armored: String,
    /// The primary key's fingerprint, 40 uppercase hex digits.
    pub fingerprint: String,
}

/// The public-key algorithm of a new key. Which clients verify which algorithm decides the
/// default: RSA is the one every apt (gpgv 1.4 on Ubuntu 16.04 has no EdDSA) and every rpm
/// (CentOS 7's rpm 4.11 with GnuPG 2.0.22: RSA and DSA only) can check; see the README table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA, 4096 bits: verified by every client klts targets (the default).
    #[default]
    Rsa4096,
    /// RSA, 3072 bits.
    Rsa3072,
    /// Ed25519 (EdDSA): small and fast, but not verifiable by gpgv 1.4 or CentOS 7's rpm.
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm, by its name.
    pub const ALL: [(&'static str, KeyAlgorithm); 3] = [
        ("rsa4096", KeyAlgorithm::Rsa4096),
        ("rsa3072", KeyAlgorithm::Rsa3072),
        ("ed25519", KeyAlgorithm::Ed25519),
    ];

    /// Parse `rsa4096`, `rsa3072` or `ed25519`.
    pub fn parse(s: &str) -> Result<KeyAlgorithm, String> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                format!(
                    "unknown key algorithm `{s}`: use rsa4096 (the default), rsa3072 or ed25519"
                )
            })
    }

    fn key_type(self) -> KeyType {
        match self {
            KeyAlgorithm::Rsa4096 => KeyType::Rsa(4096),
            KeyAlgorithm::Rsa3072 => KeyType::Rsa(3072),
            KeyAlgorithm::Ed25519 => KeyType::Ed25519Legacy,
        }
    }
}

/// A client family whose signature checks a repository must pass (`klts publish --compat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// CentOS/RHEL 7: rpm 4.11 and yum 3 verify with GnuPG 2.0.22 — RSA and DSA only.
    CentOs7,
    /// Ubuntu 16.04: apt verifies with gpgv 1.4 — RSA and DSA only.
    Ubuntu1604,
    /// RHEL/Rocky/Alma 8 and 9: their rpm cannot import an Ed25519 key — RSA only in practice.
    El8El9,
    /// Current rpm with the Sequoia backend (Fedora 38+, EL10): RSA ≥ 2048 and EdDSA, no DSA.
    Rpm4Sequoia,
}

impl Client {
    /// Every client, by its `--compat` name.
    pub const ALL: [(&'static str, Client); 4] = [
        ("centos7", Client::CentOs7),
        ("ubuntu1604", Client::Ubuntu1604),
        ("el8-el9", Client::El8El9),
        ("rpm-sequoia", Client::Rpm4Sequoia),
    ];

    /// Parse a `--compat` name.
    pub fn parse(s: &str) -> Result<Client, String> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                format!(
                    "unknown client `{s}`: use {}",
                    Self::ALL.map(|(n, _)| n).join(", ")
                )
            })
    }

    /// What it is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Client::CentOs7 => "CentOS 7 (rpm 4.11, GnuPG 2.0.22: RSA and DSA only)",
            Client::Ubuntu1604 => "Ubuntu 16.04 (apt with gpgv 1.4: RSA and DSA only)",
            Client::El8El9 => "RHEL/Rocky/Alma 8 and 9 (rpm cannot import Ed25519 keys)",
            Client::Rpm4Sequoia => "rpm-sequoia (Fedora 38+, EL10: no DSA)",
        }
    }
}

/// Parameters of [`generate`].
#[derive(Debug, Clone)]
pub struct KeyParams {
    /// The public-key algorithm.
    pub algorithm: KeyAlgorithm,
    /// The user id's name, e.g. `KLTS Maintainers`; must not contain `<`, `>` or a newline.
    pub name: String,
    /// The user id's email, if any: the user id is then `name <email>`.
    pub email: Option<String>,
    /// Seconds after `created` when the key expires; `None`: never.
    pub expires_in: Option<u32>,
    /// Key creation time (unix seconds).
    pub created: u32,
    /// Protect the secret key with this passphrase.
    pub passphrase: Option<String>,
}

/// Parse an expiry like `2y`, `18mo`, `90d`, `12w` or `never` into seconds, with klts's one
/// duration syntax ([`klts_core::build::parse_duration`]: `m` is minutes, months are `mo`).
/// A value in minutes alone (`18m`, which GnuPG reads as months) is refused with that said,
/// rather than silently making a key that expires within the hour.
pub fn parse_expiry(s: &str) -> Result<Option<u32>, SignError> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") || s == "0" {
        return Ok(None);
    }
    if s.ends_with('m') && s[..s.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignError::Params(format!(
            "`{s}`: `m` is minutes in klts, and a key that expires within hours is almost certainly a mistake\n  help: months are `mo` (18mo); or write 2y, 90d, 12w"
        )));
    }
    let d = klts_core::build::parse_duration(s).map_err(SignError::Params)?;
    match u32::try_from(d.as_secs()) {
        Ok(0) => Err(SignError::Params(format!(
            "`{s}` is no time at all: use `never` for a key that does not expire"
        ))),
        Ok(secs) => Ok(Some(secs)),
        Err(_) => Err(SignError::Params(format!(
            "`{s}` is too long: at most about 136 years"
        ))),
    }
}

fn pgp_err(what: &str) -> impl Fn(pgp::errors::Error) -> SignError + '_ {
    move |e| SignError::Sign {
        what: what.to_string(),
        msg: e.to_string(),
    }
}

/// Make a new key of `params.algorithm` that certifies and signs (no subkeys).
pub fn generate(params: &KeyParams) -> Result<GeneratedKey, SignError> {
    if params.name.trim().is_empty() || params.name.contains(['<', '>', '\n']) {
        return Err(SignError::Params(format!("name {:?}", params.name)));
    }
    let uid = match &params.email {
        Some(e) if e.contains(['<', '>', '\n', ' ']) || !e.contains('@') => {
            return Err(SignError::Params(format!("email {e:?}")))
        }
        Some(e) => format!("{} <{}>", params.name.trim(), e),
        None => params.name.trim().to_string(),
    };
    let err = pgp_err("the new key");
    let mut builder = SecretKeyParamsBuilder::default();
    builder
        .key_type(params.algorithm.key_type())
        .can_certify(true)
        .can_sign(true)
        .created_at(Timestamp::from_secs(params.created))
        .primary_user_id(uid.clone())
        .passphrase(params.passphrase.clone());
    let key_params = builder
        .build()
        .map_err(|e| SignError::Params(e.to_string()))?;
    let mut rng = rand::thread_rng();
    let mut key = key_params.generate(&mut rng).map_err(&err)?;
    let pw = params
        .passphrase
        .clone()
        .map(Password::from)
        .unwrap_or_else(Password::empty);

    // Replace the user id self-signature with one that carries our creation time and expiry.
    let mut config = SignatureConfig::v4(
        SignatureType::CertPositive,
        key.primary_key.algorithm(),
        HashAlgorithm::Sha256,
    );
    let mut flags = KeyFlags::default();
    flags.set_certify(true);
    flags.set_sign(true);
    let mut hashed = vec![
        SubpacketData::SignatureCreationTime(Timestamp::from_secs(params.created)),
        SubpacketData::IssuerFingerprint(key.primary_key.fingerprint()),
        SubpacketData::KeyFlags(flags),
        SubpacketData::PreferredHashAlgorithms(
            vec![HashAlgorithm::Sha512, HashAlgorithm::Sha256].into(),
        ),
        SubpacketData::IsPrimary(true),
    ];
    if let Some(secs) = params.expires_in {
        hashed.push(SubpacketData::KeyExpirationTime(Duration::from_secs(secs)));
    }
    config.hashed_subpackets = hashed
        .into_iter()
        .map(Subpacket::regular)
        .collect::<Result<_, _>>()
        .map_err(&err)?;
    config.unhashed_subpackets =
        vec![
            Subpacket::regular(SubpacketData::IssuerKeyId(key.primary_key.legacy_key_id()))
                .map_err(&err)?,
        ];
    let user = key.details.users[0].id.clone();
    let sig = config
        .sign_certification(
            &key.primary_key,
            key.primary_key.public_key(),
            &pw,
            Tag::UserId,
            &user,
        )
        .map_err(&err)?;
    key.details.users = vec![SignedUser::new(user, vec![sig])];
    key.verify_bindings().map_err(&err)?;

    let public = SignedPublicKey::from(key.clone());
    Ok(GeneratedKey {
        secret_armored: key
            .to_armored_string(ArmorOptions::default())
            .map_err(&err)?,
        public_armored: public
            .to_armored_string(ArmorOptions::default())
            .map_err(&err)?,
        fingerprint: hex::encode_upper(key.primary_key.fingerprint().as_bytes()),
    })
}

/// Where [`write_key_files`] puts the public key: `key.asc` → `key.pub.asc`.
pub fn public_key_path(secret: &Path) -> PathBuf {
    let name = secret
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".into());
    let stem = name.strip_suffix(".asc").unwrap_or(&name);
    secret.with_file_name(format!("{stem}.pub.asc"))
}

/// Write a generated key: the secret key to `secret` (mode 0600) and the public key next to it
/// ([`public_key_path`], 0644), each atomically. Refuses to replace an existing file unless
/// `force`. Returns the public key's path.
pub fn write_key_files(
    key: &GeneratedKey,
    secret: &Path,
    force: bool,
) -> Result<PathBuf, SignError> {
    let public = public_key_path(secret);
    for p in [secret, public.as_path()] {
        if !force && p.exists() {
            return Err(SignError::Exists {
                path: p.to_path_buf(),
            });
        }
    }
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SignError::Write { path, source }
    };
    // The secret key is 0600 from the moment it exists under its name.
    klts_forge::fsutil::atomic_write_secret(secret, key.secret_armored.as_bytes())
        .map_err(werr(secret))?;
    klts_forge::fsutil::atomic_write(&public, key.public_armored.as_bytes())
        .map_err(werr(&public))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(secret, std::fs::Permissions::from_mode(0o600))
            .map_err(werr(secret))?;
        std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o644))
            .map_err(werr(&public))?;
    }
    Ok(public)
}

/// Which component key signs.
#[derive(Debug, Clone, Copy)]
enum Signer {
    Primary,
    Subkey(usize),
}

/// A loaded, checked secret key ready to sign.
pub struct SigningKey {
    key: SignedSecretKey,
    signer: Signer,
    password: Password,
    path: PathBuf,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("fingerprint", &self.fingerprint())
            .field("path", &self.path)
            .finish()
    }
}

/// A unix time as the UTC day it falls on (`2025-03-01`), for messages people read.
fn utc_day(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    klts_core::lifecycle::Date::from_days(days).to_string()
}

/// Newest signature among `sigs` that `pred` accepts (by creation time).
fn newest(sigs: &[Signature], pred: impl Fn(&Signature) -> bool) -> Option<&Signature> {
    sigs.iter()
        .filter(|s| pred(s))
        .max_by_key(|s| s.created().map(|t| t.as_secs()).unwrap_or(0))
}

impl SigningKey {
    /// Read `path` (armored or binary); the passphrase comes from `passphrase`, which the CLI
    /// fills from [`PASSPHRASE_ENV`]. `now` is the time validity is checked at (unix seconds).
    pub fn load(path: &Path, passphrase: Option<&str>, now: u32) -> Result<Self, SignError> {
        let bytes = std::fs::read(path).map_err(|source| SignError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path, passphrase, now)
    }

    /// Like [`SigningKey::load`], from bytes; `path` is only used in messages.
    pub fn from_bytes(
        bytes: &[u8],
        path: &Path,
        passphrase: Option<&str>,
        now: u32,
    ) -> Result<Self, SignError> {
        let parse_err = |msg: String| SignError::Parse {
            path: path.to_path_buf(),
            msg,
        };
        let key = if bytes.starts_with(b"-----BEGIN")
            || bytes.trim_ascii_start().starts_with(b"-----BEGIN")
        {
            SignedSecretKey::from_armor_single(bytes)
                .map(|(k, _)| k)
                .map_err(|e| parse_err(e.to_string()))?
        } else {
            SignedSecretKey::from_bytes(bytes).map_err(|e| parse_err(e.to_string()))?
        };
        key.verify_bindings()
            .map_err(|e| parse_err(format!("its self-signatures do not verify: {e}")))?;
        let fingerprint = hex::encode_upper(key.primary_key.fingerprint().as_bytes());
        let path_buf = path.to_path_buf();
        if !key.details.revocation_signatures.is_empty() {
            return Err(SignError::Revoked {
                path: path_buf,
                fingerprint,
            });
        }
        // The primary key's self-signature: newest user id certification (or direct key sig).
        let all_user_sigs: Vec<Signature> = key
            .details
            .users
            .iter()
            .flat_map(|u| u.signatures.iter().cloned())
            .chain(key.details.direct_signatures.iter().cloned())
            .collect();
        let primary_fpr = key.primary_key.fingerprint();
        let self_sig = newest(&all_user_sigs, |s| {
            s.issuer_fingerprint().iter().any(|f| **f == primary_fpr)
                || s.issuer_key_id()
                    .iter()
                    .any(|k| **k == key.primary_key.legacy_key_id())
        });
        let created = key.primary_key.created_at().as_secs() as u64;
        if let Some(exp) = self_sig.and_then(|s| s.key_expiration_time()) {
            let expired = created + exp.as_secs() as u64;
            if exp.as_secs() > 0 && expired <= now as u64 {
                return Err(SignError::Expired {
                    path: path_buf,
                    fingerprint,
                    expired,
                });
            }
        }
        // Prefer the newest valid signing subkey, like GnuPG; else the primary if it signs.
        let mut signer = None;
        let mut best_time = 0u32;
        for (i, sub) in key.secret_subkeys.iter().enumerate() {
            let Some(binding) = newest(&sub.signatures, |_| true) else {
                continue;
            };
            if binding.typ() == Some(SignatureType::SubkeyRevocation) {
                continue;
            }
            if !binding.key_flags().sign() {
                continue;
            }
            let sub_created = sub.key.created_at().as_secs();
            if let Some(exp) = binding.key_expiration_time() {
                if exp.as_secs() > 0 && sub_created as u64 + exp.as_secs() as u64 <= now as u64 {
                    continue;
                }
            }
            if signer.is_none() || sub_created >= best_time {
                signer = Some(Signer::Subkey(i));
                best_time = sub_created;
            }
        }
        if signer.is_none() && self_sig.is_some_and(|s| s.key_flags().sign()) {
            signer = Some(Signer::Primary);
        }
        let Some(signer) = signer else {
            return Err(SignError::NoSigningKey {
                path: path_buf,
                fingerprint,
            });
        };
        let this = SigningKey {
            key,
            signer,
            password: passphrase
                .map(Password::from)
                .unwrap_or_else(Password::empty),
            path: path_buf,
        };
        // Probe: sign and verify, so a wrong passphrase fails here, before anything is written.
        let probe = this
            .detached_sig(b"klts probe", now)
            .map_err(|e| this.unusable(e))?;
        this.verify_detached(&probe, b"klts probe")
            .map_err(|e| this.unusable(e))?;
        Ok(this)
    }

    fn unusable(&self, e: SignError) -> SignError {
        let msg = match e {
            SignError::Sign { msg, .. } => msg,
            other => other.to_string(),
        };
        SignError::Unusable {
            path: self.path.clone(),
            fingerprint: self.fingerprint(),
            msg,
        }
    }

    /// The primary key's fingerprint (hex, upper case).
    pub fn fingerprint(&self) -> String {
        hex::encode_upper(self.key.primary_key.fingerprint().as_bytes())
    }

    /// The public key (certificate), armored.
    pub fn public_armored(&self) -> Result<String, SignError> {
        self.key
            .to_public_key()
            .to_armored_string(ArmorOptions::default())
            .map_err(pgp_err("the public key"))
    }

    /// The public key (certificate), binary: what apt's `signed-by` and `gpgv --keyring` read.
    pub fn public_binary(&self) -> Result<Vec<u8>, SignError> {
        self.key
            .to_public_key()
            .to_bytes()
            .map_err(pgp_err("the public key"))
    }

    /// The creation time of the key that makes the signatures.
    fn signer_created(&self) -> u32 {
        match self.signer {
            Signer::Primary => self.key.primary_key.created_at().as_secs(),
            Signer::Subkey(i) => self.key.secret_subkeys[i].key.created_at().as_secs(),
        }
    }

    /// The creation time a signature requested at `requested` gets: never before the signing
    /// key existed. GnuPG (gpgv, gpgme) reports a "Time conflict" and rpm-sequoia rejects a
    /// signature older than its key, which a `SOURCE_DATE_EPOCH` from an old commit would
    /// give. The one rule for every signature klts makes (apt, yum, rpm packages).
    pub fn signature_time_for(&self, requested: u32) -> u32 {
        requested.max(self.signer_created())
    }

    /// The public-key algorithm of the (sub)key that signs.
    pub fn signing_algorithm(&self) -> pgp::crypto::public_key::PublicKeyAlgorithm {
        match self.signer {
            Signer::Primary => self.key.primary_key.algorithm(),
            Signer::Subkey(i) => self.key.secret_subkeys[i].key.algorithm(),
        }
    }

    /// The clients among `clients` that cannot verify this key's signatures (see [`Client`]).
    pub fn unverifiable_by(&self, clients: &[Client]) -> Vec<Client> {
        use pgp::crypto::public_key::PublicKeyAlgorithm as A;
        let alg = self.signing_algorithm();
        clients
            .iter()
            .copied()
            .filter(|c| match alg {
                A::RSA | A::RSASign => false,
                A::DSA => matches!(c, Client::Rpm4Sequoia),
                // EdDSA: GnuPG 2.1+ (apt on Debian 9+/Ubuntu 18.04+, dnf) and rpm-sequoia only.
                A::EdDSALegacy | A::Ed25519 => {
                    matches!(c, Client::CentOs7 | Client::Ubuntu1604 | Client::El8El9)
                }
                _ => true,
            })
            .collect()
    }

    fn config(&self, typ: SignatureType, created: u32) -> Result<SignatureConfig, SignError> {
        let err = pgp_err("signature subpackets");
        let (alg, fpr, kid) = match self.signer {
            Signer::Primary => (
                self.key.primary_key.algorithm(),
                self.key.primary_key.fingerprint(),
                self.key.primary_key.legacy_key_id(),
            ),
            Signer::Subkey(i) => {
                let k = &self.key.secret_subkeys[i].key;
                (k.algorithm(), k.fingerprint(), k.legacy_key_id())
            }
        };
        let created = self.signature_time_for(created);
        let mut config = SignatureConfig::v4(typ, alg, HashAlgorithm::Sha256);
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::from_secs(
                created,
            )))
            .map_err(&err)?,
            Subpacket::regular(SubpacketData::IssuerFingerprint(fpr)).map_err(&err)?,
        ];
        config.unhashed_subpackets =
            vec![Subpacket::regular(SubpacketData::IssuerKeyId(kid)).map_err(&err)?];
        Ok(config)
    }

    fn detached_sig(&self, data: &[u8], created: u32) -> Result<Signature, SignError> {
        let config = self.config(SignatureType::Binary, created)?;
        let err = pgp_err("data");
        match self.signer {
            Signer::Primary => config.sign(&self.key.primary_key, &self.password, data),
            Signer::Subkey(i) => config.sign(&self.key.secret_subkeys[i].key, &self.password, data),
        }
        .map_err(err)
    }

    fn verify_detached(&self, sig: &Signature, data: &[u8]) -> Result<(), SignError> {
        let err = pgp_err("the probe signature (verify)");
        match self.signer {
            Signer::Primary => sig.verify(self.key.primary_key.public_key(), data),
            Signer::Subkey(i) => sig.verify(self.key.secret_subkeys[i].key.public_key(), data),
        }
        .map_err(err)
    }

    /// A detached, armored binary signature of `data` made at `created` (unix seconds).
    pub fn detached(&self, data: &[u8], created: u32) -> Result<String, SignError> {
        let sig = self.detached_sig(data, created)?;
        DetachedSignature::new(sig)
            .to_armored_string(ArmorOptions::default())
            .map_err(pgp_err("the signature (armor)"))
    }

    /// A detached binary signature of `data` made at `created`, as one binary OpenPGP
    /// signature packet (what an rpm header signature holds).
    pub fn detached_packet(&self, data: &[u8], created: u32) -> Result<Vec<u8>, SignError> {
        let sig = self.detached_sig(data, created)?;
        let mut out = Vec::new();
        pgp::packet::PacketTrait::to_writer_with_header(&sig, &mut out)
            .map_err(pgp_err("the signature packet"))?;
        Ok(out)
    }

    /// `text` wrapped in an OpenPGP cleartext signature (apt's `InRelease`).
    pub fn clearsign(&self, text: &str, created: u32) -> Result<String, SignError> {
        let config = self.config(SignatureType::Text, created)?;
        let err = pgp_err("the cleartext");
        let msg = match self.signer {
            Signer::Primary => {
                CleartextSignedMessage::new(text, config, &self.key.primary_key, &self.password)
            }
            Signer::Subkey(i) => CleartextSignedMessage::new(
                text,
                config,
                &self.key.secret_subkeys[i].key,
                &self.password,
            ),
        }
        .map_err(&err)?;
        msg.to_armored_string(ArmorOptions::default()).map_err(err)
    }
}

/// The fingerprint (hex, upper case) of an armored public key, e.g. a published `klts.asc`.
pub fn public_key_fingerprint(public_armored: &str) -> Result<String, SignError> {
    let (public, _) =
        SignedPublicKey::from_string(public_armored).map_err(pgp_err("the public key"))?;
    Ok(hex::encode_upper(
        public.primary_key.fingerprint().as_bytes(),
    ))
}

/// Verify an armored detached signature of `data` against an armored public key (for tests and
/// for checking a published repository).
pub fn verify_detached(
    public_armored: &str,
    sig_armored: &str,
    data: &[u8],
) -> Result<(), SignError> {
    let err = pgp_err("verification");
    let (public, _) = SignedPublicKey::from_string(public_armored).map_err(&err)?;
    let (sig, _) = DetachedSignature::from_string(sig_armored).map_err(&err)?;
    if sig.verify(&public.primary_key, data).is_ok() {
        return Ok(());
    }
    for sub in &public.public_subkeys {
        if sig.verify(&sub.key, data).is_ok() {
            return Ok(());
        }
    }
    Err(SignError::Sign {
        what: "verification".into(),
        msg: "no key of the certificate made this signature".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(expires_in: Option<u32>, created: u32) -> KeyParams {
        KeyParams {
            algorithm: KeyAlgorithm::Ed25519,
            name: "KLTS Test".into(),
            email: Some("test@example.com".into()),
            expires_in,
            created,
            passphrase: None,
        }
    }

    const NOW: u32 = 1_700_000_000;

    #[test]
    fn generated_key_loads_and_signs_deterministically() {
        let k = generate(&params(Some(86400 * 365), NOW - 10)).unwrap();
        assert!(k.secret_armored.contains("PRIVATE KEY BLOCK"));
        assert!(k.public_armored.contains("PUBLIC KEY BLOCK"));
        let key =
            SigningKey::from_bytes(k.secret_armored.as_bytes(), Path::new("k.asc"), None, NOW)
                .unwrap();
        assert_eq!(key.fingerprint(), k.fingerprint);
        let a = key.detached(b"hello", NOW).unwrap();
        let b = key.detached(b"hello", NOW).unwrap();
        assert_eq!(a, b, "EdDSA with a fixed time is deterministic");
        verify_detached(&k.public_armored, &a, b"hello").unwrap();
        assert!(verify_detached(&k.public_armored, &a, b"hellO").is_err());
        let other = generate(&params(None, NOW)).unwrap();
        assert!(verify_detached(&other.public_armored, &a, b"hello").is_err());
        let clear = key.clearsign("Origin: x\nSuite: y\n", NOW).unwrap();
        assert!(
            clear.starts_with(
                "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: x\nSuite: y\n"
            ),
            "{clear}"
        );
    }

    #[test]
    fn signatures_are_never_older_than_the_key() {
        let k = generate(&params(None, NOW)).unwrap();
        let key =
            SigningKey::from_bytes(k.secret_armored.as_bytes(), Path::new("k.asc"), None, NOW)
                .unwrap();
        let (sig, _) =
            DetachedSignature::from_string(&key.detached(b"x", NOW - 5000).unwrap()).unwrap();
        assert_eq!(sig.signature.created().unwrap().as_secs(), NOW);
        let (sig, _) =
            DetachedSignature::from_string(&key.detached(b"x", NOW + 7).unwrap()).unwrap();
        assert_eq!(sig.signature.created().unwrap().as_secs(), NOW + 7);
        assert_eq!(key.signature_time_for(NOW - 5000), NOW);
        // The binary packet (rpm headers) follows the same rule.
        let sig = DetachedSignature::from_bytes(&key.detached_packet(b"x", NOW - 1).unwrap()[..])
            .unwrap();
        assert_eq!(sig.signature.created().unwrap().as_secs(), NOW);
        assert_eq!(
            public_key_fingerprint(&k.public_armored).unwrap(),
            k.fingerprint
        );
        assert!(public_key_fingerprint("garbage").is_err());
    }

    #[test]
    fn expired_key_is_refused() {
        let k = generate(&params(Some(100), NOW - 1000)).unwrap();
        let e =
            SigningKey::from_bytes(k.secret_armored.as_bytes(), Path::new("old.asc"), None, NOW)
                .unwrap_err();
        assert!(matches!(e, SignError::Expired { .. }), "{e}");
        assert!(e.to_string().contains("old.asc"), "{e}");
        // The same key was fine before it expired.
        SigningKey::from_bytes(
            k.secret_armored.as_bytes(),
            Path::new("old.asc"),
            None,
            NOW - 950,
        )
        .unwrap();
    }

    #[test]
    fn public_key_and_garbage_are_refused() {
        let k = generate(&params(None, NOW)).unwrap();
        let e =
            SigningKey::from_bytes(k.public_armored.as_bytes(), Path::new("pub.asc"), None, NOW)
                .unwrap_err();
        assert!(matches!(e, SignError::Parse { .. }), "{e}");
        let e = SigningKey::from_bytes(b"not a key", Path::new("x"), None, NOW).unwrap_err();
        assert!(matches!(e, SignError::Parse { .. }), "{e}");
    }

    #[test]
    fn passphrase_protected_key_needs_the_passphrase() {
        let mut p = params(None, NOW);
        p.passphrase = Some("s3cret".into());
        let k = generate(&p).unwrap();
        let e = SigningKey::from_bytes(k.secret_armored.as_bytes(), Path::new("p.asc"), None, NOW)
            .unwrap_err();
        assert!(matches!(e, SignError::Unusable { .. }), "{e}");
        SigningKey::from_bytes(
            k.secret_armored.as_bytes(),
            Path::new("p.asc"),
            Some("s3cret"),
            NOW,
        )
        .unwrap();
    }

    #[test]
    fn key_files_are_private_and_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let k = generate(&params(None, NOW)).unwrap();
        let secret = tmp.path().join("key.asc");
        let public = write_key_files(&k, &secret, false).unwrap();
        assert_eq!(public, tmp.path().join("key.pub.asc"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(&public).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }
        let e = write_key_files(&k, &secret, false).unwrap_err();
        assert!(matches!(e, SignError::Exists { .. }), "{e}");
        write_key_files(&k, &secret, true).unwrap();
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), k.secret_armored);
    }

    #[test]
    fn expiry_parsing() {
        assert_eq!(parse_expiry("2y").unwrap(), Some(2 * 365 * 86400));
        assert_eq!(parse_expiry("90d").unwrap(), Some(90 * 86400));
        assert_eq!(parse_expiry("never").unwrap(), None);
        assert_eq!(parse_expiry("18mo").unwrap(), Some(18 * 30 * 86400));
        assert_eq!(parse_expiry("3600s").unwrap(), Some(3600));
        for bad in ["", "y", "2x", "-1d", "99999999999y", "0s"] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
        // `m` is minutes in klts: an expiry in minutes is refused, saying so.
        let e = parse_expiry("18m").unwrap_err().to_string();
        assert!(e.contains("`m` is minutes"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn loading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = SigningKey::from_bytes(&bytes, Path::new("fuzz"), None, NOW);
        }
    }
}
