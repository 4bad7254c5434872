//! The lock file (`klts.lock`): sha256 pins of every downloaded patch source.
//!
//! A URL such as `https://github.com/kubernetes/kubernetes/pull/101327.patch` is not content-
//! addressed: the server may change what it returns. `klts lock` downloads each URL once and
//! records the sha256 of the bytes; `klts verify` refuses any download whose bytes differ from
//! their pin, naming the URL and both hashes. The file is TOML, sorted by URL, so that it diffs
//! well in review and is byte-identical for the same pins.

use crate::fsutil::atomic_write;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File name of the lock file in the workspace root.
pub const LOCK_FILE: &str = "klts.lock";

/// Pins by URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lock {
    /// URL → hex sha256 of its content.
    pub pins: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct LockFile {
    version: u32,
    #[serde(default, rename = "pin")]
    pins: Vec<Pin>,
}

#[derive(Serialize, Deserialize)]
struct Pin {
    url: String,
    sha256: String,
}

/// A lock file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// I/O error reading or writing.
    #[error("{}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not a valid lock file.
    #[error("{}: invalid lock file: {message}\n  help: fix the file or delete it and run `klts lock` again", path.display())]
    Invalid {
        /// The lock file.
        path: PathBuf,
        /// What is wrong (with line and column from the TOML parser).
        message: String,
    },
}

impl Lock {
    /// Read `path`; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<Lock, LockError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Lock::default()),
            Err(source) => {
                return Err(LockError::Io {
                    path: path.into(),
                    source,
                })
            }
        };
        Lock::parse(&text, path)
    }

    /// Parse lock-file text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Lock, LockError> {
        let invalid = |message: String| LockError::Invalid {
            path: path.into(),
            message,
        };
        let file: LockFile =
            toml::from_str(text).map_err(|e| invalid(e.to_string().trim().to_string()))?;
        if file.version != 1 {
            return Err(invalid(format!(
                "unsupported version {} (this klts reads version 1)",
                file.version
            )));
        }
        let mut pins = BTreeMap::new();
        for pin in file.pins {
            if pin.sha256.len() != 64 || !pin.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(format!(
                    "pin for {} is not a hex sha256: `{}`",
                    pin.url, pin.sha256
                )));
            }
            if pins
                .insert(pin.url.clone(), pin.sha256.to_ascii_lowercase())
                .is_some()
            {
                return Err(invalid(format!("{} is pinned twice", pin.url)));
            }
        }
        Ok(Lock { pins })
    }

    /// The canonical text of the lock file.
    pub fn render(&self) -> String {
        let file = LockFile {
            version: 1,
            pins: self
                .pins
                .iter()
                .map(|(url, sha256)| Pin {
                    url: url.clone(),
                    sha256: sha256.clone(),
                })
                .collect(),
        };
        let body = toml::to_string(&file).unwrap_or_default();
        format!("# Written by `klts lock`: sha256 pins of downloaded patch sources.\n# Review changes like code; regenerate with `klts lock --update`.\n{body}")
    }

    /// Write atomically.
    pub fn save(&self, path: &Path) -> Result<(), LockError> {
        atomic_write(path, self.render().as_bytes()).map_err(|source| LockError::Io {
            path: path.into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sorted() {
        let mut l = Lock::default();
        l.pins.insert("https://b/2.patch".into(), "b".repeat(64));
        l.pins.insert("https://a/1.patch".into(), "a".repeat(64));
        let text = l.render();
        assert!(text.find("https://a").unwrap() < text.find("https://b").unwrap());
        assert_eq!(Lock::parse(&text, Path::new("klts.lock")).unwrap(), l);
    }

    #[test]
    fn rejects_bad_pins_with_position() {
        let err = Lock::parse(
            "version = 1\n[[pin]]\nurl = \"u\"\nsha256 = \"zz\"\n",
            Path::new("klts.lock"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("not a hex sha256"), "{err}");
        let err = Lock::parse("version = 1\n[[pin]\n", Path::new("klts.lock")).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = Lock::parse("version = 2\n", Path::new("klts.lock")).unwrap_err();
        assert!(err.to_string().contains("unsupported version"), "{err}");
    }

    #[test]
    fn missing_file_is_empty() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            Lock::load(&d.path().join("klts.lock")).unwrap(),
            Lock::default()
        );
    }
}
