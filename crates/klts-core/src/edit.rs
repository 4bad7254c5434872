//! Comment-preserving edits of `releases.yml`: the one owner of "add a release to the manifest".
//!
//! `klts backport --write` and `klts release new` add releases. A YAML library would lose what
//! maintainers rely on — comments, key order, blank lines between entries, flow or block style —
//! so the manifest is edited as **text**: the new entry is inserted as whole lines right before
//! the entry of the release it follows (the previous newest release of its line), in the style
//! of that entry (block `- name: …` with the same indentation, the same `patches:` form, a blank
//! line after it when entries are separated by blank lines; or one flow mapping `- {name: …}`).
//! A comment directly above that entry stays where it is, above the new entry: such comments
//! usually head a group of releases (`# 1.17 line`).
//!
//! Every byte outside the inserted lines is kept. The result is re-parsed with
//! [`Manifest::parse`] and checked to hold exactly the old releases plus the new ones before
//! anything is returned; writing it (atomically) is the caller's job, since this crate does no
//! writes.

use crate::manifest::{Manifest, ManifestError, Release};
use crate::names::{self, NameKind};
use crate::version::{MinorLine, Version};
use std::path::Path;

/// A release to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRelease {
    /// Its name (`v1.17.17-lts.4`).
    pub name: String,
    /// `base_release`: the release it follows.
    pub base_release: String,
    /// `must`.
    pub must: bool,
    /// Its patches.
    pub patches: Vec<String>,
}

/// Lines inserted into the old text: `text` goes before 0-based line `line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insertion {
    /// The 0-based line of the old text the insertion goes before.
    pub line: usize,
    /// The inserted lines, each ending in `\n`.
    pub text: String,
}

/// The edited manifest.
#[derive(Clone, Debug)]
pub struct Edited {
    /// The new text.
    pub text: String,
    /// What was inserted where (for [`unified_diff`]).
    pub insertions: Vec<Insertion>,
}

/// Why the manifest cannot be edited.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The manifest does not parse (before or, which would be a bug, after the edit).
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A name does not pass the name rule.
    #[error(transparent)]
    Name(#[from] names::NameError),
    /// A release of that name exists already.
    #[error("{}: release `{name}` already exists (line {line})\n  help: choose another name, or remove the existing entry first", path.display())]
    Exists {
        /// The manifest.
        path: std::path::PathBuf,
        /// The release.
        name: String,
        /// Where it is defined.
        line: usize,
    },
    /// The release to insert before is not in the manifest.
    #[error("{}: no release `{name}` to add a release after", path.display())]
    NoAnchor {
        /// The manifest.
        path: std::path::PathBuf,
        /// The release.
        name: String,
    },
    /// The entry is laid out in a way the text edit does not recognise.
    #[error("{}:{line}: the entry of `{name}` is not laid out as `- name: …` or `- {{name: …}}`, so klts cannot add a release beside it without rewriting the file\n  help: add the release by hand, or rewrite that entry as `- name: {name}`", path.display())]
    Layout {
        /// The manifest.
        path: std::path::PathBuf,
        /// The anchor release.
        name: String,
        /// Its line.
        line: usize,
    },
    /// The edited text did not re-parse to the expected releases (a bug in the edit; nothing
    /// was written).
    #[error("{}: the edited manifest does not check out ({why}); nothing was written\n  help: add the release by hand and report this", path.display())]
    Check {
        /// The manifest.
        path: std::path::PathBuf,
        /// What differs.
        why: String,
    },
}

/// The newest release of `line` in the manifest (by the LTS ordering), whatever its `must`.
/// Releases whose names are not versions belong to no line.
pub fn newest_release(m: &Manifest, line: MinorLine) -> Option<(&Release, Version)> {
    m.releases
        .iter()
        .filter_map(|r| Version::parse(&r.name.value).ok().map(|v| (r, v)))
        .filter(|(_, v)| v.line() == line)
        .max_by(|a, b| a.1.cmp(&b.1))
}

/// The release after `prev` on the same x.y.z: `-lts.N` → `-lts.N+1`; anything else
/// (`-ci`, a plain tag, a vendor suffix) → `-lts.1`.
pub fn next_lts(prev: &Version) -> Version {
    let n = prev.lts_number().map_or(1, |n| n.saturating_add(1));
    // A version with a valid `lts.N` suffix always parses.
    Version::parse(&format!("{}-lts.{n}", prev.base())).unwrap_or_else(|_| prev.base())
}

