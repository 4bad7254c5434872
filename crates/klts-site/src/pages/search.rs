//! `/search/`.

use super::*;

pub(super) fn search_page(site: &Site<'_>, q: &str) -> Html {
    let base = site.base.as_str();
    let mut o = Html::new();
    html!(o, "<form class=\"filter\" action=\"{}/search/\" method=\"get\" role=\"search\">\n<div class=\"field grow\">\n<label for=\"search-q\">{}</label>\n<input type=\"search\" id=\"search-q\" name=\"q\" value=\"{}\">\n</div>\n<div class=\"field actions\">\n<button type=\"submit\">{}</button>\n</div>\n</form>\n", base, site.t(Msg::SearchLabel), q, site.t(Msg::Search));
    let q = q.trim();
    let lines: Vec<&LineView> = site
        .lines
        .iter()
        .filter(|l| q.is_empty() || line_matches(site, l, q))
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
        html!(o, "<p class=\"hint\">{}</p>\n", site.t(Msg::SearchHint));
    }
    // The script counts results in the page's language: it fills this template (`{n}`, `{q}`).
    let count = if q.is_empty() {
        Html::new()
    } else {
        let n = lines.len() + releases.len() + advisories.len();
        let key = plural(
            site.lang,
            n as i64,
            Msg::SearchResultsOne,
            Msg::SearchResults,
        );
        fill(
            site.lang,
            key,
            &[("count", markup!("{}", n)), ("q", Html::text(q))],
        )
    };
    html!(
        o,
        "<p class=\"count\" id=\"search-count\" aria-live=\"polite\" data-results=\"{}\" data-results-one=\"{}\">{}</p>\n",
        site.s(Msg::SearchResultsScript),
        site.s(Msg::SearchResultsScriptOne),
        count
    );
    html!(
        o,
        "<h2 id=\"lines\">{}</h2>\n",
        tr!(site, SearchLines, count = lines.len())
    );
    if lines.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::None));
    } else {
        o.push_str("<ul class=\"inline-list\">\n");
        for l in &lines {
            html!(
                o,
                "<li{}><a href=\"{}\">{} {}</a> {}</li>\n",
                data_terms(&line_terms(site, l)),
                &line_href(site, &l.line),
                &product_name(site),
                &l.line,
                phase_badge(site, &l.status)
            );
        }
        o.push_str("</ul>\n");
    }
    html!(
        o,
        "<h2 id=\"releases\">{}</h2>\n",
        tr!(site, SearchReleases, count = releases.len())
    );
    if releases.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::None));
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
        "<h2 id=\"advisories\">{}</h2>\n",
        tr!(site, SearchAdvisories, count = advisories.len())
    );
    if advisories.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::None));
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
                severity_badge(site, s.severity),
                extra.join_html(" · ")
            );
        }
        o.push_str("</ul>\n");
    }
    // The one script of the portal (progressive enhancement; see assets/search.js).
    html!(
        o,
        "<script src=\"{}\" defer></script>\n",
        &format!("{}/assets/search.js", site.data.base)
    );
    layout(
        site,
        Page {
            title: if q.is_empty() {
                site.s(Msg::Search)
            } else {
                fill_text(site.lang, Msg::SearchTitle, &[("q", &clip(q, 60))])
            },
            h1: Some(site.t(Msg::Search)),
            canonical: Some(at(site, "/search/")),
            nav: Nav::None,
            errors: Vec::new(),
            body: o,
            q,
        },
    )
}
