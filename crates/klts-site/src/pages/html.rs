//! [`Html`]: markup whose escaping is answered by its type.
//!
//! An [`Html`] value can only be made by escaping text ([`Html::text`]), from a `&'static str`
//! written in this crate's source ([`Html::lit`], `From<&'static str>`, [`Html::push_str`]), by
//! the `html!`/`markup!` macros, whose format string is a literal and whose every argument
//! goes through [`Render`] (text is escaped, `Html` is kept), or by composing `Html` values.
//! So a page function returning `Html` cannot forget to escape a name, and cannot escape
//! twice: there is no helper taking "already escaped" text. The one outside source of markup
//! is the lifecycle chart ([`Html::chart_svg`]), whose module escapes its own text.
//!
//! Format strings must not capture variables inline (`{name}`): those would bypass [`Render`].
//! A unit test scans this module's sources for that.

use std::fmt;

/// Markup: escaped text, trusted literals and compositions of both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Empty markup.
    pub fn new() -> Html {
        Html(String::new())
    }

    /// Text, HTML-escaped for element content and double-quoted attribute values.
    pub fn text(s: &str) -> Html {
        let mut h = Html::new();
        h.push_text(s);
        h
    }

    /// Markup written in this crate's source.
    pub fn lit(s: &'static str) -> Html {
        Html(s.to_string())
    }

    /// The lifecycle chart's SVG, as [`crate::chart`] makes it (it escapes its own labels).
    pub(super) fn chart_svg(svg: &str) -> Html {
        Html(svg.to_string())
    }

    /// Append markup.
    pub fn push(&mut self, h: Html) {
        self.0.push_str(&h.0);
    }

    /// Append markup written in this crate's source.
    pub fn push_str(&mut self, s: &'static str) {
        self.0.push_str(s);
    }

    /// Append text, escaped.
    pub fn push_text(&mut self, s: &str) {
        use fmt::Write as _;
        let _ = write!(self.0, "{}", Escaped(s));
    }

    /// Append formatted markup (what `html!` expands to).
    pub fn push_fmt(&mut self, args: fmt::Arguments<'_>) {
        use fmt::Write as _;
        let _ = self.0.write_fmt(args);
    }

    /// The items separated by `sep`.
    pub fn join<I: IntoIterator<Item = Html>>(items: I, sep: &'static str) -> Html {
        let mut out = Html::new();
        for (i, h) in items.into_iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push(h);
        }
        out
    }

    /// Whether there is no markup.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The markup, to send.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Edit the markup in place; for [`super::parts`]'s table labelling, which only inserts
    /// attributes whose values it read back from escaped headers.
    pub(super) fn as_mut_string(&mut self) -> &mut String {
        &mut self.0
    }
}

/// `[a, b].join_html(", ")`: markup items separated by a literal.
pub trait JoinHtml {
    /// The items separated by `sep`.
    fn join_html(&self, sep: &'static str) -> Html;
}

impl JoinHtml for [Html] {
    fn join_html(&self, sep: &'static str) -> Html {
        Html::join(self.iter().cloned(), sep)
    }
}

impl From<&'static str> for Html {
    fn from(s: &'static str) -> Html {
        Html::lit(s)
    }
}

/// How a value goes into markup: text is escaped, [`Html`] is kept as it is.
pub trait Render {
    /// Write `self` as markup.
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl Render for Html {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Render for &Html {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Anything displayable is text: escaped.
impl<T: fmt::Display + ?Sized> Render for T {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Escaped(&self.to_string()))
    }
}

/// A value formatted through [`Render`] (the `html!` macro wraps every argument in it).
pub struct Safe<'a, T: Render + ?Sized>(pub &'a T);

impl<T: Render + ?Sized> fmt::Display for Safe<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.render(f)
    }
}

/// Escapes when displayed.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
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

/// HTML-escape text for element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    Html::text(s).into_string()
}

/// Append to an [`Html`]: `html!(o, "<td>{}</td>", name)`; the format string is trusted markup,
/// every argument goes through [`Render`] (text escaped, `Html` kept).
macro_rules! html {
    ($o:expr, $fmt:literal $(, $arg:expr)* $(,)?) => {
        $o.push_fmt(format_args!($fmt $(, $crate::pages::html::Safe(&$arg))*))
    };
}

/// Make an [`Html`] like `html!` appends one.
macro_rules! markup {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{
        let mut h = $crate::pages::html::Html::new();
        h.push_fmt(format_args!($fmt $(, $crate::pages::html::Safe(&$arg))*));
        h
    }};
}

pub(crate) use {html, markup};

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
    fn text_is_escaped_and_markup_kept() {
        let name = String::from("<b>");
        let inner = markup!("<i>{}</i>", "&");
        let mut o = Html::lit("<p>");
        html!(o, "{} {} {}</p>", name, inner, 3usize);
        assert_eq!(o.as_str(), "<p>&lt;b&gt; <i>&amp;</i> 3</p>");
        assert_eq!(
            Html::join([Html::text("a<"), Html::lit("<br>")], ", ").as_str(),
            "a&lt;, <br>"
        );
    }

    /// `html!(o, "{name}")` would capture `name` without [`Render`]: no format string of the
    /// pages does that.
    #[test]
    fn no_format_string_captures_a_variable() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("urls.rs"),
            include_str!("filters.rs"),
            include_str!("layout.rs"),
            include_str!("parts.rs"),
            include_str!("home.rs"),
            include_str!("lines.rs"),
            include_str!("releases.rs"),
            include_str!("advisories.rs"),
            include_str!("matrix.rs"),
            include_str!("lifecycle.rs"),
            include_str!("search.rs"),
            include_str!("errors.rs"),
        ];
        for src in sources {
            for (i, _) in src
                .match_indices("html!(")
                .chain(src.match_indices("markup!("))
            {
                let rest = &src[i..];
                let Some(q) = rest.find('"') else { continue };
                let lit = &rest[q + 1..];
                let end = lit
                    .char_indices()
                    .find(|&(j, c)| c == '"' && !lit[..j].ends_with('\\'))
                    .map(|(j, _)| j)
                    .unwrap_or(lit.len());
                let lit = &lit[..end];
                let captures = lit
                    .split('{')
                    .skip(1)
                    .any(|s| s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
                assert!(!captures, "a format string captures a variable: {lit}");
            }
        }
    }
}
