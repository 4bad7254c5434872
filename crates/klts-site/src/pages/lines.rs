//! `/lines/` and `/lines/<x.y>/`.

use super::*;

pub(super) fn lines_table(site: &SiteData, o: &mut Html, lines: &[&LineView]) {
    table_start(
        o,
        None,
        &[
            "Line",
            "Phase",
            "Released",
            "Community end of life",
            "LTS ends",
            "Support ends",
            "Days left",
            "In program",
            "Newest",
            "LTS releases",
        ],
    );
    for l in lines {
        let st = &l.status;
        let newest = l
            .newest
            .as_deref()
            .map(|n| release_link(site, n))
            .unwrap_or_else(|| "—".into());
        html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n", &line_href(site, &l.line), &l.line, phase_badge(st), opt_date(&Some(st.released)), opt_date(&st.community_eol), end_date(st, &st.lts_end), end_date(st, &st.support_end), days_left(st.days_left), yes_no(st.in_program), newest, l.releases.len());
    }
    table_end(o);
}

pub(super) fn lines_page(site: &SiteData) -> Html {
    let mut o = Html::new();
    html!(o, "<p>Every {} minor line, its lifecycle dates on {} and its newest release. Lines in the program get LTS releases after their community end of life.</p>\n", &product_name(site), &site.date.to_string());
    if site.lines.is_empty() {
        o.push_str("<p class=\"empty\">No line is known.</p>\n");
    } else {
        let all: Vec<&LineView> = site.lines.iter().collect();
        lines_table(site, &mut o, &all);
    }
    o.push(json_link(&api_at(site, "/lines.json")));
    page(
        site,
        "Lines".into(),
        Some(at(site, "/lines/")),
        Nav::Lines,
        errors_of(site, &["releases", "lifecycle"]),
        o,
    )
}

pub(super) fn line_page(site: &SiteData, l: &LineView) -> Html {
    let base = site.base.as_str();
    let st = &l.status;
    let product = product_name(site);
    let mut o = Html::new();
    o.push_str("<dl class=\"facts\">\n");
    html!(o, "<dt>Phase</dt><dd>{}</dd>\n", phase_badge(st));
    html!(
        o,
        "<dt>Released</dt><dd>{}</dd>\n",
        &st.released.to_string()
    );
    html!(
        o,
        "<dt>Community end of life</dt><dd>{}</dd>\n",
        opt_date(&st.community_eol)
    );
    html!(
        o,
        "<dt>LTS ends</dt><dd>{}{}</dd>\n",
        end_date(st, &st.lts_end),
        Html::lit(match st.lts_basis {
            Some("policy") => " (the program's decision)",
            _ => "",
        })
    );
    html!(
        o,
        "<dt>Support ends</dt><dd>{}</dd>\n",
        end_date(st, &st.support_end)
    );
    if let Some(a) = &st.activity {
        html!(
            o,
            "<dt>Newest LTS release shipped</dt><dd>{} on <span class=\"date\">{}</span></dd>\n",
            &a.release,
            &a.date.to_string()
        );
    }
    html!(
        o,
        "<dt>Days of support left</dt><dd>{}</dd>\n",
        days_left(st.days_left)
    );
    html!(
        o,
        "<dt>In the LTS program</dt><dd>{}</dd>\n",
        yes_no(st.in_program)
    );
    let upstream = st
        .latest_patch
        .as_deref()
        .map(|p| markup!("<code>v{}</code>", p.trim_start_matches('v')))
        .unwrap_or_else(|| "—".into());
    html!(o, "<dt>Upstream latest patch</dt><dd>{}</dd>\n", upstream);
    let newest = l
        .newest
        .as_deref()
        .map(|n| release_link(site, n))
        .unwrap_or_else(|| "—".into());
    html!(o, "<dt>Newest release</dt><dd>{}</dd>\n", newest);
    o.push_str("</dl>\n");
    // The policy and what the program did disagree: say it where users look.
    if let Some(d) = &st.disagreement {
        html!(o, "<p class=\"notice\">The support dates above and the program's activity disagree: {}.</p>\n", d);
    }
    o.push_str("<h2 id=\"releases\">LTS releases</h2>\n");
    let releases: Vec<&ReleaseView> = l.releases.iter().filter_map(|n| site.release(n)).collect();
    if releases.is_empty() {
        o.push_str("<p class=\"empty\">No LTS release of this line.</p>\n");
    } else {
        releases_table(site, &mut o, &releases);
    }
    if let Some(r) = l.newest.as_deref().and_then(|n| site.release(n)) {
        html!(o, "<h2 id=\"open\">Open advisories of {}</h2>\n", &r.name);
        let links: Vec<Html> = l
            .open_advisories
            .iter()
            .map(|id| advisory_link(site, id))
            .collect();
        o.push(link_list(&links));
    }
    html!(o, "<p>See the <a href=\"{}/lifecycle/\">lifecycle</a> of every line, or the <a href=\"{}/matrix/?line={}\">matrix of this line</a>.</p>\n", base, base, &encode_segment(&l.line));
    o.push(json_link(&api_at(
        site,
        &format!("/lines/{}.json", encode_segment(&l.line)),
    )));
    page(
        site,
        format!("{product} {}", l.line),
        Some(line_href(site, &l.line)),
        Nav::Lines,
        errors_of(site, &["releases", "lifecycle"]),
        o,
    )
}
