//! The frame of every page: head, header with navigation and search, notices, footer.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    Home,
    Lines,
    Releases,
    Advisories,
    Matrix,
    Lifecycle,
    None,
}

pub(super) const NAV: [(Nav, &str, &str); 6] = [
    (Nav::Home, "/", "Home"),
    (Nav::Lines, "/lines/", "Lines"),
    (Nav::Releases, "/releases/", "Releases"),
    (Nav::Advisories, "/advisories/", "Advisories"),
    (Nav::Matrix, "/matrix/", "Matrix"),
    (Nav::Lifecycle, "/lifecycle/", "Lifecycle"),
];

pub(super) struct Page<'a> {
    /// `<title>` (without the site name) and, unless `h1` is set, the heading.
    pub(super) title: String,
    /// The `<h1>` when it differs from the title (already HTML).
    pub(super) h1: Option<String>,
    /// Canonical path.
    pub(super) canonical: Option<String>,
    pub(super) nav: Nav,
    /// Problems reading workspace files shown above the content.
    pub(super) errors: Vec<&'a SiteError>,
    /// The content (HTML).
    pub(super) body: String,
    /// The search box text.
    pub(super) q: &'a str,
}

pub(super) fn product_name(site: &SiteData) -> String {
    // Another product's site is named by its product, whatever its calendar calls itself.
    if site.product_kind != klts_core::Product::Kubernetes {
        return site.product_kind.display_name().into();
    }
    let p = site.product.trim();
    if p.is_empty() || p.eq_ignore_ascii_case("kubernetes") {
        return "Kubernetes".into();
    }
    let mut c = p.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn layout(site: &SiteData, p: Page<'_>) -> String {
    let base = site.base.as_str();
    let api = api_root(site);
    let mut o = String::with_capacity(p.body.len() + 4096);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(o, "<title>{} · KLTS</title>", Esc(&p.title));
    let _ = writeln!(
        o,
        "<meta name=\"description\" content=\"{}\">",
        Esc(&format!(
            "KLTS, {} Long Term Support: {}",
            product_name(site),
            p.title
        ))
    );
    let _ = writeln!(
        o,
        "<link rel=\"stylesheet\" href=\"{base}/assets/style.css\">"
    );
    if let Some(c) = &p.canonical {
        let _ = writeln!(o, "<link rel=\"canonical\" href=\"{}\">", Esc(c));
    }
    o.push_str("</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
    let _ = write!(o, "<header class=\"site-header\">\n<div class=\"bar\">\n<a class=\"brand\" href=\"{base}/\">KLTS</a>\n");
    o.push_str("<nav aria-label=\"Main\">\n<ul>\n");
    for (nav, href, label) in NAV {
        let current = if nav == p.nav {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = writeln!(o, "<li><a href=\"{base}{href}\"{current}>{label}</a></li>");
    }
    o.push_str("</ul>\n</nav>\n");
    let _ = writeln!(
        o,
        "<form class=\"search\" action=\"{base}/search/\" method=\"get\" role=\"search\">\n<label for=\"site-q\" class=\"visually-hidden\">Search</label>\n<input type=\"search\" id=\"site-q\" name=\"q\" value=\"{}\" placeholder=\"CVE, release, line…\">\n<button type=\"submit\">Search</button>\n</form>",
        Esc(p.q)
    );
    o.push_str("</div>\n</header>\n<main id=\"main\">\n");
    match &p.h1 {
        Some(h) => {
            let _ = writeln!(o, "<h1>{h}</h1>");
        }
        None => {
            let _ = writeln!(o, "<h1>{}</h1>", Esc(&p.title));
        }
    }
    o.push_str(&notices(&p.errors));
    o.push_str(&p.body);
    o.push_str("</main>\n<footer class=\"site-footer\">\n<p>");
    let _ = write!(
        o,
        "Generated on {} · advisory data as of {} · <a href=\"{api}/index.json\">JSON API</a> · <a href=\"{base}/search/\">Index</a>",
        Esc(&site.date.to_string()),
        Esc(if site.advisories_as_of.is_empty() { "unknown" } else { &site.advisories_as_of })
    );
    let _ = write!(o, "</p>\n<p>KLTS: {} Long Term Support. This site uses no JavaScript, cookies or external resources.</p>\n</footer>\n</body>\n</html>\n", Esc(&product_name(site)));
    o
}

/// A page whose heading is its title and whose search box is empty: most pages.
pub(super) fn page(
    site: &SiteData,
    title: String,
    canonical: Option<String>,
    nav: Nav,
    errors: Vec<&SiteError>,
    body: String,
) -> String {
    layout(
        site,
        Page {
            title,
            h1: None,
            canonical,
            nav,
            errors,
            body,
            q: "",
        },
    )
}

pub(super) fn notices(errors: &[&SiteError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let mut o = String::new();
    o.push_str("<aside class=\"notice\" aria-label=\"Problems\">\n<h2>Problems reading the workspace</h2>\n");
    o.push_str(
        "<p>Some files could not be read; what is shown was built from the rest.</p>\n<ul>\n",
    );
    for e in errors {
        let _ = writeln!(
            o,
            "<li><code>{}</code>: {}</li>",
            Esc(&e.file),
            Esc(&e.message)
        );
    }
    o.push_str("</ul>\n</aside>\n");
    o
}

pub(super) fn errors_of<'a>(site: &'a SiteData, scopes: &[&str]) -> Vec<&'a SiteError> {
    site.errors
        .iter()
        .filter(|e| scopes.contains(&e.scope.as_str()))
        .collect()
}
