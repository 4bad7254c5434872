//! `klts fmt`: patch files in one canonical form, so that two maintainers (or two git
//! versions) exporting the same commits produce the same bytes, and diffs of `patches/` show
//! only real changes.
//!
//! **What changes, precisely** (per message of the mbox, see [`canonical`]):
//!
//! 1. `Subject: [PATCH n/m] …` becomes `Subject: [PATCH] …` (numbering depends on how many
//!    commits were exported together, not on the commit).
//! 2. `index <old>..<new>[ <mode>]` lines of text diffs: object ids longer than
//!    [`INDEX_ABBREV`] hex digits are cut to that length (`--full-index`, or a git whose
//!    automatic abbreviation is longer). Shorter ids are kept: lengthening them needs the
//!    objects. The lines are kept, not dropped: the `git am -3` fallback (and the engine's)
//!    finds the blobs the patch was made from through them, and 12 digits name one object in
//!    a Kubernetes-sized repository. Index lines of binary diffs are never touched: `git apply`
//!    requires full ids for a binary patch.
//! 3. The signature after the last hunk (`-- ` and the git version, `2.39.2`) is removed.
//!
//! Nothing else is touched: the `From <sha>` line, every other header, the commit message, the
//! diffstat and every byte of every hunk are kept as they are (whitespace included; a CR stays
//! a CR). A message fmt cannot read with certainty (a hunk whose line counts do not add up) is
//! kept whole; `klts lint` reports such files.
//!
//! **Why commits do not change.** The engine (like `git am`) builds each commit from what
//! `git mailinfo` extracts — author, e-mail, date, subject with any leading `[…]` removed, and
//! the message — and from the tree `git apply` produces. Rule 1 changes only the bracketed
//! prefix mailinfo removes; rules 2 and 3 are in the diff part, where `git apply` ignores the
//! index line (text diffs) and anything after the last hunk. So a formatted file materializes
//! to the same commit ids; the step cache, keyed by the file's bytes, recomputes each
//! formatted step once. Tests prove the identity with `klts verify`, 3-way fallback included.
//!
//! The manifest is never touched. Formatting twice is formatting once.

use crate::fsutil::atomic_write;
use crate::{ForgeError, Workspace};
use std::path::{Path, PathBuf};

/// Length object ids on `index` lines are cut to.
pub const INDEX_ABBREV: usize = 12;

/// The canonical form of a patch file (see the module doc). Input that is not an mbox of
/// messages comes back unchanged.
pub fn canonical(bytes: &[u8]) -> Vec<u8> {
    let messages = crate::mbox::split(bytes);
    if messages.is_empty() {
        return bytes.to_vec();
    }
    // Keep what comes before the first message as it is (split only drops whitespace-only
    // chunks, which `git mailsplit` ignores too).
    let first = messages[0].raw.as_ptr() as usize - bytes.as_ptr() as usize;
    let mut out = bytes[..first].to_vec();
    for m in &messages {
        out.extend(canonical_message(m.raw));
    }
    out
}

