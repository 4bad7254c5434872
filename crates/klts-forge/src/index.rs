//! A minimal reader and writer of git's index file (version 2), for the engine's tiny
//! temporary indexes: a handful of entries written before `git apply --cached` and read back
//! after it, without spawning `git update-index` and `git ls-files` for every commit.
//!
//! Only what those indexes hold is supported: stage-0 entries without extended flags. Anything
//! else (another version, extensions that matter, higher stages) makes [`read_index`] return
//! `None`, and the caller asks git instead.

use crate::odb::Oid;
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::path::Path;

/// Entries: path → (mode as written in trees, e.g. `100644`, object id).
pub type Entries = BTreeMap<Vec<u8>, (String, Oid)>;

/// Write `entries` as a version-2 index file.
pub fn write_index(path: &Path, entries: &Entries) -> std::io::Result<()> {
    let mut out = Vec::with_capacity(12 + entries.len() * 96);
    out.extend_from_slice(b"DIRC");
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    // BTreeMap<Vec<u8>, _> iterates in byte order, which is the index order for stage 0.
    for (name, (mode, oid)) in entries {
        let mode = u32::from_str_radix(mode, 8)
            .map_err(|_| std::io::Error::other(format!("bad mode {mode}")))?;
        let start = out.len();
        out.extend_from_slice(&[0u8; 24]); // ctime, mtime, dev, ino: unknown (git re-checks content)
        out.extend_from_slice(&mode.to_be_bytes());
        out.extend_from_slice(&[0u8; 12]); // uid, gid, size
        out.extend_from_slice(oid);
        let flags = name.len().min(0xFFF) as u16;
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(name);
        // NUL-pad to a multiple of 8 (at least one NUL).
        let len = out.len() - start;
        let padded = (len + 8) & !7;
        out.resize(start + padded, 0);
    }
    let digest = Sha1::digest(&out);
    out.extend_from_slice(&digest);
    std::fs::write(path, out)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Read a version-2 index of stage-0 entries; `None` for anything else.
pub fn read_index(path: &Path) -> Option<Entries> {
    let data = std::fs::read(path).ok()?;
    if data.len() < 32 || &data[..4] != b"DIRC" || be32(&data, 4)? != 2 {
        return None;
    }
    let (body, checksum) = data.split_at(data.len() - 20);
    if Sha1::digest(body).as_slice() != checksum {
        return None;
    }
    let count = be32(&data, 8)? as usize;
    let mut pos = 12;
    let mut out = Entries::new();
    for _ in 0..count {
        let mode = be32(body, pos + 24)?;
        let oid: Oid = body.get(pos + 40..pos + 60)?.try_into().ok()?;
        let flags = u16::from_be_bytes(body.get(pos + 60..pos + 62)?.try_into().ok()?);
        if flags & 0x4000 != 0 || (flags >> 12) & 0x3 != 0 {
            return None; // extended flags (v3) or a conflict stage
        }
        let name_start = pos + 62;
        let nul = body.get(name_start..)?.iter().position(|&b| b == 0)?;
        let name = body[name_start..name_start + nul].to_vec();
        let len = 62 + nul;
        pos += (len + 8) & !7;
        out.insert(name, (format!("{mode:o}"), oid));
    }
    // Extensions (such as a cache tree) may follow; none of them changes the entries.
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_git_reads_it() {
        let d = tempfile::tempdir().unwrap();
        let mut e = Entries::new();
        e.insert(b"a/b.go".to_vec(), ("100644".into(), [1; 20]));
        e.insert(b"run.sh".to_vec(), ("100755".into(), [2; 20]));
        e.insert(b"link".to_vec(), ("120000".into(), [3; 20]));
        e.insert(b"x".repeat(70), ("100644".into(), [4; 20]));
        let p = d.path().join("index");
        write_index(&p, &e).unwrap();
        assert_eq!(read_index(&p), Some(e));
        // git itself accepts the file.
        let repo = d.path().join("r.git");
        let ok = std::process::Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&repo)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&repo)
            .args(["ls-files", "-s"])
            .env("GIT_INDEX_FILE", &p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("100755 0202020202020202020202020202020202020202 0\trun.sh"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 4);
    }

    #[test]
    fn rejects_garbage() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("index");
        std::fs::write(&p, b"DIRC\0\0\0\x02garbage-garbage-garbage-garbage").unwrap();
        assert_eq!(read_index(&p), None);
    }
}
