//! Escaping, percent-encoding and the paths of the site's pages.

use super::*;

/// HTML-escape text for element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    Esc(s).to_string()
}

/// Escapes when displayed.
pub(super) struct Esc<'a>(pub(super) &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                // Control characters other than tab/newline are not allowed in HTML text.
                c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => "\u{FFFD}",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

/// Percent-encode one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    // `.` and `..` as segments would be resolved away by clients.
    if out == "." || out == ".." {
        return out.replace('.', "%2E");
    }
    out
}

/// Percent-decode; `+` is a space when `plus` (query strings). Malformed escapes are kept as
/// they are. `None` when the result is not UTF-8.
pub fn percent_decode(s: &str, plus: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16));
                let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A page of this site: `/releases/` → `/containerd/releases/` on a product's site under its
/// prefix ([`SiteData::base`]). Every link and path the pages make goes through this or
/// [`api_at`], so a product's pages never link outside its prefix.
pub(super) fn at(site: &SiteData, path: &str) -> String {
    format!("{}{path}", site.base)
}

/// The root of this site's API: `/api/v1`, or `/api/v1/containerd` for a product's site.
pub(super) fn api_root(site: &SiteData) -> String {
    format!("/api/v1{}", site.base)
}

/// An API path of this site: `/releases.json` → `/api/v1/containerd/releases.json`.
pub(super) fn api_at(site: &SiteData, rest: &str) -> String {
    format!("{}{rest}", api_root(site))
}

pub(super) fn release_href(site: &SiteData, name: &str) -> String {
    at(site, &format!("/releases/{}/", encode_segment(name)))
}

pub(super) fn line_href(site: &SiteData, line: &str) -> String {
    at(site, &format!("/lines/{}/", encode_segment(line)))
}

pub(super) fn advisory_href(site: &SiteData, id: &str) -> String {
    at(site, &format!("/advisories/{}/", encode_segment(id)))
}

pub(super) fn is_http_url(s: &str) -> bool {
    let l = s.trim_start().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://"))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A link when `url` is http(s), else the text in `<code>`.
pub(super) fn url_or_code(url: &str) -> String {
    if is_http_url(url) {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            Esc(url),
            Esc(url)
        )
    } else {
        format!("<code>{}</code>", Esc(url))
    }
}

/// Cut `s` to at most `n` characters.
pub(super) fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("plain — text"), "plain — text");
        assert_eq!(escape("bell\u{7}"), "bell\u{FFFD}");
    }

    #[test]
    fn encodes_and_decodes_segments() {
        assert_eq!(encode_segment("v1.17.17-lts.3"), "v1.17.17-lts.3");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment(".."), "%2E%2E");
        assert_eq!(percent_decode("a%2Fb%20c", false).as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("100%", false).as_deref(), Some("100%"));
        assert_eq!(percent_decode("%zz%4", false).as_deref(), Some("%zz%4"));
        assert_eq!(percent_decode("%ff", false), None);
        for s in ["", "%", "%%", "%4", "a%", "é%C3%A9"] {
            let _ = percent_decode(s, true);
        }
    }

    #[test]
    fn clipping_respects_characters() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("ab", 2), "ab");
    }
}
