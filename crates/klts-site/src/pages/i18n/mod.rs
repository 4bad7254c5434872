//! The portal in two languages: English at the root (`/releases/…`) and Simplified Chinese
//! under `/zh/` (`/zh/releases/…`, the prefix klts.io uses), one catalogue per language.
//!
//! Every user-visible string of the pages is a [`Msg`]; [`en`] and [`zh_cn`] each map every
//! key to its text with one exhaustive `match`, so a key without a translation does not
//! compile. Texts are trusted markup (they live in this source) with named placeholders
//! (`{line}`, `{days}`) that [`fill`] replaces with escaped arguments; a unit test checks that
//! both catalogues use the same placeholders for every key. Dates stay ISO (`2026-12-01`) in
//! both languages; English plurals have their own keys (`…One`), picked by [`plural`].
//!
//! Adding a language: a catalogue file (`fr.rs`, a copy of `en.rs` translated), a [`Lang`]
//! variant with its prefix, `lang` attribute and name, and its arm in [`text`].
//!
//! Data stays in its language: advisory summaries, patch names, file errors and the JSON API
//! (`/api/v1/…`, which exists once, not per language).

use super::html::Html;

mod en;
mod keys;
mod zh_cn;

pub use keys::Msg;

/// A language of the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, at the root.
    En,
    /// Simplified Chinese, under `/zh/`.
    ZhCn,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The path prefix of the language's pages (`""` for English).
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::En => "",
            Lang::ZhCn => "/zh",
        }
    }

    /// The `lang` and `hreflang` value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's name in itself (the switch link's text).
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "简体中文",
        }
    }

    /// The language a path is in, and the path without the language prefix (`/zh/x/` →
    /// `/x/`, `/zh` → `/`).
    pub fn of_path(path: &str) -> (Lang, &str) {
        for lang in Lang::ALL {
            let prefix = lang.prefix();
            if prefix.is_empty() {
                continue;
            }
            if let Some(rest) = path.strip_prefix(prefix) {
                if rest.is_empty() || rest.starts_with(['?', '#']) {
                    return (lang, "/");
                }
                if rest.starts_with('/') {
                    return (lang, rest);
                }
            }
        }
        (Lang::En, path)
    }
}

/// The text of `msg` in `lang`: trusted markup, placeholders unfilled.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    match lang {
        Lang::En => en::text(msg),
        Lang::ZhCn => zh_cn::text(msg),
    }
}

/// `msg` in `lang` with its placeholders replaced by `args` (markup); a placeholder without
/// an argument stays as it is (the placeholder test keeps the catalogues honest).
pub fn fill(lang: Lang, msg: Msg, args: &[(&str, Html)]) -> Html {
    let mut out = Html::new();
    for piece in pieces(text(lang, msg)) {
        match piece {
            Piece::Lit(s) => out.push_str(s),
            Piece::Hole(name) => match args.iter().find(|(n, _)| *n == name) {
                Some((_, h)) => out.push(h.clone()),
                None => {
                    out.push_str("{");
                    out.push_str(name);
                    out.push_str("}");
                }
            },
        }
    }
    out
}

/// `msg` in `lang` as plain text (a `<title>`, an attribute read back as text), its
/// placeholders replaced by `args` as they are; for keys whose text has no markup.
pub fn fill_text(lang: Lang, msg: Msg, args: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for piece in pieces(text(lang, msg)) {
        match piece {
            Piece::Lit(s) => out.push_str(s),
            Piece::Hole(name) => match args.iter().find(|(n, _)| *n == name) {
                Some((_, v)) => out.push_str(v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// `one` when `n` is 1 in a language with a singular, else `many`.
pub fn plural(lang: Lang, n: i64, one: Msg, many: Msg) -> Msg {
    match lang {
        Lang::En if n == 1 => one,
        _ => many,
    }
}

enum Piece<'a> {
    Lit(&'a str),
    Hole(&'a str),
}

/// A catalogue text cut at its placeholders: `{name}` with `name` of ASCII letters, digits and
/// `_`; any other brace is literal.
fn pieces(s: &'static str) -> Vec<Piece<'static>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            out.push(Piece::Lit(&rest[..open]));
            out.push(Piece::Hole(&after[..name_len]));
            rest = &after[name_len + 1..];
        } else {
            out.push(Piece::Lit(&rest[..open + 1]));
            rest = after;
        }
    }
    out.push(Piece::Lit(rest));
    out
}

/// The placeholders of a text, sorted, deduplicated.
#[cfg(test)]
fn placeholders(s: &'static str) -> Vec<&'static str> {
    let mut v: Vec<&str> = pieces(s)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Hole(n) => Some(n),
            Piece::Lit(_) => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_the_same_placeholders_in_every_language() {
        for &msg in Msg::ALL {
            let en = placeholders(text(Lang::En, msg));
            for lang in Lang::ALL {
                assert_eq!(
                    placeholders(text(lang, msg)),
                    en,
                    "{msg:?} in {lang:?} has other placeholders than in English"
                );
                assert!(!text(lang, msg).is_empty(), "{msg:?} is empty in {lang:?}");
            }
        }
    }

    #[test]
    fn the_chinese_catalogue_is_translated() {
        // A text identical to the English one is a forgotten translation, unless it has no
        // word in it (a symbol, a placeholder alone).
        for &msg in Msg::ALL {
            let (en, zh) = (text(Lang::En, msg), text(Lang::ZhCn, msg));
            let words = en
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 3)
                .count();
            assert!(
                en != zh || words == 0 || msg.same_in_every_language(),
                "{msg:?} is not translated"
            );
        }
    }

    #[test]
    fn fill_escapes_arguments_and_keeps_unknown_braces() {
        let h = fill(
            Lang::En,
            Msg::NoLineSupportedOn,
            &[("date", Html::text("<x>"))],
        );
        assert_eq!(h.as_str(), "No line is supported on &lt;x&gt;.");
        assert_eq!(
            fill_text(Lang::En, Msg::NoLineSupportedOn, &[]),
            "No line is supported on {date}."
        );
        let p: Vec<&str> = pieces("a {b} {c d} {}")
            .into_iter()
            .map(|p| match p {
                Piece::Lit(s) | Piece::Hole(s) => s,
            })
            .collect();
        assert_eq!(p, ["a ", "b", " {", "c d} {", "}"]);
    }

    #[test]
    fn paths_carry_their_language() {
        assert_eq!(Lang::of_path("/zh/releases/"), (Lang::ZhCn, "/releases/"));
        assert_eq!(Lang::of_path("/zh"), (Lang::ZhCn, "/"));
        assert_eq!(Lang::of_path("/zh?q=1"), (Lang::ZhCn, "/"));
        assert_eq!(Lang::of_path("/zhx/"), (Lang::En, "/zhx/"));
        assert_eq!(Lang::of_path("/releases/"), (Lang::En, "/releases/"));
    }
}
