//! `/advisories/` and `/advisories/<id>/`.

use super::*;

pub(super) fn severity_select(o: &mut Html, id: &str, current: Option<Severity>) {
    html!(
        o,
        "<label for=\"{}\">Severity at least</label>\n<select id=\"{}\" name=\"severity\">",
        id,
        id
    );
    html!(
        o,
        "<option value=\"\"{}>any</option>",
        Html::lit(if current.is_none() { " selected" } else { "" })
    );
    for s in SEVERITY_CHOICES {
        let sel = current.is_some_and(|c| c.to_string() == s);
        html!(
            o,
            "<option value=\"{}\"{}>{}</option>",
            s,
            Html::lit(if sel { " selected" } else { "" }),
            s
        );
    }
    o.push_str("</select>\n");
}

pub(super) fn advisories_page(site: &SiteData, f: &Filters) -> Html {
    let base = site.base.as_str();
    let mut o = Html::new();
    html!(o, "<p>Advisories concerning {}, its Go dependencies and Go itself, with the number of LTS releases each still affects. Summaries appear only when synced from a feed.</p>\n", &product_name(site));
    html!(
        o,
        "<form class=\"filter\" action=\"{}/advisories/\" method=\"get\">\n<div class=\"field\">\n",
        base
    );
    severity_select(&mut o, "adv-severity", f.severity);
    html!(o, "</div>\n<div class=\"field\">\n<label for=\"adv-q\">Text</label>\n<input type=\"search\" id=\"adv-q\" name=\"q\" value=\"{}\" placeholder=\"id, alias, package\">\n</div>\n", &f.q);
    html!(o, "<div class=\"field actions\">\n<button type=\"submit\">Filter</button>\n<a href=\"{}/advisories/\">Reset</a>\n</div>\n</form>\n", base);
    let shown: Vec<&AdvisoryView> = site
        .advisories
        .iter()
        .filter(|a| f.severity.is_none_or(|min| a.advisory.severity >= min))
        .filter(|a| advisory_matches(a, &f.q))
        .collect();
    html!(
        o,
        "<p class=\"count\">{} of {} advisories.</p>\n",
        shown.len(),
        site.advisories.len()
    );
    if !shown.is_empty() {
        table_start(
            &mut o,
            None,
            &[
                "Advisory",
                "Aliases",
                "Severity",
                "Score",
                "Published",
                "Open in",
            ],
        );
        for a in &shown {
            let s = &a.advisory;
            let aliases: Vec<Html> = s.aliases.iter().map(|x| Html::text(x)).collect();
            html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"aliases\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n", &advisory_href(site, &s.id), &s.id, if aliases.is_empty() { "—".into() } else { aliases.join_html(", ") }, severity_badge(s.severity), score(s.score), published(&s.published), a.open_in.len());
        }
        table_end(&mut o);
    }
    o.push(json_link(&api_at(
        site,
        &format!("/advisories.json{}", f.query_string()),
    )));
    page(
        site,
        "Advisories".into(),
        Some(at(site, "/advisories/")),
        Nav::Advisories,
        errors_of(site, &["advisories"]),
        o,
    )
}

