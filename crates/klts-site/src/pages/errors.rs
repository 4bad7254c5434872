//! The 404 and 400 pages, and the page that sends readers to a moved path.

use super::*;

pub(super) fn error_links(site: &SiteData) -> Html {
    let base = &site.base;
    markup!("<ul class=\"inline-list\">\n<li><a href=\"{}/\">Home</a></li>\n<li><a href=\"{}/lines/\">Lines</a></li>\n<li><a href=\"{}/releases/\">Releases</a></li>\n<li><a href=\"{}/advisories/\">Advisories</a></li>\n<li><a href=\"{}/matrix/\">Matrix</a></li>\n<li><a href=\"{}/search/\">Search</a></li>\n</ul>\n", base, base, base, base, base, base)
}

/// The 404 page for `path` (a JSON body under `/api/`).
pub fn not_found(site: &SiteData, path: &str) -> Response {
    let base = site.base.as_str();
    let api =
        path.trim_start_matches('/').starts_with("api/") || path.trim_start_matches('/') == "api";
    if api {
        return json_error(404, &format!("no such API path: {}", clip(path, 200)));
    }
    let mut o = Html::new();
    html!(
        o,
        "<p>There is no page at <code>{}</code>.</p>\n",
        &clip(&at(site, path), 200)
    );
    let rel = path.trim_start_matches('/');
    let hint = if rel.starts_with("releases/") {
        Some(("/releases/", "No release has that name: see every release."))
    } else if rel.starts_with("advisories/") {
        Some((
            "/advisories/",
            "No advisory has that id or alias: see every advisory.",
        ))
    } else if rel.starts_with("lines/") {
        Some((
            "/lines/",
            "No line has that name (write it like 1.17): see every line.",
        ))
    } else {
        None
    };
    if let Some((href, text)) = hint {
        html!(o, "<p><a href=\"{}\">{}</a></p>\n", at(site, href), text);
    }
    let term = rel.rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    if !term.is_empty() && term.chars().count() <= MAX_QUERY_CHARS {
        html!(
            o,
            "<p><a href=\"{}/search/?q={}\">Search for <q>{}</q></a>.</p>\n",
            base,
            &encode_segment(term),
            term
        );
    }
    o.push(error_links(site));
    Response::html(
        404,
        layout(
            site,
            Page {
                title: "Page not found".into(),
                h1: None,
                canonical: None,
                nav: Nav::None,
                // A release or advisory may be missing because a workspace file is broken:
                // say so where the user looks for it.
                errors: if rel.starts_with("releases/") || rel.starts_with("lines/") {
                    errors_of(site, &["releases"])
                } else if rel.starts_with("advisories/") {
                    errors_of(site, &["advisories"])
                } else {
                    Vec::new()
                },
                body: o,
                q: "",
            },
        ),
    )
}

/// The generic 404 page (the static build's `404.html`).
pub fn not_found_page(site: &SiteData) -> Response {
    let mut o = Html::lit("<p>There is no page at this address.</p>\n");
    o.push(error_links(site));
    Response::html(
        404,
        layout(
            site,
            Page {
                title: "Page not found".into(),
                h1: None,
                canonical: None,
                nav: Nav::None,
                errors: Vec::new(),
                body: o,
                q: "",
            },
        ),
    )
}

/// A page that sends the reader to `to` (a path of this portal): for klts.io's old addresses
/// in a static build, where no server can answer 301.
pub fn moved_page(to: &str) -> String {
    markup!("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved</title>\n<meta http-equiv=\"refresh\" content=\"0; url={}\">\n<link rel=\"canonical\" href=\"{}\">\n</head>\n<body>\n<p>This page moved to <a href=\"{}\">{}</a>.</p>\n</body>\n</html>\n", to, to, to, to).into_string()
}

pub(super) fn bad_request(site: &SiteData, back: &str, errors: &[String]) -> Response {
    let mut o = Html::lit("<p>The address asks for something this page cannot show:</p>\n<ul>\n");
    for e in errors {
        html!(o, "<li>{}</li>\n", e);
    }
    html!(
        o,
        "</ul>\n<p><a href=\"{}\">Show the page without filters</a>.</p>\n",
        &at(site, back)
    );
    o.push(error_links(site));
    Response::html(
        400,
        layout(
            site,
            Page {
                title: "Bad request".into(),
                h1: None,
                canonical: None,
                nav: Nav::None,
                errors: Vec::new(),
                body: o,
                q: "",
            },
        ),
    )
}
