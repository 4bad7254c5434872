//! `/advisories/` and `/advisories/<id>/`.

use super::*;

pub(super) fn severity_select(site: &Site<'_>, o: &mut Html, id: &str, current: Option<Severity>) {
    html!(
        o,
        "<label for=\"{}\">{}</label>\n<select id=\"{}\" name=\"severity\">",
        id,
        site.t(Msg::SeverityAtLeast),
        id
    );
    html!(
        o,
        "<option value=\"\"{}>{}</option>",
        Html::lit(if current.is_none() { " selected" } else { "" }),
        site.t(Msg::Any)
    );
    for s in SEVERITY_CHOICES {
        let sel = current.is_some_and(|c| c.to_string() == s);
        html!(
            o,
            "<option value=\"{}\"{}>{}</option>",
            s,
            Html::lit(if sel { " selected" } else { "" }),
            Severity::parse(s).map_or_else(|| Html::text(s), |v| severity_name(site, v))
        );
    }
    o.push_str("</select>\n");
}

pub(super) fn advisories_page(site: &Site<'_>, f: &Filters) -> Html {
    let base = site.base.as_str();
    let mut o = Html::new();
    html!(
        o,
        "<p>{}</p>\n",
        tr!(site, AdvisoriesLead, product = product_name(site))
    );
    html!(
        o,
        "<form class=\"filter\" action=\"{}/advisories/\" method=\"get\">\n<div class=\"field\">\n",
        base
    );
    severity_select(site, &mut o, "adv-severity", f.severity);
    html!(o, "</div>\n<div class=\"field\">\n<label for=\"adv-q\">{}</label>\n<input type=\"search\" id=\"adv-q\" name=\"q\" value=\"{}\" placeholder=\"{}\">\n</div>\n", site.t(Msg::Text), &f.q, site.s(Msg::AdvisoryQPlaceholder));
    html!(o, "<div class=\"field actions\">\n<button type=\"submit\">{}</button>\n<a href=\"{}/advisories/\">{}</a>\n</div>\n</form>\n", site.t(Msg::Filter), base, site.t(Msg::Reset));
    let shown: Vec<&AdvisoryView> = site
        .advisories
        .iter()
        .filter(|a| f.severity.is_none_or(|min| a.advisory.severity >= min))
        .filter(|a| advisory_matches(a, &f.q))
        .collect();
    html!(
        o,
        "<p class=\"count\">{}</p>\n",
        tr!(
            site,
            CountOfAdvisories,
            shown = shown.len(),
            total = site.advisories.len()
        )
    );
    if !shown.is_empty() {
        table_start(
            &mut o,
            None,
            &[
                site.s(Msg::ColAdvisory),
                site.s(Msg::ColAliases),
                site.s(Msg::ColSeverity),
                site.s(Msg::ColScore),
                site.s(Msg::ColPublished),
                site.s(Msg::ColOpenIn),
            ],
        );
        for a in &shown {
            let s = &a.advisory;
            let aliases: Vec<Html> = s.aliases.iter().map(|x| Html::text(x)).collect();
            html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td class=\"aliases\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n", &advisory_href(site, &s.id), &s.id, if aliases.is_empty() { "—".into() } else { aliases.join_html(", ") }, severity_badge(site, s.severity), score(s.score), published(&s.published), a.open_in.len());
        }
        table_end(&mut o);
    }
    o.push(json_link(
        site,
        &api_at(site, &format!("/advisories.json{}", f.query_string())),
    ));
    page(
        site,
        site.s(Msg::NavAdvisories),
        Some(at(site, "/advisories/")),
        Nav::Advisories,
        errors_of(site, &["advisories"]),
        o,
    )
}

