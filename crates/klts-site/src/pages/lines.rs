//! `/lines/` and `/lines/<x.y>/`.

use super::*;

pub(super) fn lines_table(site: &SiteData, o: &mut String, lines: &[&LineView]) {
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
        let _ = writeln!(
            o,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            Esc(&line_href(site, &l.line)),
            Esc(&l.line),
            phase_badge(st),
            opt_date(&Some(st.released)),
            opt_date(&st.community_eol),
            end_date(st, &st.lts_end),
            end_date(st, &st.support_end),
            days_left(st.days_left),
            yes_no(st.in_program),
            newest,
            l.releases.len()
        );
    }
    table_end(o);
}

pub(super) fn lines_page(site: &SiteData) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "<p>Every {} minor line, its lifecycle dates on {} and its newest release. Lines in the program get LTS releases after their community end of life.</p>", Esc(&product_name(site)), Esc(&site.date.to_string()));
    if site.lines.is_empty() {
        o.push_str("<p class=\"empty\">No line is known.</p>\n");
    } else {
        let all: Vec<&LineView> = site.lines.iter().collect();
        lines_table(site, &mut o, &all);
    }
    o.push_str(&json_link(&api_at(site, "/lines.json")));
    page(
        site,
        "Lines".into(),
        Some(at(site, "/lines/")),
        Nav::Lines,
        errors_of(site, &["releases", "lifecycle"]),
        o,
    )
}

pub(super) fn line_page(site: &SiteData, l: &LineView) -> String {
    let base = site.base.as_str();
    let st = &l.status;
    let product = product_name(site);
    let mut o = String::new();
    o.push_str("<dl class=\"facts\">\n");
    let _ = writeln!(o, "<dt>Phase</dt><dd>{}</dd>", phase_badge(st));
    let _ = writeln!(
        o,
        "<dt>Released</dt><dd>{}</dd>",
        Esc(&st.released.to_string())
    );
    let _ = writeln!(
        o,
        "<dt>Community end of life</dt><dd>{}</dd>",
        opt_date(&st.community_eol)
    );
    let _ = writeln!(
        o,
        "<dt>LTS ends</dt><dd>{}{}</dd>",
        end_date(st, &st.lts_end),
        match st.lts_basis {
            Some("policy") => " (the program's decision)",
            _ => "",
        }
    );
    let _ = writeln!(
        o,
        "<dt>Support ends</dt><dd>{}</dd>",
        end_date(st, &st.support_end)
    );
    if let Some(a) = &st.activity {
        let _ = writeln!(
            o,
            "<dt>Newest LTS release shipped</dt><dd>{} on <span class=\"date\">{}</span></dd>",
            Esc(&a.release),
            Esc(&a.date.to_string())
        );
    }
    let _ = writeln!(
        o,
        "<dt>Days of support left</dt><dd>{}</dd>",
        days_left(st.days_left)
    );
    let _ = writeln!(
        o,
        "<dt>In the LTS program</dt><dd>{}</dd>",
        yes_no(st.in_program)
    );
    let upstream = st
        .latest_patch
        .as_deref()
        .map(|p| format!("<code>v{}</code>", Esc(p.trim_start_matches('v'))))
        .unwrap_or_else(|| "—".into());
    let _ = writeln!(o, "<dt>Upstream latest patch</dt><dd>{upstream}</dd>");
    let newest = l
        .newest
        .as_deref()
        .map(|n| release_link(site, n))
        .unwrap_or_else(|| "—".into());
    let _ = writeln!(o, "<dt>Newest release</dt><dd>{newest}</dd>");
    o.push_str("</dl>\n");
    // The policy and what the program did disagree: say it where users look.
    if let Some(d) = &st.disagreement {
        let _ = writeln!(
            o,
            "<p class=\"notice\">The support dates above and the program's activity disagree: {}.</p>",
            Esc(d)
        );
    }
    o.push_str("<h2 id=\"releases\">LTS releases</h2>\n");
    let releases: Vec<&ReleaseView> = l.releases.iter().filter_map(|n| site.release(n)).collect();
    if releases.is_empty() {
        o.push_str("<p class=\"empty\">No LTS release of this line.</p>\n");
    } else {
        releases_table(site, &mut o, &releases);
    }
    if let Some(r) = l.newest.as_deref().and_then(|n| site.release(n)) {
        let _ = writeln!(
            o,
            "<h2 id=\"open\">Open advisories of {}</h2>",
            Esc(&r.name)
        );
        let links: Vec<String> = l
            .open_advisories
            .iter()
            .map(|id| advisory_link(site, id))
            .collect();
        o.push_str(&link_list(&links));
    }
    let _ = writeln!(
        o,
        "<p>See the <a href=\"{base}/lifecycle/\">lifecycle</a> of every line, or the <a href=\"{base}/matrix/?line={}\">matrix of this line</a>.</p>",
        Esc(&encode_segment(&l.line))
    );
    o.push_str(&json_link(&api_at(
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
