//! The 404 and 400 pages, and the page that sends readers to a moved path.

use super::*;

pub(super) fn error_links(site: &Site<'_>) -> Html {
    let base = &site.base;
    let mut o = Html::lit("<ul class=\"inline-list\">\n");
    for (href, label) in [
        ("/", Msg::NavHome),
        ("/lines/", Msg::NavLines),
        ("/releases/", Msg::NavReleases),
        ("/advisories/", Msg::NavAdvisories),
        ("/matrix/", Msg::NavMatrix),
        ("/search/", Msg::Search),
    ] {
        html!(
            o,
            "<li><a href=\"{}{}\">{}</a></li>\n",
            base,
            href,
            site.t(label)
        );
    }
    o.push_str("</ul>\n");
    o
}

/// The English 404 page for `path` (a JSON body under `/api/`).
pub fn not_found(data: &SiteData, path: &str) -> Response {
    not_found_in(&Site::new(data, Lang::En, path), path)
}

/// The 404 page for `path` in the site's language.
pub(super) fn not_found_in(site: &Site<'_>, path: &str) -> Response {
    let base = site.base.as_str();
    let api =
        path.trim_start_matches('/').starts_with("api/") || path.trim_start_matches('/') == "api";
    if api {
        return json_error(404, &format!("no such API path: {}", clip(path, 200)));
    }
    let mut o = Html::new();
    html!(
        o,
        "<p>{}</p>\n",
        tr!(site, NoPageAt, path = clip(&at(site, path), 200))
    );
    let rel = path.trim_start_matches('/');
    let hint = if rel.starts_with("releases/") {
        Some(("/releases/", Msg::NoSuchRelease))
    } else if rel.starts_with("advisories/") {
        Some(("/advisories/", Msg::NoSuchAdvisory))
    } else if rel.starts_with("lines/") {
        Some(("/lines/", Msg::NoSuchLine))
    } else {
        None
    };
    if let Some((href, text)) = hint {
        html!(
            o,
            "<p><a href=\"{}\">{}</a></p>\n",
            at(site, href),
            site.t(text)
        );
    }
    let term = rel.rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    if !term.is_empty() && term.chars().count() <= MAX_QUERY_CHARS {
        html!(
            o,
            "<p>{}</p>\n",
            tr!(
                site,
                SearchFor,
                base = base,
                term_url = encode_segment(term),
                term = term
            )
        );
    }
    o.push(error_links(site));
    Response::html(
        404,
        layout(
            site,
            Page {
                title: site.s(Msg::PageNotFound),
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

/// The generic English 404 page (the static build's `404.html`).
pub fn not_found_page(data: &SiteData) -> Response {
    not_found_page_in(data, Lang::En)
}

/// The generic 404 page in `lang` (the static build's `404.html`, `zh/404.html`).
pub fn not_found_page_in(data: &SiteData, lang: Lang) -> Response {
    not_found_page_of(&Site::new(data, lang, "/404.html"))
}

pub(super) fn not_found_page_of(site: &Site<'_>) -> Response {
    let mut o = markup!("<p>{}</p>\n", site.t(Msg::NoPageHere));
    o.push(error_links(site));
    Response::html(
        404,
        layout(
            site,
            Page {
                title: site.s(Msg::PageNotFound),
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
/// in a static build, where no server can answer 301. In the language of `to`.
pub fn moved_page(to: &str) -> String {
    let (lang, _) = Lang::of_path(to);
    markup!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<meta http-equiv=\"refresh\" content=\"0; url={}\">\n<link rel=\"canonical\" href=\"{}\">\n</head>\n<body>\n<p>{}</p>\n</body>\n</html>\n",
        lang.code(),
        i18n::text(lang, Msg::Moved),
        to,
        to,
        fill(lang, Msg::MovedTo, &[("to", Html::text(to))])
    )
    .into_string()
}

pub(super) fn bad_request(site: &Site<'_>, back: &str, errors: &[FilterError]) -> Response {
    let mut o = markup!("<p>{}</p>\n<ul>\n", site.t(Msg::BadRequestLead));
    for e in errors {
        html!(o, "<li>{}</li>\n", e.message(site.lang));
    }
    html!(
        o,
        "</ul>\n<p>{}</p>\n",
        tr!(site, WithoutFilters, href = at(site, back))
    );
    o.push(error_links(site));
    Response::html(
        400,
        layout(
            site,
            Page {
                title: site.s(Msg::BadRequest),
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
