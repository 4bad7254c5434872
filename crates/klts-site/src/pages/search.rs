//! `/search/`.

use super::*;

pub(super) fn search_page(site: &SiteData, q: &str) -> Html {
    let base = site.base.as_str();
    let mut o = Html::new();
    html!(o, "<form class=\"filter\" action=\"{}/search/\" method=\"get\" role=\"search\">\n<div class=\"field grow\">\n<label for=\"search-q\">Lines, releases, advisory ids and aliases, packages, patches</label>\n<input type=\"search\" id=\"search-q\" name=\"q\" value=\"{}\">\n</div>\n<div class=\"field actions\">\n<button type=\"submit\">Search</button>\n</div>\n</form>\n", base, q);
    let q = q.trim();
    let lines: Vec<&LineView> = site
        .lines
        .iter()
        .filter(|l| q.is_empty() || line_matches(l, q))
        .collect();
    let releases: Vec<&ReleaseView> = site
        .releases
        .iter()
        .filter(|r| q.is_empty() || release_matches(r, q))
        .collect();
    let advisories: Vec<&AdvisoryView> = site
        .advisories
        .iter()
        .filter(|a| advisory_matches(a, q))
        .collect();
    if q.is_empty() {
        o.push_str("<p class=\"hint\">Enter a term above. Below is everything the portal knows: a static copy of this portal filters it as you type (with JavaScript), and without JavaScript it is there for your browser's find in page.</p>\n");
        o.push_str("<p class=\"count\" id=\"search-count\" aria-live=\"polite\"></p>\n");
    } else {
        html!(o, "<p class=\"count\" id=\"search-count\" aria-live=\"polite\">{} results for <q>{}</q>.</p>\n", lines.len() + releases.len() + advisories.len(), q);
    }
    html!(o, "<h2 id=\"lines\">Lines ({})</h2>\n", lines.len());
    if lines.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        o.push_str("<ul class=\"inline-list\">\n");
        for l in &lines {
            html!(
                o,
                "<li{}><a href=\"{}\">{} {}</a> {}</li>\n",
                data_terms(&line_terms(l)),
                &line_href(site, &l.line),
                &product_name(site),
                &l.line,
                phase_badge(&l.status)
            );
        }
        o.push_str("</ul>\n");
    }
    html!(
        o,
        "<h2 id=\"releases\">Releases ({})</h2>\n",
        releases.len()
    );
    if releases.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        o.push_str("<ul class=\"inline-list\">\n");
        for r in &releases {
            html!(
                o,
                "<li{}>{}</li>\n",
                data_terms(&release_terms(r)),
                release_link(site, &r.name)
            );
        }
        o.push_str("</ul>\n");
    }
    html!(
        o,
        "<h2 id=\"advisories\">Advisories ({})</h2>\n",
        advisories.len()
    );
    if advisories.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        o.push_str("<ul class=\"results\">\n");
        for a in &advisories {
            let s = &a.advisory;
            let mut extra: Vec<Html> = Vec::new();
            if !s.aliases.is_empty() {
                extra.push(
                    s.aliases
                        .iter()
                        .map(|x| Html::text(x))
                        .collect::<Vec<_>>()
                        .join_html(", "),
                );
            }
            if !s.packages.is_empty() {
                extra.push(
                    s.packages
                        .iter()
                        .map(|x| markup!("<code>{}</code>", x))
                        .collect::<Vec<_>>()
                        .join_html(", "),
                );
            }
            html!(
                o,
                "<li{}><a href=\"{}\">{}</a> {} <span class=\"meta\">{}</span></li>\n",
                data_terms(&advisory_terms(a)),
                &advisory_href(site, &s.id),
                &s.id,
                severity_badge(s.severity),
                extra.join_html(" · ")
            );
        }
        o.push_str("</ul>\n");
    }
    // The one script of the portal (progressive enhancement; see assets/search.js).
    html!(
        o,
        "<script src=\"{}\" defer></script>\n",
        &at(site, "/assets/search.js")
    );
    layout(
        site,
        Page {
            title: if q.is_empty() {
                "Search".into()
            } else {
                format!("Search: {}", clip(q, 60))
            },
            h1: Some("Search".into()),
            canonical: Some(at(site, "/search/")),
            nav: Nav::None,
            errors: Vec::new(),
            body: o,
            q,
        },
    )
}