pub(super) fn advisory_page(site: &SiteData, a: &AdvisoryView) -> Html {
    let s = &a.advisory;
    let mut o = Html::new();
    if let Some(sum) = a.summary.as_deref().filter(|x| !x.trim().is_empty()) {
        html!(o, "<p class=\"lead\">{}</p>\n", sum);
    }
    o.push_str("<dl class=\"facts\">\n");
    html!(
        o,
        "<dt>Severity</dt><dd>{}</dd>\n",
        severity_badge(s.severity)
    );
    html!(o, "<dt>CVSS score</dt><dd>{}</dd>\n", score(s.score));
    html!(
        o,
        "<dt>CVSS vector</dt><dd>{}</dd>\n",
        s.cvss_v3
            .as_deref()
            .map(|v| markup!("<code>{}</code>", v))
            .unwrap_or_else(|| "—".into())
    );
    html!(
        o,
        "<dt>Published</dt><dd>{}</dd>\n",
        published(&s.published)
    );
    html!(
        o,
        "<dt>Aliases</dt><dd>{}</dd>\n",
        if s.aliases.is_empty() {
            "—".into()
        } else {
            s.aliases
                .iter()
                .map(|x| Html::text(x))
                .collect::<Vec<_>>()
                .join_html(", ")
        }
    );
    html!(
        o,
        "<dt>Issue</dt><dd>{}</dd>\n",
        s.issue
            .as_deref()
            .map(url_or_code)
            .unwrap_or_else(|| "—".into())
    );
    html!(
        o,
        "<dt>Packages</dt><dd>{}</dd>\n",
        if s.packages.is_empty() {
            "—".into()
        } else {
            s.packages
                .iter()
                .map(|p| markup!("<code>{}</code>", p))
                .collect::<Vec<_>>()
                .join_html(", ")
        }
    );
    o.push_str("</dl>\n");

    o.push_str("<h2 id=\"ranges\">Affected ranges</h2>\n");
    let ranges: Vec<Html> = a
        .ranges
        .iter()
        .map(|r| markup!("<code>{}</code>", r))
        .collect();
    o.push(link_list(&ranges));
    // Line by line, as a security tracker shows it: what upstream did on the line (by the
    // status judgement at each of its patch releases) and where the line's newest LTS
    // release stands, with the evidence one click away on the release page.
    o.push_str("<h2 id=\"by-line\">By line</h2>\n");
    if a.by_line.is_empty() {
        o.push_str("<p class=\"empty\">No line is known to be affected.</p>\n");
    } else {
        table_start(
            &mut o,
            None,
            &["Line", "Upstream", "Newest LTS release", "Status"],
        );
        for row in &a.by_line {
            use klts_vuln::report::LineFix;
            let upstream = match &row.upstream {
                Some(LineFix::FixedIn(v)) => markup!("fixed in <code>{}</code>", v),
                Some(LineFix::ReleasedFixed(v)) => {
                    markup!("released fixed (<code>{}</code>)", v)
                }
                Some(LineFix::NotAffected) => "not affected".into(),
                Some(LineFix::Open(v)) => {
                    markup!("<strong>never fixed</strong> (up to <code>{}</code>)", v)
                }
                Some(LineFix::Unassessed) => {
                    "not assessed (out of upstream support when published)".into()
                }
                None => "needs the source tree".into(),
            };
            let line_cell = if site.line(&row.line).is_some() {
                markup!(
                    "<a href=\"{}\">{}</a>",
                    &line_href(site, &row.line),
                    &row.line
                )
            } else {
                Html::text(&row.line)
            };
            let (release, status) = match &row.lts {
                Some((name, st)) => (release_link(site, name), status_badge(*st)),
                None => ("—".into(), "—".into()),
            };
            html!(
                o,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                line_cell,
                upstream,
                release,
                status
            );
        }
        table_end(&mut o);
    }
    o.push_str("<h2 id=\"fixed-lts\">Fixed by LTS in</h2>\n");
    o.push(link_list(
        &a.fixed_by_lts_in
            .iter()
            .map(|r| release_link(site, r))
            .collect::<Vec<_>>(),
    ));
    o.push_str("<h2 id=\"open\">Still open in</h2>\n");
    o.push(link_list(
        &a.open_in
            .iter()
            .map(|r| release_link(site, r))
            .collect::<Vec<_>>(),
    ));

    o.push_str("<h2 id=\"releases\">Status in each release</h2>\n");
    if a.statuses.is_empty() {
        o.push_str("<p class=\"empty\">No LTS release to evaluate.</p>\n");
    } else {
        table_start(&mut o, None, &["Release", "Status"]);
        for (name, st) in &a.statuses {
            html!(
                o,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                release_link(site, name),
                status_badge(*st)
            );
        }
        table_end(&mut o);
    }
    o.push_str("<h2 id=\"references\">References</h2>\n");
    o.push(link_list(
        &a.references
            .iter()
            .map(|r| url_or_code(r))
            .collect::<Vec<_>>(),
    ));
    o.push(json_link(&api_at(
        site,
        &format!("/advisories/{}.json", encode_segment(&s.id)),
    )));
    page(
        site,
        s.id.clone(),
        Some(advisory_href(site, &s.id)),
        Nav::Advisories,
        errors_of(site, &["advisories"]),
        o,
    )
}
