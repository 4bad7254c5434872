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
    pub(super) h1: Option<Html>,
    /// Canonical path.
    pub(super) canonical: Option<String>,
    pub(super) nav: Nav,
    /// Problems reading workspace files shown above the content.
    pub(super) errors: Vec<&'a SiteError>,
    /// The content (HTML).
    pub(super) body: Html,
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

pub(super) fn layout(site: &SiteData, p: Page<'_>) -> Html {
    let base = site.base.as_str();
    let api = api_root(site);
    let mut o = Html::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html!(o, "<title>{} · KLTS</title>\n", &p.title);
    html!(
        o,
        "<meta name=\"description\" content=\"{}\">\n",
        &format!(
            "KLTS, {} Long Term Support: {}",
            product_name(site),
            p.title
        )
    );
    html!(
        o,
        "<link rel=\"stylesheet\" href=\"{}/assets/style.css\">\n",
        base
    );
    if let Some(c) = &p.canonical {
        html!(o, "<link rel=\"canonical\" href=\"{}\">\n", c);
    }
    o.push_str("</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
    html!(o, "<header class=\"site-header\">\n<div class=\"bar\">\n<a class=\"brand\" href=\"{}/\">KLTS</a>\n", base);
    o.push_str("<nav aria-label=\"Main\">\n<ul>\n");
    for (nav, href, label) in NAV {
        let current = Html::lit(if nav == p.nav {
            " aria-current=\"page\""
        } else {
            ""
        });
        html!(
            o,
            "<li><a href=\"{}{}\"{}>{}</a></li>\n",
            base,
            href,
            current,
            label
        );
    }
    o.push_str("</ul>\n</nav>\n");
    html!(o, "<form class=\"search\" action=\"{}/search/\" method=\"get\" role=\"search\">\n<label for=\"site-q\" class=\"visually-hidden\">Search</label>\n<input type=\"search\" id=\"site-q\" name=\"q\" value=\"{}\" placeholder=\"CVE, release, line…\">\n<button type=\"submit\">Search</button>\n</form>\n", base, p.q);
    o.push_str("</div>\n</header>\n<main id=\"main\">\n");
    match &p.h1 {
        Some(h) => {
            html!(o, "<h1>{}</h1>\n", h);
        }
        None => {
            html!(o, "<h1>{}</h1>\n", &p.title);
        }
    }
    o.push(notices(&p.errors));
    o.push(p.body);
    o.push_str("</main>\n<footer class=\"site-footer\">\n<p>");
    html!(o, "Generated on {} · advisory data as of {} · <a href=\"{}/index.json\">JSON API</a> · <a href=\"{}/search/\">Index</a>", &site.date.to_string(), if site.advisories_as_of.is_empty() { "unknown" } else { &site.advisories_as_of }, api, base);
    html!(o, "</p>\n<p>KLTS: {} Long Term Support. This site uses no JavaScript, cookies or external resources.</p>\n</footer>\n</body>\n</html>\n", &product_name(site));
    o
}

/// A page whose heading is its title and whose search box is empty: most pages.
pub(super) fn page(
    site: &SiteData,
    title: String,
    canonical: Option<String>,
    nav: Nav,
    errors: Vec<&SiteError>,
    body: Html,
) -> Html {
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

pub(super) fn notices(errors: &[&SiteError]) -> Html {
    if errors.is_empty() {
        return Html::new();
    }
    let mut o = Html::new();
    o.push_str("<aside class=\"notice\" aria-label=\"Problems\">\n<h2>Problems reading the workspace</h2>\n");
    o.push_str(
        "<p>Some files could not be read; what is shown was built from the rest.</p>\n<ul>\n",
    );
    for e in errors {
        html!(o, "<li><code>{}</code>: {}</li>\n", &e.file, &e.message);
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