/// Every minor line of the manifest's releases, ascending; with `must_only`, only the lines of
/// `must: true` releases (the maintained lines).
pub fn lines(m: &Manifest, must_only: bool) -> Vec<MinorLine> {
    let mut out: Vec<MinorLine> = m
        .releases
        .iter()
        .filter(|r| r.must || !must_only)
        .filter_map(|r| Version::parse(&r.name.value).ok())
        .map(|v| v.line())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Add each `(anchor, release)`: the release goes right before the entry of release `anchor`.
/// Names are checked against the name rule, and the result is re-parsed and compared.
pub fn add_releases(
    source: &str,
    path: &Path,
    adds: &[(String, NewRelease)],
) -> Result<Edited, EditError> {
    let m = Manifest::parse(source, path)?;
    let old_lines: Vec<&str> = source.split_inclusive('\n').collect();
    let mut insertions = Vec::new();
    for (anchor, new) in adds {
        names::check(NameKind::Release, &new.name)?;
        names::check(NameKind::UpstreamRef, &new.base_release)?;
        for p in &new.patches {
            names::check(NameKind::Patch, p)?;
        }
        if let Some(r) = m.release(&new.name) {
            return Err(EditError::Exists {
                path: path.to_path_buf(),
                name: new.name.clone(),
                line: r.name.loc.line,
            });
        }
        if adds.iter().filter(|(_, n)| n.name == new.name).count() > 1 {
            return Err(EditError::Exists {
                path: path.to_path_buf(),
                name: new.name.clone(),
                line: 0,
            });
        }
        let a = m.release(anchor).ok_or_else(|| EditError::NoAnchor {
            path: path.to_path_buf(),
            name: anchor.clone(),
        })?;
        insertions.push(entry_before(&old_lines, path, a, new)?);
    }
    insertions.sort_by_key(|i| i.line);
    let text = apply(&old_lines, &insertions);
    // The check: the new text parses, and holds the old releases, unchanged, plus the new ones.
    let new_m = Manifest::parse(&text, path)?;
    let check = |why: String| EditError::Check {
        path: path.to_path_buf(),
        why,
    };
    for (_, new) in adds {
        let r = new_m
            .release(&new.name)
            .ok_or_else(|| check(format!("`{}` is missing", new.name)))?;
        let patches: Vec<&str> = r.patches.iter().map(|p| p.value.as_str()).collect();
        if r.base_release.value != new.base_release || r.must != new.must || patches != new.patches
        {
            return Err(check(format!(
                "`{}` did not come out as intended",
                new.name
            )));
        }
    }
    if new_m.releases.len() != m.releases.len() + adds.len()
        || m.releases.iter().any(|old| {
            new_m.release(&old.name.value).is_none_or(|n| {
                n.base_release.value != old.base_release.value
                    || n.must != old.must
                    || n.patches
                        .iter()
                        .map(|p| &p.value)
                        .ne(old.patches.iter().map(|p| &p.value))
            })
        })
        || new_m.patches.len() != m.patches.len()
        || new_m.base.value != m.base.value
    {
        return Err(check("an existing entry changed".into()));
    }
    Ok(Edited { text, insertions })
}

fn apply(old_lines: &[&str], insertions: &[Insertion]) -> String {
    let mut out = String::new();
    let mut next = insertions.iter().peekable();
    for (i, line) in old_lines.iter().enumerate() {
        while let Some(ins) = next.next_if(|ins| ins.line == i) {
            out.push_str(&ins.text);
        }
        out.push_str(line);
    }
    for ins in next {
        out.push_str(&ins.text);
    }
    out
}

/// The lines of a new entry in the style of `anchor`'s entry, to go before it.
fn entry_before(
    lines: &[&str],
    path: &Path,
    anchor: &Release,
    new: &NewRelease,
) -> Result<Insertion, EditError> {
    let layout = || EditError::Layout {
        path: path.to_path_buf(),
        name: anchor.name.value.clone(),
        line: anchor.loc.line,
    };
    let idx = anchor.loc.line.checked_sub(1).ok_or_else(layout)?;
    let first = lines.get(idx).ok_or_else(layout)?;
    let col = anchor.loc.col.saturating_sub(1);
    let prefix: String = first.chars().take(col).collect();
    let rest: String = first.chars().skip(col).collect();
    // The prefix must be `<spaces>- ` (a sequence item on the entry's own line).
    let dash = prefix.trim_end();
    if !(dash.ends_with('-') && dash[..dash.len() - 1].chars().all(|c| c == ' ')) {
        return Err(layout());
    }
    let le = if first.ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut text = String::new();
    if rest.starts_with('{') {
        let patches = new.patches.join(", ");
        text.push_str(&format!(
            "{prefix}{{name: {}, base_release: {}, must: {}, patches: [{patches}]}}{le}",
            new.name, new.base_release, new.must
        ));
    } else {
        let key_indent = " ".repeat(col);
        // The `patches:` form of the anchor entry: flow (`patches: [a]`, `patches: []`) or a
        // block list with its own item indentation.
        let mut flow = false;
        let mut item_indent = format!("{key_indent}  ");
        let own = |l: &str| {
            l.starts_with(&key_indent) && !l[key_indent.len()..].starts_with([' ', '-', '#'])
        };
        for (k, l) in lines.iter().enumerate().skip(idx) {
            let body = if k == idx {
                rest.as_str()
            } else if own(l) {
                &l[key_indent.len()..]
            } else if l.trim().is_empty()
                || l.trim_start().starts_with('#')
                || l.len() - l.trim_start().len() > col
            {
                // Blank lines, comments and deeper lines (list items, values) of the entry.
                continue;
            } else {
                break;
            };
            if k > idx && body.starts_with("name:") {
                break;
            }
            if let Some(after) = body.strip_prefix("patches:") {
                let after = after.trim();
                if !after.is_empty() && !after.starts_with('#') {
                    flow = true;
                } else if let Some(item) = lines[k + 1..].iter().find(|l| !l.trim().is_empty()) {
                    let ind = item.len() - item.trim_start().len();
                    if item.trim_start().starts_with("- ") && ind >= col {
                        item_indent = " ".repeat(ind);
                    }
                }
                break;
            }
        }
        text.push_str(&format!("{prefix}name: {}{le}", new.name));
        text.push_str(&format!(
            "{key_indent}base_release: {}{le}",
            new.base_release
        ));
        text.push_str(&format!("{key_indent}must: {}{le}", new.must));
        if flow || new.patches.is_empty() {
            text.push_str(&format!(
                "{key_indent}patches: [{}]{le}",
                new.patches.join(", ")
            ));
        } else {
            text.push_str(&format!("{key_indent}patches:{le}"));
            for p in &new.patches {
                text.push_str(&format!("{item_indent}- {p}{le}"));
            }
        }
    }
    // Entries separated by blank lines stay separated (looking past comments above the
    // anchor, which stay above the new entry).
    let above = lines[..idx]
        .iter()
        .rev()
        .find(|l| !l.trim_start().starts_with('#'));
    if above.is_some_and(|l| l.trim().is_empty()) {
        text.push_str(le);
    }
    Ok(Insertion { line: idx, text })
}

/// A unified diff (3 lines of context) of `old` with `insertions`, as `diff -u` prints it.
pub fn unified_diff(old: &str, insertions: &[Insertion], label: &str) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let mut out = format!("--- a/{label}\n+++ b/{label}\n");
    let mut added_before = 0usize;
    let mut k = 0;
    while k < insertions.len() {
        // Group insertions whose context overlaps into one hunk.
        let start = insertions[k].line.saturating_sub(3);
        let mut end = (insertions[k].line + 3).min(old_lines.len());
        let mut group = vec![&insertions[k]];
        while k + 1 < insertions.len() && insertions[k + 1].line.saturating_sub(3) <= end {
            k += 1;
            end = (insertions[k].line + 3).min(old_lines.len());
            group.push(&insertions[k]);
        }
        k += 1;
        let added: usize = group.iter().map(|i| i.text.lines().count()).sum();
        let old_len = end - start;
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            start + usize::from(old_len > 0),
            old_len,
            start + added_before + 1,
            old_len + added
        ));
        let mut gi = group.iter().peekable();
        for (i, line) in old_lines.iter().enumerate().take(end).skip(start) {
            while let Some(ins) = gi.next_if(|ins| ins.line == i) {
                for l in ins.text.lines() {
                    out.push_str(&format!("+{l}\n"));
                }
            }
            out.push(' ');
            out.push_str(line.trim_end_matches(['\n', '\r']));
            out.push('\n');
        }
        for ins in gi {
            for l in ins.text.lines() {
                out.push_str(&format!("+{l}\n"));
            }
        }
        added_before += added;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "base: x  # upstream\n\nreleases:\n\n  # 1.17 line\n  - name: v1.17.17-lts.3\n    base_release: v1.17.17-ci   # keep\n    must: true\n    patches:\n      - CVE-1\n\n  - name: v1.17.17-ci\n    base_release: v1.17.17\n    patches: []\n\n  - {name: v1.16.15-lts.1, base_release: v1.16.15, patches: [a, b]}\n\npatches:\n  - name: CVE-1\n    patch: [patches/x.patch]\n";

    fn new(name: &str, base: &str, patches: &[&str]) -> NewRelease {
        NewRelease {
            name: name.into(),
            base_release: base.into(),
            must: true,
            patches: patches.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn block_entry_is_inserted_in_the_anchor_style_and_everything_else_is_kept() {
        let e = add_releases(
            BLOCK,
            Path::new("releases.yml"),
            &[(
                "v1.17.17-lts.3".into(),
                new("v1.17.17-lts.4", "v1.17.17-lts.3", &["fix.1.17"]),
            )],
        )
        .unwrap();
        let expected = BLOCK.replace(
            "  # 1.17 line\n",
            "  # 1.17 line\n  - name: v1.17.17-lts.4\n    base_release: v1.17.17-lts.3\n    must: true\n    patches:\n      - fix.1.17\n\n",
        );
        assert_eq!(e.text, expected);
        let diff = unified_diff(BLOCK, &e.insertions, "releases.yml");
        assert!(
            diff.contains(
                "@@ -3,6 +3,12 @@\n releases:\n \n   # 1.17 line\n+  - name: v1.17.17-lts.4\n"
            ),
            "{diff}"
        );
    }

    #[test]
    fn flow_entries_and_two_insertions() {
        let e = add_releases(
            BLOCK,
            Path::new("releases.yml"),
            &[
                (
                    "v1.16.15-lts.1".into(),
                    new("v1.16.15-lts.2", "v1.16.15-lts.1", &["fix.1.16"]),
                ),
                (
                    "v1.17.17-ci".into(),
                    new("v1.17.17-lts.1", "v1.17.17-ci", &[]),
                ),
            ],
        )
        .unwrap();
        assert!(e.text.contains("\n  - {name: v1.16.15-lts.2, base_release: v1.16.15-lts.1, must: true, patches: [fix.1.16]}\n\n  - {name: v1.16.15-lts.1,"));
        assert!(e.text.contains("  - name: v1.17.17-lts.1\n    base_release: v1.17.17-ci\n    must: true\n    patches: []\n\n  - name: v1.17.17-ci\n"));
        // The old text is the new text minus the inserted lines.
        let mut rebuilt = e.text.clone();
        for i in &e.insertions {
            rebuilt = rebuilt.replacen(&i.text, "", 1);
        }
        assert_eq!(rebuilt, BLOCK);
    }

    #[test]
    fn refusals() {
        let p = Path::new("releases.yml");
        let err = add_releases(
            BLOCK,
            p,
            &[(
                "v1.17.17-ci".into(),
                new("v1.17.17-lts.3", "v1.17.17-ci", &[]),
            )],
        )
        .unwrap_err();
        assert!(err.to_string().contains("already exists (line 6)"), "{err}");
        let err = add_releases(
            BLOCK,
            p,
            &[(
                "v1.17.17-ci".into(),
                new("v1.17.17-lts.9", "v1.17.17-ci", &["../x"]),
            )],
        )
        .unwrap_err();
        assert!(matches!(err, EditError::Name(_)), "{err}");
        let odd = "base: x\nreleases:\n  -\n    name: v1.0.0-lts.1\n    base_release: v1.0.0\n";
        let err = add_releases(
            odd,
            p,
            &[(
                "v1.0.0-lts.1".into(),
                new("v1.0.0-lts.2", "v1.0.0-lts.1", &[]),
            )],
        )
        .unwrap_err();
        assert!(matches!(err, EditError::Layout { .. }), "{err}");
    }

    #[test]
    fn next_names_and_lines() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(
            next_lts(&v("v1.17.17-lts.9")).to_string(),
            "v1.17.17-lts.10"
        );
        assert_eq!(next_lts(&v("v1.17.17-ci")).to_string(), "v1.17.17-lts.1");
        let m = Manifest::parse(BLOCK, Path::new("r.yml")).unwrap();
        assert_eq!(
            newest_release(&m, MinorLine::new(1, 17))
                .unwrap()
                .0
                .name
                .value,
            "v1.17.17-lts.3"
        );
        assert_eq!(lines(&m, true), [MinorLine::new(1, 17)]);
        assert_eq!(lines(&m, false).len(), 2);
    }
}
