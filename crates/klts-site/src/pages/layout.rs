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

pub(super) const NAV: [(Nav, &str, Msg); 6] = [
    (Nav::Home, "/", Msg::NavHome),
    (Nav::Lines, "/lines/", Msg::NavLines),
    (Nav::Releases, "/releases/", Msg::NavReleases),
    (Nav::Advisories, "/advisories/", Msg::NavAdvisories),
    (Nav::Matrix, "/matrix/", Msg::NavMatrix),
    (Nav::Lifecycle, "/lifecycle/", Msg::NavLifecycle),
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

pub(super) fn product_name(site: &Site<'_>) -> String {
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

pub(super) fn layout(site: &Site<'_>, p: Page<'_>) -> Html {
    let base = site.base.as_str();
    // The stylesheet and the API exist once, whatever the language.
    let files = site.data.base.as_str();
    let api = api_root(site);
    let mut o = Html::new();
    html!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
        site.lang.code()
    );
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html!(o, "<title>{} · KLTS</title>\n", &p.title);
    let description = fill_text(
        site.lang,
        Msg::MetaDescription,
        &[("product", &product_name(site)), ("title", &p.title)],
    );
    html!(
        o,
        "<meta name=\"description\" content=\"{}\">\n",
        description
    );
    html!(
        o,
        "<link rel=\"stylesheet\" href=\"{}/assets/style.css\">\n",
        files
    );
    if let Some(c) = &p.canonical {
        html!(o, "<link rel=\"canonical\" href=\"{}\">\n", c);
        // The same page in every language (search engines pick the reader's).
        for lang in Lang::ALL {
            html!(
                o,
                "<link rel=\"alternate\" hreflang=\"{}\" href=\"{}\">\n",
                lang.code(),
                &in_lang(site, c, lang)
            );
        }
    }
    html!(
        o,
        "</head>\n<body>\n<a class=\"skip\" href=\"#main\">{}</a>\n",
        site.t(Msg::SkipToContent)
    );
    html!(o, "<header class=\"site-header\">\n<div class=\"bar\">\n<a class=\"brand\" href=\"{}/\">KLTS</a>\n", base);
    html!(
        o,
        "<nav aria-label=\"{}\">\n<ul>\n",
        site.s(Msg::NavMainLabel)
    );
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
            site.t(label)
        );
    }
    o.push_str("</ul>\n</nav>\n");
    html!(o, "<form class=\"search\" action=\"{}/search/\" method=\"get\" role=\"search\">\n<label for=\"site-q\" class=\"visually-hidden\">{}</label>\n<input type=\"search\" id=\"site-q\" name=\"q\" value=\"{}\" placeholder=\"{}\">\n<button type=\"submit\">{}</button>\n</form>\n", base, site.t(Msg::Search), p.q, site.s(Msg::SearchPlaceholder), site.t(Msg::Search));
    // The other languages' link to this page (its canonical address when it has one: an
    // alias shows the same page): named in their own language, marked as such.
    for lang in Lang::ALL.into_iter().filter(|l| *l != site.lang) {
        let mut href = match &p.canonical {
            Some(c) => in_lang(site, c, lang),
            None => same_page_in(site, lang),
        };
        // The search page keeps its query.
        if !p.q.is_empty() {
            href = format!("{href}?q={}", encode_segment(p.q));
        }
        html!(
            o,
            "<a class=\"lang-switch\" href=\"{}\" hreflang=\"{}\" lang=\"{}\">{}</a>\n",
            &href,
            lang.code(),
            lang.code(),
            lang.name()
        );
    }
    o.push_str("</div>\n</header>\n<main id=\"main\">\n");
    match &p.h1 {
        Some(h) => {
            html!(o, "<h1>{}</h1>\n", h);
        }
        None => {
            html!(o, "<h1>{}</h1>\n", &p.title);
        }
    }
    o.push(notices(site, &p.errors));
    o.push(p.body);
    o.push_str("</main>\n<footer class=\"site-footer\">\n<p>");
    let as_of = match (&site.advisories_newest_day, &site.advisories_newest_id) {
        (day, _) if day.is_empty() => site.t(Msg::Unknown),
        (day, Some(id)) => tr!(site, AdvisoriesAsOf, day = date(day), id = id.as_str()),
        (day, None) => date(day),
    };
    o.push(tr!(
        site,
        FooterGenerated,
        date = date(&site.date),
        as_of = as_of,
        api = api,
        base = base
    ));
    html!(
        o,
        "</p>\n<p>{}</p>\n</footer>\n</body>\n</html>\n",
        tr!(site, FooterAbout, product = product_name(site))
    );
    o
}

/// `path` (a path of this site in its language) in `lang`.
pub(super) fn in_lang(site: &Site<'_>, path: &str, lang: Lang) -> String {
    let rest = path.strip_prefix(site.lang.prefix()).unwrap_or(path);
    format!("{}{rest}", lang.prefix())
}

/// This page in `lang`: its prefix, the product's, then the path as requested.
pub(super) fn same_page_in(site: &Site<'_>, lang: Lang) -> String {
    format!("{}{}{}", lang.prefix(), site.data.base, site.path)
}

/// A page whose heading is its title and whose search box is empty: most pages.
pub(super) fn page(
    site: &Site<'_>,
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

pub(super) fn notices(site: &Site<'_>, errors: &[&SiteError]) -> Html {
    if errors.is_empty() {
        return Html::new();
    }
    let mut o = Html::new();
    html!(
        o,
        "<aside class=\"notice\" aria-label=\"{}\">\n<h2>{}</h2>\n",
        site.s(Msg::ProblemsLabel),
        site.t(Msg::ProblemsHeading)
    );
    html!(o, "<p>{}</p>\n<ul>\n", site.t(Msg::ProblemsText));
    for e in errors {
        let d = &e.diagnostic;
        html!(
            o,
            "<li><code>{}</code>: {}</li>\n",
            &d.file.display().to_string(),
            &d.message
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