fn canonical_message(raw: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = raw.split_inclusive(|&b| b == b'\n').collect();
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(lines.len());
    let mut i = 0;
    // The header block, up to the first empty line.
    while i < lines.len() {
        let l = lines[i];
        i += 1;
        out.push(subject_without_numbering(l).unwrap_or_else(|| l.to_vec()));
        if trim_eol(l).is_empty() {
            break;
        }
    }
    // The message, up to where `git mailinfo` starts the patch.
    while i < lines.len() && !is_patch_start(lines[i]) {
        out.push(lines[i].to_vec());
        i += 1;
    }
    // The patch: count hunk lines so that a `-- ` hunk line is never taken for a signature.
    let mut old_left = 0u64;
    let mut new_left = 0u64;
    // Whether the current `diff --git` block is binary (its index line must stay full).
    let mut block_binary = false;
    // Whether we are in a block's header (before its first hunk or binary data).
    let mut in_block_header = false;
    while i < lines.len() {
        let l = lines[i];
        if old_left > 0 || new_left > 0 {
            match l.first() {
                Some(b' ') | Some(b'\n') => {
                    old_left = old_left.saturating_sub(1);
                    new_left = new_left.saturating_sub(1);
                }
                Some(b'-') if old_left > 0 => old_left -= 1,
                Some(b'+') if new_left > 0 => new_left -= 1,
                Some(b'\\') => {}
                // The counts do not add up: not sure what this is, keep the message whole.
                _ => return raw.to_vec(),
            }
            out.push(l.to_vec());
            i += 1;
            continue;
        }
        if l.starts_with(b"diff --git ") {
            block_binary = block_is_binary(&lines[i + 1..]);
            in_block_header = true;
        } else if let Some((o, n)) = hunk_counts(l) {
            old_left = o;
            new_left = n;
            in_block_header = false;
        } else if l.starts_with(b"GIT binary patch") {
            in_block_header = false;
        } else if trim_eol(l) == b"-- " && is_signature(&lines[i + 1..]) {
            break;
        } else if in_block_header && !block_binary && l.starts_with(b"index ") {
            out.push(short_index(l).unwrap_or_else(|| l.to_vec()));
            i += 1;
            continue;
        }
        out.push(l.to_vec());
        i += 1;
    }
    if old_left > 0 || new_left > 0 {
        // A hunk shorter than its header says: keep the message whole.
        return raw.to_vec();
    }
    out.concat()
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// `Subject: [PATCH 3/7] x` → `Subject: [PATCH] x`.
fn subject_without_numbering(l: &[u8]) -> Option<Vec<u8>> {
    let rest = l.strip_prefix(b"Subject: [PATCH ")?;
    let close = rest.iter().position(|&b| b == b']')?;
    let (n, m) = std::str::from_utf8(&rest[..close]).ok()?.split_once('/')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(n) || !digits(m) {
        return None;
    }
    let mut out = b"Subject: [PATCH]".to_vec();
    out.extend_from_slice(&rest[close + 1..]);
    Some(out)
}

/// Where `git mailinfo` ends the commit message and starts the patch.
fn is_patch_start(l: &[u8]) -> bool {
    let t = trim_eol(l);
    (t.starts_with(b"---") && t[3..].iter().all(|b| b.is_ascii_whitespace()))
        || t.starts_with(b"diff -")
        || t.starts_with(b"Index: ")
}

/// `@@ -a[,b] +c[,d] @@…` → (b, d), the line counts (default 1).
fn hunk_counts(l: &[u8]) -> Option<(u64, u64)> {
    let s = std::str::from_utf8(l.strip_prefix(b"@@ -")?).ok()?;
    let (ranges, _) = s.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let count = |r: &str| -> Option<u64> {
        match r.split_once(',') {
            Some((start, n)) => {
                start.parse::<u64>().ok()?;
                n.parse().ok()
            }
            None => r.parse::<u64>().ok().map(|_| 1),
        }
    };
    Some((count(old)?, count(new)?))
}

/// Whether the `diff --git` block starting after `rest[..]` carries binary data.
fn block_is_binary(rest: &[&[u8]]) -> bool {
    rest.iter()
        .take_while(|l| !l.starts_with(b"diff --git ") && !l.starts_with(b"@@ "))
        .any(|l| l.starts_with(b"GIT binary patch") || l.starts_with(b"Binary files "))
}

/// Whether what follows a `-- ` line (outside any hunk) is a signature: no further diff.
fn is_signature(rest: &[&[u8]]) -> bool {
    rest.iter()
        .all(|l| !l.starts_with(b"diff --git ") && hunk_counts(l).is_none())
}

/// `index <a>..<b>[ mode]` with ids cut to [`INDEX_ABBREV`]; `None` when the line is not of
/// that shape (it is then kept).
fn short_index(l: &[u8]) -> Option<Vec<u8>> {
    let body = trim_eol(l);
    let eol = &l[body.len()..];
    let s = std::str::from_utf8(body.strip_prefix(b"index ")?).ok()?;
    let (ids, mode) = match s.split_once(' ') {
        Some((ids, mode)) => (ids, Some(mode)),
        None => (s, None),
    };
    let (a, b) = ids.split_once("..")?;
    let hex = |x: &str| x.len() >= 4 && x.bytes().all(|c| c.is_ascii_hexdigit());
    if !hex(a) || !hex(b) {
        return None;
    }
    let cut = |x: &str| x[..x.len().min(INDEX_ABBREV)].to_string();
    let mut out = format!("index {}..{}", cut(a), cut(b));
    if let Some(m) = mode {
        out.push(' ');
        out.push_str(m);
    }
    let mut out = out.into_bytes();
    out.extend_from_slice(eol);
    Some(out)
}

/// One patch file `klts fmt` looked at.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FmtFile {
    /// Workspace-relative path.
    pub path: PathBuf,
    /// Whether its canonical form differs from its bytes.
    pub changed: bool,
    /// Why it was left alone (not a `git format-patch` file).
    pub skipped: Option<String>,
    #[serde(skip)]
    canonical: Vec<u8>,
}

