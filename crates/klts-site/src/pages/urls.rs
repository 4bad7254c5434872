//! Escaping, percent-encoding and the paths of the site's pages.

use super::*;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What [`encode_segment`] escapes: everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let out = utf8_percent_encode(s, SEGMENT).to_string();
    // `.` and `..` as segments would be resolved away by clients.
    if out == "." || out == ".." {
        return out.replace('.', "%2E");
    }
    out
}

/// Percent-decode; `+` is a space when `plus` (query strings). Malformed escapes are kept as
/// they are. `None` when the result is not UTF-8.
pub fn percent_decode(s: &str, plus: bool) -> Option<String> {
    // `%2B` stays a `+`: spaces are replaced before decoding.
    let spaced;
    let s = if plus && s.contains('+') {
        spaced = s.replace('+', " ");
        spaced.as_str()
    } else {
        s
    };
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// A page of this site: `/releases/` → `/containerd/releases/` on a product's site under its
/// prefix ([`SiteData::base`]). Every link and path the pages make goes through this or
/// [`api_at`], so a product's pages never link outside its prefix.
pub(super) fn at(site: &Site<'_>, path: &str) -> String {
    format!("{}{path}", site.base)
}

/// The root of this site's API: `/api/v1`, or `/api/v1/containerd` for a product's site.
pub(super) fn api_root(site: &Site<'_>) -> String {
    format!("/api/v1{}", site.data.base)
}

/// An API path of this site: `/releases.json` → `/api/v1/containerd/releases.json`.
pub(super) fn api_at(site: &Site<'_>, rest: &str) -> String {
    format!("{}{rest}", api_root(site))
}

pub(super) fn release_href(site: &Site<'_>, name: &str) -> String {
    at(site, &format!("/releases/{}/", encode_segment(name)))
}

pub(super) fn line_href(site: &Site<'_>, line: &str) -> String {
    at(site, &format!("/lines/{}/", encode_segment(line)))
}

pub(super) fn advisory_href(site: &Site<'_>, id: &str) -> String {
    at(site, &format!("/advisories/{}/", encode_segment(id)))
}

pub(super) fn is_http_url(s: &str) -> bool {
    let l = s.trim_start().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://"))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A link when `url` is http(s), else the text in `<code>`.
pub(super) fn url_or_code(url: &str) -> Html {
    if is_http_url(url) {
        markup!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            url,
            url
        )
    } else {
        markup!("<code>{}</code>", url)
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
