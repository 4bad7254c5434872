//! `/advisories/` and `/advisories/<id>/`.

use super::*;

pub(super) fn severity_select(o: &mut String, id: &str, current: Option<Severity>) {
    let _ = write!(
        o,
        "<label for=\"{id}\">Severity at least</label>\n<select id=\"{id}\" name=\"severity\">"
    );
    let _ = write!(
        o,
        "<option value=\"\"{}>any</option>",
        if current.is_none() { " selected" } else { "" }
    );
    for s in SEVERITY_CHOICES {
        let sel = current.is_some_and(|c| c.to_string() == s);
        let _ = write!(
            o,
            "<option value=\"{s}\"{}>{s}</option>",
            if sel { " selected" } else { "" }
        );
    }
    o.push_str("</select>\n");
}

pub(super) fn advisories_page(site: &SiteData, f: &Filters) -> String {
    let base = site.base.as_str();
    let mut o = String::new();
    let _ = writeln!(o, "<p>Advisories concerning {}, its Go dependencies and Go itself, with the number of LTS releases each still affects. Summaries appear only when synced from a feed.</p>", Esc(&product_name(site)));
    let _ = write!(
        o,
        "<form class=\"filter\" action=\"{base}/advisories/\" method=\"get\">\n<div class=\"field\">\n",
    );
    severity_select(&mut o, "adv-severity", f.severity);
    let _ = write!(
        o,
        "</div>\n<div class=\"field\">\n<label for=\"adv-q\">Text</label>\n<input type=\"search\" id=\"adv-q\" name=\"q\" value=\"{}\" placeholder=\"id, alias, package\">\n</div>\n",
        Esc(&f.q)
    );
    let _ = write!(o, "<div class=\"field actions\">\n<button type=\"submit\">Filter</button>\n<a href=\"{base}/advisories/\">Reset</a>\n</div>\n</form>\n");
    let shown: Vec<&AdvisoryView> = site
        .advisories
        .iter()
        .filter(|a| f.severity.is_none_or(|min| a.advisory.severity >= min))
        .filter(|a| advisory_matches(a, &f.q))
        .collect();
    let _ = writeln!(
        o,
        "<p class=\"count\">{} of {} advisories.</p>",
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
            let aliases: Vec<String> = s.aliases.iter().map(|x| Esc(x).to_string()).collect();
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"aliases\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                Esc(&advisory_href(site, &s.id)),
                Esc(&s.id),
                if aliases.is_empty() { "—".into() } else { aliases.join(", ") },
                severity_badge(s.severity),
                score(s.score),
                published(&s.published),
                a.open_in.len()
            );
        }
        table_end(&mut o);
    }
    o.push_str(&json_link(&api_at(
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

pub(super) fn advisory_page(site: &SiteData, a: &AdvisoryView) -> String {
    let s = &a.advisory;
    let mut o = String::new();
    if let Some(sum) = a.summary.as_deref().filter(|x| !x.trim().is_empty()) {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", Esc(sum));
    }
    o.push_str("<dl class=\"facts\">\n");
    let _ = writeln!(
        o,
        "<dt>Severity</dt><dd>{}</dd>",
        severity_badge(s.severity)
    );
    let _ = writeln!(o, "<dt>CVSS score</dt><dd>{}</dd>", score(s.score));
    let _ = writeln!(
        o,
        "<dt>CVSS vector</dt><dd>{}</dd>",
        s.cvss_v3
            .as_deref()
            .map(|v| format!("<code>{}</code>", Esc(v)))
            .unwrap_or_else(|| "—".into())
    );
    let _ = writeln!(o, "<dt>Published</dt><dd>{}</dd>", published(&s.published));
    let _ = writeln!(
        o,
        "<dt>Aliases</dt><dd>{}</dd>",
        if s.aliases.is_empty() {
            "—".into()
        } else {
            s.aliases
                .iter()
                .map(|x| Esc(x).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let _ = writeln!(
        o,
        "<dt>Issue</dt><dd>{}</dd>",
        s.issue
            .as_deref()
            .map(url_or_code)
            .unwrap_or_else(|| "—".into())
    );
    let _ = writeln!(
        o,
        "<dt>Packages</dt><dd>{}</dd>",
        if s.packages.is_empty() {
            "—".into()
        } else {
            s.packages
                .iter()
                .map(|p| format!("<code>{}</code>", Esc(p)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    o.push_str("</dl>\n");

    o.push_str("<h2 id=\"ranges\">Affected ranges</h2>\n");
    let ranges: Vec<String> = a
        .ranges
        .iter()
        .map(|r| format!("<code>{}</code>", Esc(r)))
        .collect();
    o.push_str(&link_list(&ranges));
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
                Some(LineFix::FixedIn(v)) => format!("fixed in <code>{}</code>", Esc(v)),
                Some(LineFix::ReleasedFixed(v)) => {
                    format!("released fixed (<code>{}</code>)", Esc(v))
                }
                Some(LineFix::NotAffected) => "not affected".into(),
                Some(LineFix::Open(v)) => {
                    format!(
                        "<strong>never fixed</strong> (up to <code>{}</code>)",
                        Esc(v)
                    )
                }
                Some(LineFix::Unassessed) => {
                    "not assessed (out of upstream support when published)".into()
                }
                None => "needs the source tree".into(),
            };
            let line_cell = if site.line(&row.line).is_some() {
                format!(
                    "<a href=\"{}\">{}</a>",
                    Esc(&line_href(site, &row.line)),
                    Esc(&row.line)
                )
            } else {
                Esc(&row.line).to_string()
            };
            let (release, status) = match &row.lts {
                Some((name, st)) => (release_link(site, name), status_badge(*st)),
                None => ("—".into(), "—".into()),
            };
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\">{line_cell}</th><td>{upstream}</td><td>{release}</td><td>{status}</td></tr>"
            );
        }
        table_end(&mut o);
    }
    o.push_str("<h2 id=\"fixed-lts\">Fixed by LTS in</h2>\n");
    o.push_str(&link_list(
        &a.fixed_by_lts_in
            .iter()
            .map(|r| release_link(site, r))
            .collect::<Vec<_>>(),
    ));
    o.push_str("<h2 id=\"open\">Still open in</h2>\n");
    o.push_str(&link_list(
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
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                release_link(site, name),
                status_badge(*st)
            );
        }
        table_end(&mut o);
    }
    o.push_str("<h2 id=\"references\">References</h2>\n");
    o.push_str(&link_list(
        &a.references
            .iter()
            .map(|r| url_or_code(r))
            .collect::<Vec<_>>(),
    ));
    o.push_str(&json_link(&api_at(
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