pub(super) fn advisory_page(site: &Site<'_>, a: &AdvisoryView) -> Html {
    let s = &a.advisory;
    let mut o = Html::new();
    if let Some(sum) = a.summary.as_deref().filter(|x| !x.trim().is_empty()) {
        html!(o, "<p class=\"lead\">{}</p>\n", sum);
    }
    o.push_str("<dl class=\"facts\">\n");
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColSeverity),
        severity_badge(site, s.severity)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::CvssScore),
        score(s.score)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::CvssVector),
        s.cvss_v3
            .as_deref()
            .map(|v| markup!("<code>{}</code>", v))
            .unwrap_or_else(|| "—".into())
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColPublished),
        published(&s.published)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColAliases),
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
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::Issue),
        s.issue
            .as_deref()
            .map(url_or_code)
            .unwrap_or_else(|| "—".into())
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::Packages),
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

    html!(
        o,
        "<h2 id=\"ranges\">{}</h2>\n",
        site.t(Msg::AffectedRanges)
    );
    let ranges: Vec<Html> = a
        .ranges
        .iter()
        .map(|r| markup!("<code>{}</code>", r))
        .collect();
    o.push(link_list(site, &ranges));
    // Line by line, as a security tracker shows it: what upstream did on the line (by the
    // status judgement at each of its patch releases) and where the line's newest LTS
    // release stands, with the evidence one click away on the release page.
    html!(o, "<h2 id=\"by-line\">{}</h2>\n", site.t(Msg::ByLine));
    if a.by_line.is_empty() {
        html!(
            o,
            "<p class=\"empty\">{}</p>\n",
            site.t(Msg::NoLineAffected)
        );
    } else {
        table_start(
            &mut o,
            None,
            &[
                site.s(Msg::ColLine),
                site.s(Msg::ColUpstream),
                site.s(Msg::ColNewestLts),
                site.s(Msg::ColStatus),
            ],
        );
        for row in &a.by_line {
            use klts_vuln::report::LineFix;
            let upstream = match &row.upstream {
                Some(LineFix::FixedIn(v)) => tr!(site, FixedIn, version = v),
                Some(LineFix::ReleasedFixed(v)) => {
                    tr!(site, ReleasedFixed, version = v)
                }
                Some(LineFix::NotAffected) => site.t(Msg::MeanNotAffected),
                Some(LineFix::Open(v)) => {
                    tr!(site, NeverFixed, version = v)
                }
                Some(LineFix::Unassessed) => site.t(Msg::NotAssessed),
                None => site.t(Msg::NeedsSourceTree),
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
                Some((name, st)) => (release_link(site, name), status_badge(site, *st)),
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
    html!(
        o,
        "<h2 id=\"fixed-lts\">{}</h2>\n",
        site.t(Msg::FixedByLtsIn)
    );
    o.push(link_list(
        site,
        &a.fixed_by_lts_in
            .iter()
            .map(|r| release_link(site, r))
            .collect::<Vec<_>>(),
    ));
    html!(o, "<h2 id=\"open\">{}</h2>\n", site.t(Msg::StillOpenIn));
    o.push(link_list(
        site,
        &a.open_in
            .iter()
            .map(|r| release_link(site, r))
            .collect::<Vec<_>>(),
    ));

    html!(
        o,
        "<h2 id=\"releases\">{}</h2>\n",
        site.t(Msg::StatusInEachRelease)
    );
    if a.statuses.is_empty() {
        html!(
            o,
            "<p class=\"empty\">{}</p>\n",
            site.t(Msg::NoReleaseToEvaluate)
        );
    } else {
        table_start(
            &mut o,
            None,
            &[site.s(Msg::ColRelease), site.s(Msg::ColStatus)],
        );
        for (name, st) in &a.statuses {
            html!(
                o,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                release_link(site, name),
                status_badge(site, *st)
            );
        }
        table_end(&mut o);
    }
    html!(
        o,
        "<h2 id=\"references\">{}</h2>\n",
        site.t(Msg::References)
    );
    o.push(link_list(
        site,
        &a.references
            .iter()
            .map(|r| url_or_code(r))
            .collect::<Vec<_>>(),
    ));
    o.push(json_link(
        site,
        &api_at(site, &format!("/advisories/{}.json", encode_segment(&s.id))),
    ));
    page(
        site,
        s.id.clone(),
        Some(advisory_href(site, &s.id)),
        Nav::Advisories,
        errors_of(site, &["advisories"]),
        o,
    )
}
