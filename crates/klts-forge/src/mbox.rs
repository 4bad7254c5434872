//! Patch files: mboxes of `git format-patch` messages.
//!
//! A KLTS patch file holds one or more commits as produced by `git format-patch --stdout` (or
//! downloaded from `…/pull/N.patch`). [`split`] cuts it into messages the way `git mailsplit`
//! does for format-patch output; each message is then parsed by `git mailinfo`, exactly as
//! `git am` does, so that authors, dates and messages come out as a maintainer would get them.

/// One message of an mbox: the bytes from its `From ` line up to the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The raw bytes of the message, including its `From ` separator line when present.
    pub raw: &'a [u8],
}

/// Whether a line is an mbox separator as written by `git format-patch`
/// (`From <sha> Mon Sep 17 00:00:00 2001`) or a classic mbox (`From addr Tue Jan  1 …  2002`).
///
/// Only lines starting exactly with `From ` and ending in a four-digit year count, so a commit
/// message that merely starts a line with "From " is not split.
fn is_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
    let fields: Vec<&[u8]> = rest
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .collect();
    fields.len() >= 5
        && fields
            .last()
            .is_some_and(|y| y.len() == 4 && y.iter().all(u8::is_ascii_digit))
        && fields.iter().any(|f| f.contains(&b':'))
}

/// Split an mbox into messages. A file that does not start with a separator is one message
/// (a single e-mail). Empty input gives no message.
pub fn split(mbox: &[u8]) -> Vec<Message<'_>> {
    let mut starts = Vec::new();
    let mut pos = 0;
    while pos < mbox.len() {
        let end = mbox[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(mbox.len(), |i| pos + i + 1);
        if is_separator(&mbox[pos..end]) {
            starts.push(pos);
        }
        pos = end;
    }
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    let mut out = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        let e = starts.get(i + 1).copied().unwrap_or(mbox.len());
        let raw = &mbox[s..e];
        if raw.iter().any(|b| !b.is_ascii_whitespace()) {
            out.push(Message { raw });
        }
    }
    out
}

/// A structural check of a patch file, in process and without git (for `klts lint`): it is
/// text, it has at least one message, and every message has a `From:` or `Subject:` header
/// and a diff (`diff --git` or a `---`/`+++` pair followed by a hunk). Returns the number
/// of messages, or what is wrong and in which message. It does not apply anything: a file that
/// passes may still conflict.
pub fn check(bytes: &[u8]) -> Result<usize, String> {
    if bytes.contains(&0) {
        return Err("it contains NUL bytes: not a text patch (binary garbage?)".into());
    }
    let messages = split(bytes);
    if messages.is_empty() {
        return Err("it is empty".into());
    }
    for (i, m) in messages.iter().enumerate() {
        let text = String::from_utf8_lossy(m.raw);
        let mut has_header = false;
        let mut has_diff = false;
        let mut minus = false;
        let mut plus = false;
        for line in text.lines() {
            has_header |= line.starts_with("From: ") || line.starts_with("Subject: ");
            if line.starts_with("diff --git ") {
                has_diff = true;
            }
            if line.starts_with("--- ") {
                minus = true;
            } else if minus && line.starts_with("+++ ") {
                plus = true;
            } else if plus && (line.starts_with("@@ ") || line.starts_with("GIT binary patch")) {
                has_diff = true;
            }
        }
        let n = i + 1;
        if !has_header {
            return Err(format!(
                "message {n} has no From:/Subject: header (not `git format-patch` output)"
            ));
        }
        if !has_diff {
            return Err(format!("message {n} contains no diff"));
        }
    }
    Ok(messages.len())
}

/// What `git mailinfo` printed about one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailInfo {
    /// Author name.
    pub author: String,
    /// Author e-mail.
    pub email: String,
    /// The subject, with `[PATCH n/m]` removed.
    pub subject: String,
    /// The author date as written in the mail.
    pub date: String,
}

impl MailInfo {
    /// Parse the `Key: value` lines `git mailinfo` prints on stdout.
    pub fn parse(text: &str) -> MailInfo {
        let mut info = MailInfo::default();
        for line in text.lines() {
            if let Some((k, v)) = line.split_once(": ") {
                let v = v.to_string();
                match k {
                    "Author" => info.author = v,
                    "Email" => info.email = v,
                    "Subject" => info.subject = v,
                    "Date" => info.date = v,
                    _ => {}
                }
            }
        }
        info
    }
}

