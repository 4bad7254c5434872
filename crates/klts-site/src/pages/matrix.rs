//! `/matrix/` and `/matrix/severity/<sev>/`.

use super::*;

pub(super) fn matrix_page(site: &SiteData, f: &Filters, static_view: bool) -> Html {
    let base = site.base.as_str();
    let m = filter_matrix(site, f);
    let mut o = Html::new();
    o.push_str(
        "<p>The status of every advisory that concerns some LTS release, release by release.</p>\n",
    );
    html!(
        o,
        "<form class=\"filter\" action=\"{}/matrix/\" method=\"get\">\n<div class=\"field\">\n",
        base
    );
    severity_select(&mut o, "mx-severity", f.severity);
    o.push_str("</div>\n<div class=\"field\">\n<label for=\"mx-line\">Line</label>\n<select id=\"mx-line\" name=\"line\">");
    html!(
        o,
        "<option value=\"\"{}>any</option>",
        Html::lit(if f.lines.is_empty() { " selected" } else { "" })
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
    o.push_str("</select>\n</div>\n<div class=\"field\">\n<label for=\"mx-status\">Status</label>\n<select id=\"mx-status\" name=\"status\">");
    html!(
        o,
        "<option value=\"\"{}>any</option>",
        Html::lit(if f.statuses.is_empty() {
            " selected"
        } else {
            ""
        })
    );
    for s in StatusKind::ALL {
        let sel = f.statuses.len() == 1 && f.statuses[0] == s;
        html!(
            o,
            "<option value=\"{}\"{}>{}</option>",
            s,
            Html::lit(if sel { " selected" } else { "" }),
            s
        );
    }
    html!(o, "</select>\n</div>\n<div class=\"field actions\">\n<button type=\"submit\">Filter</button>\n<a href=\"{}/matrix/\">Reset</a>\n</div>\n</form>\n", base);
    o.push_str("<p class=\"hint\">Also: ");
    let statics: Vec<Html> = STATIC_MATRIX_SEVERITIES
        .iter()
        .map(|s| {
            markup!(
                "<a href=\"{}/matrix/severity/{}/\">{}{}</a>",
                base,
                s,
                s,
                if *s == "critical" { "" } else { " and above" }
            )
        })
        .collect();
    o.push(statics.join_html(", "));
    o.push_str(
        ". Status filters keep advisories with that status in at least one shown release.</p>\n",
    );
    if static_view {
        html!(
            o,
            "<p class=\"note\">Showing advisories of severity {} and above.</p>\n",
            f.severity
                .map(|s| s.to_string())
                .unwrap_or_else(|| "any".into())
        );
    }
    o.push_str("<ul class=\"legend\" aria-label=\"Legend\">\n");
    for s in StatusKind::ALL {
        html!(
            o,
            "<li><span class=\"cell st-{}\">{}</span> {}</li>\n",
            s,
            status_short(s),
            status_meaning(s)
        );
    }
    o.push_str("</ul>\n");
    html!(
        o,
        "<p class=\"count\">{} advisories × {} releases.</p>\n",
        m.rows.len(),
        m.columns.len()
    );
    if m.columns.is_empty() || m.rows.is_empty() {
        let why = if site.matrix.releases.is_empty() {
            "No LTS release to show: the portal was built without releases."
        } else {
            "Nothing matches these filters."
        };
        html!(o, "<p class=\"empty\">{}</p>\n", why);
    } else {
        o.push_str("<div class=\"table-wrap matrix-wrap\">\n<table class=\"matrix\">\n<thead><tr><th scope=\"col\">Advisory</th><th scope=\"col\">Severity</th>");
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
                severity_badge(row.advisory.severity)
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
                        let mut title = format!("{release}: {}", c.status);
                        if let Some(e) = c.evidence.first() {
                            let _ = write!(title, " — {e}");
                        }
                        html!(
                            o,
                            "<td class=\"cell st-{}\" title=\"{}\">{}</td>",
                            c.status,
                            &title,
                            status_short(c.status)
                        );
                    }
                    None => o.push_str("<td class=\"cell\">—</td>"),
                }
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table>\n</div>\n");
    }
    o.push(json_link(&api_at(
        site,
        &format!("/matrix.json{}", f.query_string()),
    )));
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
                format!(
                    "Matrix: {} and above",
                    f.severity.map(|s| s.to_string()).unwrap_or_default()
                )
            } else {
                "Matrix".into()
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