/// Every `*.patch` file under `patches/` (symlinks are not followed: `klts lint` reports
/// them), sorted, with its canonical form.
pub fn scan(ws: &Workspace) -> Result<Vec<FmtFile>, ForgeError> {
    let dir = ws.root.join("patches");
    let mut found = Vec::new();
    if dir.is_dir() {
        walk(&dir, &mut found)?;
    }
    found.sort();
    let mut out = Vec::new();
    for full in found {
        let bytes = std::fs::read(&full).map_err(|e| ForgeError::io(&full, e))?;
        let path = full
            .strip_prefix(&ws.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| full.clone());
        if let Err(why) = crate::mbox::check(&bytes) {
            out.push(FmtFile {
                path,
                changed: false,
                skipped: Some(why),
                canonical: Vec::new(),
            });
            continue;
        }
        let canonical = canonical(&bytes);
        out.push(FmtFile {
            path,
            changed: canonical != bytes,
            skipped: None,
            canonical,
        });
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ForgeError> {
    for entry in std::fs::read_dir(dir).map_err(|e| ForgeError::io(dir, e))? {
        let entry = entry.map_err(|e| ForgeError::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| ForgeError::io(&path, e))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "patch") {
            out.push(path);
        }
    }
    Ok(())
}

/// Write the canonical form of every changed file, each atomically.
pub fn write(ws: &Workspace, files: &[FmtFile]) -> Result<(), ForgeError> {
    for f in files.iter().filter(|f| f.changed) {
        let full = ws.root.join(&f.path);
        atomic_write(&full, &f.canonical).map_err(|e| ForgeError::io(&full, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MSG: &str = "From 0e5760a6f6ec0afb0398572477457495770fe61e Mon Sep 17 00:00:00 2001\nFrom: x <x@y>\nDate: Tue, 1 Dec 2026 16:20:42 +0000\nSubject: [PATCH 1/2] two\n\nBody with index 0123456789abcdef0123 in it.\n---\n a | 1 +\n\ndiff --git a/a b/a\nindex 78981922613b2afb6025042ff6bd878ac1994e85..422c2b7ab3b3c1b8e2b2f0b8a4e4e9a8d0c1c2d3 100644\n--- a/a\n+++ b/a\n@@ -1,2 +1,3 @@\n-- \n+b\n+-- \n index abcdef0123456789abcdef\n-- \n2.47.3\n\n";

    #[test]
    fn the_three_rules_and_nothing_else() {
        let got = String::from_utf8(canonical(MSG.as_bytes())).unwrap();
        let want = MSG
            .replace("[PATCH 1/2]", "[PATCH]")
            .replace(
                "index 78981922613b2afb6025042ff6bd878ac1994e85..422c2b7ab3b3c1b8e2b2f0b8a4e4e9a8d0c1c2d3 100644",
                "index 78981922613b..422c2b7ab3b3 100644",
            )
            .replace(" index abcdef0123456789abcdef\n-- \n2.47.3\n\n", " index abcdef0123456789abcdef\n");
        assert_eq!(got, want);
        // Hunk lines that look like a signature or an index line are hunk lines.
        assert!(got.contains("@@ -1,2 +1,3 @@\n-- \n+b\n+-- \n index abcdef0123456789abcdef\n"));
        assert_eq!(canonical(got.as_bytes()), got.as_bytes());
    }

    #[test]
    fn binary_index_lines_and_broken_hunks_are_kept() {
        let bin = "From 1 Mon Sep 17 00:00:00 2001\nFrom: x <x@y>\nSubject: [PATCH] b\n\n---\ndiff --git a/bin b/bin\nnew file mode 100644\nindex 0000000000000000000000000000000000000000..88768efdf77ec78c9a995f94881793be6a41752b\nGIT binary patch\nliteral 5\nMcmZQzOv=my00M6TI{*Lx\n\nliteral 0\nHcmV?d00001\n\n-- \n2.1\n\n";
        let got = String::from_utf8(canonical(bin.as_bytes())).unwrap();
        assert_eq!(got, bin.replace("-- \n2.1\n\n", ""));
        // A hunk shorter than its header: the message is kept whole.
        let broken = "From: x <x@y>\nSubject: [PATCH 1/1] b\n\n---\ndiff --git a/a b/a\nindex 1234567890abcdef..1234567890abcdef 100644\n--- a/a\n+++ b/a\n@@ -1,3 +1,3 @@\n a\n-- \n2.1\n";
        assert_eq!(canonical(broken.as_bytes()), broken.as_bytes());
    }

    proptest! {
        /// Formatting twice is formatting once, whatever the lines.
        #[test]
        fn idempotent(parts in proptest::collection::vec(prop_oneof![
            Just("From 1 Mon Sep 17 00:00:00 2001\n"), Just("From: x <x@y>\n"),
            Just("Subject: [PATCH 2/3] s\n"), Just("\n"), Just("---\n"),
            Just("diff --git a/a b/a\n"), Just("index 0123456789abcdef0..fedcba9876543210f 100644\n"),
            Just("--- a/a\n"), Just("+++ b/a\n"), Just("@@ -1,2 +1,2 @@\n"), Just("@@ -1 +1 @@\n"),
            Just(" ctx\n"), Just("-old\n"), Just("+new\n"), Just("-- \n"), Just("2.40.1\n"),
            Just("GIT binary patch\n"), Just("\\ No newline at end of file\n"),
        ], 0..40)) {
            let text = parts.concat();
            let once = canonical(text.as_bytes());
            prop_assert_eq!(canonical(&once), once);
        }
    }
}