/// The commit message `git am` writes: the subject, a blank line, the body, cleaned up like
/// `git stripspace` (trailing whitespace removed, runs of blank lines collapsed, no leading or
/// trailing blank lines, a final newline).
pub fn commit_message(subject: &str, body: &str) -> String {
    let joined = format!("{subject}\n\n{body}");
    stripspace(&joined)
}

/// `git stripspace` without comment stripping.
pub fn stripspace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_blank = false;
    for line in text.split('\n') {
        let line = line.trim_end_matches(|c: char| c.is_ascii_whitespace());
        if line.is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        if pending_blank {
            out.push('\n');
            pending_blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TWO: &[u8] = b"From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n\
From: A <a@example.com>\nSubject: [PATCH 1/2] one\n\nFrom here on\n---\n diff\n\
From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001\n\
From: A <a@example.com>\nSubject: [PATCH 2/2] two\n\nbody\n";

    #[test]
    fn splits_format_patch_output() {
        let msgs = split(TWO);
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].raw.ends_with(b" diff\n"));
        assert!(msgs[1].raw.starts_with(b"From 2222"));
    }

    #[test]
    fn check_finds_what_git_am_would_refuse() {
        let good = b"From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n\
From: A <a@example.com>\nSubject: [PATCH] one\n\nmsg\n---\n a | 2 +-\n\n\
diff --git a/a b/a\nindex 1..2 100644\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-x\n+y\n";
        assert_eq!(check(good), Ok(1));
        assert!(check(b"").unwrap_err().contains("empty"));
        assert!(check(b"\x7fELF\x00\x01").unwrap_err().contains("NUL"));
        assert!(check(b"just some text\n").unwrap_err().contains("header"));
        // TWO has headers but no diff in either message.
        assert!(check(TWO)
            .unwrap_err()
            .contains("message 1 contains no diff"));
        let plain = b"From: A <a@x>\nSubject: s\n\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(check(plain), Ok(1));
    }

    #[test]
    fn single_mail_without_separator() {
        let msgs = split(b"From: A <a@x>\nSubject: s\n\nbody\n");
        assert_eq!(msgs.len(), 1);
        assert!(split(b"").is_empty());
        assert!(split(b"\n\n").is_empty());
    }

    #[test]
    fn stripspace_matches_git() {
        assert_eq!(stripspace("\n\na  \n\n\n b\t\n\n"), "a\n\n b\n");
        assert_eq!(
            commit_message("subj", "\nbody\n\n\nmore\n"),
            "subj\n\nbody\n\nmore\n"
        );
        assert_eq!(commit_message("subj", ""), "subj\n");
    }

    #[test]
    fn mailinfo_output() {
        let i =
            MailInfo::parse("Author: A B\nEmail: a@b\nSubject: fix: it\nDate: Mon, 1 Jan 2001\n\n");
        assert_eq!(i.author, "A B");
        assert_eq!(i.subject, "fix: it");
        assert_eq!(i.date, "Mon, 1 Jan 2001");
    }

    proptest! {
        #[test]
        fn split_never_panics_and_loses_only_whitespace(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let msgs = split(&data);
            let joined: Vec<u8> = msgs.iter().flat_map(|m| m.raw.iter().copied()).collect();
            let strip = |v: &[u8]| v.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect::<Vec<u8>>();
            prop_assert_eq!(strip(&joined), strip(&data));
        }

        #[test]
        fn split_counts_generated_messages(n in 1usize..6, body in "[a-zA-Z ]{0,40}") {
            let mut mbox = Vec::new();
            for i in 0..n {
                mbox.extend_from_slice(format!(
                    "From {:040x} Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\nSubject: [PATCH] {i}\n\nFrom {body}\n---\n",
                    i
                ).as_bytes());
            }
            prop_assert_eq!(split(&mbox).len(), n);
        }

        #[test]
        fn stripspace_is_idempotent(s in "[a-z \t\n]{0,60}") {
            let once = stripspace(&s);
            prop_assert_eq!(stripspace(&once), once.clone());
        }
    }
}
