//! The one rule for names that come from a manifest or a command line and later reach git, a
//! file path or a terminal: release names, patch names and upstream refs.
//!
//! A name in `releases.yml` is hostile until checked. A release name becomes a git ref
//! (`refs/klts/releases/<name>`, `refs/tags/<name>`) written through `git update-ref --stdin`,
//! where a newline would start a second command; it becomes a directory (`out/<name>/`,
//! `.klts/worktrees/<name>`); and it is printed. A patch name becomes a path
//! (`patches/<name>.patch`). So every such name is checked **where it enters** — the manifest
//! parser refuses the file with `file:line:col` — and again at the edges that use it (the
//! engine before any git call, `klts build` before any directory), so that no caller can skip
//! the rule.
//!
//! The rule is deliberately narrower than git's `check-ref-format`, and matches every name the
//! real KLTS manifests use (`v1.17.17-lts.3`, `CVE-2019-1002100.1.10.patch`,
//! `fix-go1.25-compat.1.29`, `TODO`):
//!
//! | | release / patch name | upstream ref (`base_release`) |
//! |---|---|---|
//! | characters | `A-Z a-z 0-9 . _ + -` | the same, plus `/` between components |
//! | first character | a letter or a digit | of each component: a letter or a digit |
//! | forbidden | `..`, a trailing `.`, a trailing `.lock` | the same, per component |
//! | length | 1–128 bytes | 1–255 bytes |
//!
//! No whitespace, control character, `~^:?*[\`, `@{` or non-ASCII character can pass, so a name
//! that passed is also safe to print raw. [`printable`] makes any *other* text (a patch subject,
//! a feed value, an unknown name typed on the command line) safe for a terminal.

use std::fmt;

/// Longest release or patch name accepted, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// Longest upstream ref accepted, in bytes.
pub const MAX_REF_LEN: usize = 255;

/// What kind of name is being checked (it changes the message and the `/` rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A release (`releases[].name`): becomes a git ref and a directory.
    Release,
    /// A patch (`releases[].patches[]`, `patches[].name`): becomes `patches/<name>.patch`.
    Patch,
    /// An upstream ref a chain starts from (`base_release` that is not a release): a tag or a
    /// branch, so `/` is allowed between components.
    UpstreamRef,
}

impl NameKind {
    fn what(self) -> &'static str {
        match self {
            NameKind::Release => "release name",
            NameKind::Patch => "patch name",
            NameKind::UpstreamRef => "base_release",
        }
    }
}

/// Why a name was refused. The message quotes the name with [`printable`], so it is safe to
/// print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    /// The kind of name.
    pub kind: NameKind,
    /// The offending name, made printable.
    pub shown: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}` is not allowed: {}\n  help: {}",
            self.kind.what(),
            self.shown,
            self.reason,
            match self.kind {
                NameKind::Release =>
                    "release names are versions such as v1.17.17-lts.3 (letters, digits, `.`, `_`, `+`, `-`)",
                NameKind::Patch =>
                    "patch names are file-name-like words such as CVE-2021-3121.1.17 (letters, digits, `.`, `_`, `+`, `-`); put the file in patches/ or list its path in the catalog's `patch:`",
                NameKind::UpstreamRef =>
                    "name an upstream tag such as v1.17.17 (or a branch such as release-1.17)",
            }
        )
    }
}

impl std::error::Error for NameError {}

/// Check a name of `kind` against the rule in the module docs.
pub fn check(kind: NameKind, name: &str) -> Result<(), NameError> {
    let err = |reason| {
        Err(NameError {
            kind,
            shown: printable(name, 80),
            reason,
        })
    };
    let max = if kind == NameKind::UpstreamRef {
        MAX_REF_LEN
    } else {
        MAX_NAME_LEN
    };
    if name.is_empty() {
        return err("it is empty");
    }
    if name.len() > max {
        return err("it is too long");
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return err(if c == '\n' || c == '\r' {
            "it contains a line break"
        } else if c.is_whitespace() {
            "it contains whitespace"
        } else {
            "it contains a control character"
        });
    }
    let components: Vec<&str> = if kind == NameKind::UpstreamRef {
        name.split('/').collect()
    } else {
        if name.contains('/') || name.contains('\\') {
            return err("it contains a path separator");
        }
        vec![name]
    };
    for c in components {
        if c.is_empty() {
            return err("it has an empty path component (`//`, or a leading or trailing `/`)");
        }
        if !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
        {
            return err("only letters, digits, `.`, `_`, `+` and `-` are allowed");
        }
        if !c.as_bytes()[0].is_ascii_alphanumeric() {
            return err("it must start with a letter or a digit");
        }
        if c.contains("..") {
            return err("it contains `..`");
        }
        if c.ends_with('.') || c.ends_with(".lock") {
            return err("it ends with `.` or `.lock`, which git refuses in refs");
        }
    }
    Ok(())
}

