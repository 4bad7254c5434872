//! `/matrix/` and `/matrix/severity/<sev>/`.

use super::*;

pub(super) fn matrix_page(site: &Site<'_>, f: &Filters, static_view: bool) -> Html {
    let base = site.base.as_str();
    let m = filter_matrix(site, f);
    let mut o = Html::new();
    html!(o, "<p>{}</p>\n", site.t(Msg::MatrixLead));
    html!(
        o,
        "<form class=\"filter\" action=\"{}/matrix/\" method=\"get\">\n<div class=\"field\">\n",
        base
    );
    severity_select(site, &mut o, "mx-severity", f.severity);
    html!(o, "</div>\n<div class=\"field\">\n<label for=\"mx-line\">{}</label>\n<select id=\"mx-line\" name=\"line\">", site.t(Msg::ColLine));
    html!(
        o,
        "<option value=\"\"{}>{}</option>",
        Html::lit(if f.lines.is_empty() { " selected" } else { "" }),
        site.t(Msg::Any)
    );
    let mut matrix_lines: Vec<MinorLine> = site
        .matrix
        .releases
        .iter()
        .filter_map(|r| release_line(r))
        .collect();
    matrix_lines.sort();
    matrix_lines.dedup();
    for l in matrix_lines.iter().rev() {
        let sel = f.lines.len() == 1 && f.lines[0] == *l;
        html!(
            o,
            "<option value=\"{}\"{}>{}</option>",
            l,
            Html::lit(if sel { " selected" } else { "" }),
            l
        );
    }
    html!(o, "</select>\n</div>\n<div class=\"field\">\n<label for=\"mx-status\">{}</label>\n<select id=\"mx-status\" name=\"status\">", site.t(Msg::ColStatus));
    html!(
        o,
        "<option value=\"\"{}>{}</option>",
        Html::lit(if f.statuses.is_empty() {
            " selected"
        } else {
            ""
        }),
        site.t(Msg::Any)
    );
    for s in StatusKind::ALL {
        let sel = f.statuses.len() == 1 && f.statuses[0] == s;
        html!(
            o,
            "<option value=\"{}\"{}>{}</option>",
            s,
            Html::lit(if sel { " selected" } else { "" }),
            status_name(site, s)
        );
    }
    html!(o, "</select>\n</div>\n<div class=\"field actions\">\n<button type=\"submit\">{}</button>\n<a href=\"{}/matrix/\">{}</a>\n</div>\n</form>\n", site.t(Msg::Filter), base, site.t(Msg::Reset));
    let statics: Vec<Html> = STATIC_MATRIX_SEVERITIES
        .iter()
        .map(|s| {
            let name = Severity::parse(s).map_or_else(|| Html::text(s), |v| severity_name(site, v));
            let label = if *s == "critical" {
                name
            } else {
                tr!(site, SeverityAndAbove, severity = name)
            };
            markup!("<a href=\"{}/matrix/severity/{}/\">{}</a>", base, s, label)
        })
        .collect();
    html!(
        o,
        "<p class=\"hint\">{}</p>\n",
        tr!(
            site,
            MatrixHint,
            links = statics.join_html(i18n::text(site.lang, Msg::ListSeparator))
        )
    );
    if static_view {
        html!(
            o,
            "<p class=\"note\">{}</p>\n",
            tr!(
                site,
                ShowingSeverity,
                severity = f
                    .severity
                    .map_or_else(|| site.t(Msg::Any), |s| severity_name(site, s))
            )
        );
    }
    html!(
        o,
        "<ul class=\"legend\" aria-label=\"{}\">\n",
        site.s(Msg::Legend)
    );
    for s in StatusKind::ALL {
        html!(
            o,
            "<li><span class=\"cell st-{}\">{}</span> {}</li>\n",
            s,
            status_short(site, s),
            status_meaning(site, s)
        );
    }
    o.push_str("</ul>\n");
    html!(
        o,
        "<p class=\"count\">{}</p>\n",
        tr!(
            site,
            MatrixCount,
            advisories = m.rows.len(),
            releases = m.columns.len()
        )
    );
    if m.columns.is_empty() || m.rows.is_empty() {
        let why = if site.matrix.releases.is_empty() {
            site.t(Msg::MatrixNoRelease)
        } else {
            site.t(Msg::NothingMatches)
        };
        html!(o, "<p class=\"empty\">{}</p>\n", why);
    } else {
        html!(o, "<div class=\"table-wrap matrix-wrap\">\n<table class=\"matrix\">\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>", site.t(Msg::ColAdvisory), site.t(Msg::ColSeverity));
        for &i in &m.columns {
            let name = site
                .matrix
                .releases
                .get(i)
                .map(String::as_str)
                .unwrap_or("");
            html!(
                o,
                "<th scope=\"col\" class=\"rel\">{}</th>",
                release_link(site, name)
            );
        }
        o.push_str("</tr></thead>\n<tbody>\n");
        for row in &m.rows {
            html!(
                o,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td>",
                &advisory_href(site, &row.advisory.id),
                &row.advisory.id,
                severity_badge(site, row.advisory.severity)
            );
            for &i in &m.columns {
                match row.cells.get(i) {
                    Some(c) => {
                        let release = site
                            .matrix
                            .releases
                            .get(i)
                            .map(String::as_str)
                            .unwrap_or("");
                        let mut title = format!("{release}: {}", site.s(status_msg(c.status)));
                        if let Some(e) = c.evidence.first() {
                            let _ = write!(title, " — {e}");
                        }
                        html!(
                            o,
                            "<td class=\"cell st-{}\" title=\"{}\">{}</td>",
                            c.status,
                            &title,
                            status_short(site, c.status)
                        );
                    }
                    None => o.push_str("<td class=\"cell\">—</td>"),
                }
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table>\n</div>\n");
    }
    o.push(json_link(
        site,
        &api_at(site, &format!("/matrix.json{}", f.query_string())),
    ));
    let canonical = if static_view {
        f.severity
            .map(|s| at(site, &format!("/matrix/severity/{s}/")))
    } else {
        Some(at(site, "/matrix/"))
    };
    layout(
        site,
        Page {
            title: if static_view {
                fill_text(
                    site.lang,
                    Msg::MatrixAtLeastTitle,
                    &[(
                        "severity",
                        &f.severity
                            .map(|s| site.s(severity_msg(s)))
                            .unwrap_or_default(),
                    )],
                )
            } else {
                site.s(Msg::NavMatrix)
            },
            h1: None,
            canonical,
            nav: Nav::Matrix,
            errors: errors_of(site, &["advisories", "releases"]),
            body: o,
            q: "",
        },
    )
}