/// `text` made safe to print on a terminal and bounded: control characters (escape sequences,
/// line breaks, NUL, bidi overrides) are shown as `\u{…}` escapes, and text longer than `max`
/// characters is cut with `…`.
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    for (n, c) in text.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Multi-line text (a message with `help:` lines, a table row) made safe for a terminal:
/// like [`printable`] but keeping line breaks and tabs, and unbounded. The CLI passes everything
/// it prints through this, so a name, a patch subject or a feed value that slipped past every
/// other check still cannot drive the terminal.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c);
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if bad(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Unicode bidirectional controls: invisible, and able to reorder what a terminal shows.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_names_pass() {
        for n in [
            "v1.17.17-lts.3",
            "v1.17.17-ci",
            "v1.3.10-lts.1",
            "CVE-2019-1002100.1.10.patch",
            "fix-go1.25-compat.1.29",
            "bump-go-1-25-9.1.29",
            "TODO",
            "v1.0.0+build.1",
        ] {
            check(NameKind::Release, n).unwrap();
            check(NameKind::Patch, n).unwrap();
            check(NameKind::UpstreamRef, n).unwrap();
        }
        check(NameKind::UpstreamRef, "release-1.18").unwrap();
        check(NameKind::UpstreamRef, "refs/tags/v1.18.0").unwrap();
    }

    #[test]
    fn hostile_names_are_refused() {
        for n in [
            "",
            "v1.1.0\nupdate refs/tags/v1.1.0 0000",
            "v1.1.0 x",
            "../../../outside/secret",
            "/tmp/x/secret",
            "..",
            ".hidden",
            "-rf",
            "a..b",
            "a.lock",
            "a.",
            "a~1",
            "a^{}",
            "a:b",
            "a@{0}",
            "x\u{1b}[31mred",
            "name\u{202e}txt",
            "é",
            "a\\b",
        ] {
            assert!(check(NameKind::Release, n).is_err(), "{n:?}");
            assert!(check(NameKind::Patch, n).is_err(), "{n:?}");
            assert!(check(NameKind::UpstreamRef, n).is_err(), "{n:?}");
        }
        assert!(check(NameKind::Patch, "a/b").is_err());
        assert!(check(NameKind::UpstreamRef, "a//b").is_err());
        assert!(check(NameKind::UpstreamRef, "a/").is_err());
        assert!(check(NameKind::UpstreamRef, "a/.b").is_err());
        assert!(check(NameKind::Release, &"v".repeat(MAX_NAME_LEN + 1)).is_err());
    }

    #[test]
    fn errors_are_printable() {
        let e = check(NameKind::Release, "v1\u{1b}]0;pwned\u{7}\n").unwrap_err();
        let text = e.to_string();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("\\u{1b}"), "{text}");
        assert!(text.contains("help:"), "{text}");
    }

    #[test]
    fn printable_bounds_and_escapes() {
        assert_eq!(printable("abc", 2), "ab…");
        assert_eq!(printable("a\nb", 10), "a\\u{a}b");
        assert_eq!(printable("plain", 10), "plain");
    }

    #[test]
    fn terminal_safe_keeps_lines() {
        assert_eq!(terminal_safe("a\n  help: b\tc"), "a\n  help: b\tc");
        assert_eq!(terminal_safe("x\u{1b}[2J\r"), "x\\u{1b}[2J\\u{d}");
    }

    proptest! {
        /// Whatever passes is a valid git ref component and a safe single path component.
        #[test]
        fn accepted_names_are_safe(s in "\\PC{0,40}|[A-Za-z0-9._+/-]{0,40}") {
            for kind in [NameKind::Release, NameKind::Patch, NameKind::UpstreamRef] {
                if check(kind, &s).is_ok() {
                    prop_assert!(!s.is_empty());
                    prop_assert!(s.is_ascii());
                    prop_assert!(!s.contains(".."));
                    prop_assert!(!s.bytes().any(|b| b.is_ascii_control() || b == b' '));
                    prop_assert!(!s.starts_with('.') && !s.starts_with('/') && !s.starts_with('-'));
                    if kind != NameKind::UpstreamRef {
                        prop_assert!(!s.contains('/'));
                    }
                    prop_assert_eq!(printable(&s, 200), s.clone());
                }
            }
        }

        #[test]
        fn printable_never_emits_controls(s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
            let p = printable(&s, 1000);
            prop_assert!(!p.chars().any(|c| c.is_control()));
        }
    }
}
