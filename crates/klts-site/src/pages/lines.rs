//! `/lines/` and `/lines/<x.y>/`.

use super::*;

/// Every line of the site in one table (or why there is none), with the JSON twin's link: the
/// lines page and the lifecycle page end the same way.
pub(super) fn every_line(site: &Site<'_>, o: &mut Html) {
    if site.lines.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::NoLineKnown));
    } else {
        let all: Vec<&LineView> = site.lines.iter().collect();
        lines_table(site, o, &all);
    }
    o.push(json_link(site, &api_at(site, "/lines.json")));
}

pub(super) fn lines_table(site: &Site<'_>, o: &mut Html, lines: &[&LineView]) {
    table_start(
        o,
        None,
        &[
            site.s(Msg::ColLine),
            site.s(Msg::ColPhase),
            site.s(Msg::ColReleased),
            site.s(Msg::ColCommunityEol),
            site.s(Msg::ColLtsEnds),
            site.s(Msg::ColSupportEnds),
            site.s(Msg::ColDaysLeft),
            site.s(Msg::ColInProgram),
            site.s(Msg::ColNewest),
            site.s(Msg::ColLtsReleases),
        ],
    );
    for l in lines {
        let st = &l.status;
        let newest = l
            .newest
            .as_deref()
            .map(|n| release_link(site, n))
            .unwrap_or_else(|| "—".into());
        html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n", &line_href(site, &l.line), &l.line, phase_badge(site, st), opt_date(&Some(st.released)), opt_date(&st.community_eol), end_date(site, st, &st.lts_end), end_date(site, st, &st.support_end), days_left(site, st.days_left), yes_no(site, st.in_program), newest, l.releases.len());
    }
    table_end(o);
}

pub(super) fn lines_page(site: &Site<'_>) -> Html {
    let mut o = Html::new();
    html!(
        o,
        "<p>{}</p>\n",
        tr!(
            site,
            LinesLead,
            product = product_name(site),
            date = date(&site.date)
        )
    );
    every_line(site, &mut o);
    page(
        site,
        site.s(Msg::NavLines),
        Some(at(site, "/lines/")),
        Nav::Lines,
        errors_of(site, &["releases", "lifecycle"]),
        o,
    )
}

pub(super) fn line_page(site: &Site<'_>, l: &LineView) -> Html {
    let base = site.base.as_str();
    let st = &l.status;
    let product = product_name(site);
    let mut o = Html::new();
    o.push_str("<dl class=\"facts\">\n");
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColPhase),
        phase_badge(site, st)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColReleased),
        date(&st.released)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColCommunityEol),
        opt_date(&st.community_eol)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}{}</dd>\n",
        site.t(Msg::ColLtsEnds),
        end_date(site, st, &st.lts_end),
        match st.lts_basis {
            Some("policy") => site.t(Msg::ProgramsDecision),
            _ => Html::new(),
        }
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColSupportEnds),
        end_date(site, st, &st.support_end)
    );
    if let Some(a) = &st.activity {
        html!(
            o,
            "<dt>{}</dt><dd>{}</dd>\n",
            site.t(Msg::NewestShipped),
            tr!(
                site,
                ReleaseOnDate,
                release = &a.release,
                date = date(&a.date)
            )
        );
    }
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::DaysOfSupportLeft),
        days_left(site, st.days_left)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::InTheProgram),
        yes_no(site, st.in_program)
    );
    let upstream = st
        .latest_patch
        .as_deref()
        .map(|p| markup!("<code>v{}</code>", p.trim_start_matches('v')))
        .unwrap_or_else(|| "—".into());
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::UpstreamLatestPatch),
        upstream
    );
    let newest = l
        .newest
        .as_deref()
        .map(|n| release_link(site, n))
        .unwrap_or_else(|| "—".into());
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColNewestRelease),
        newest
    );
    o.push_str("</dl>\n");
    // The policy and what the program did disagree: say it where users look.
    if let Some(d) = &st.disagreement {
        // Said from the facts, in the page's language; the library's English sentence (what
        // `klts lint` prints) only when a fact is missing.
        let what = match (&st.activity, st.support_end) {
            (Some(a), Some(end)) => {
                let basis = match st.lts_basis {
                    Some("policy") => site.t(Msg::BasisDecision),
                    Some(_) => site.t(Msg::BasisRule),
                    None => site.t(Msg::BasisNotInProgram),
                };
                tr!(
                    site,
                    DisagreementShipped,
                    release = release_link(site, &a.release),
                    day = date(&a.date),
                    end = date(&end),
                    basis = basis
                )
            }
            _ => Html::text(d),
        };
        html!(
            o,
            "<p class=\"notice\">{}</p>\n",
            tr!(site, Disagreement, what = what)
        );
    }
    html!(
        o,
        "<h2 id=\"releases\">{}</h2>\n",
        site.t(Msg::ColLtsReleases)
    );
    let releases: Vec<&ReleaseView> = l.releases.iter().filter_map(|n| site.release(n)).collect();
    if releases.is_empty() {
        html!(
            o,
            "<p class=\"empty\">{}</p>\n",
            site.t(Msg::NoReleaseOfLine)
        );
    } else {
        releases_table(site, &mut o, &releases);
    }
    if let Some(r) = l.newest.as_deref().and_then(|n| site.release(n)) {
        html!(
            o,
            "<h2 id=\"open\">{}</h2>\n",
            tr!(site, OpenAdvisoriesOf, release = &r.name)
        );
        let links: Vec<Html> = l
            .open_advisories
            .iter()
            .map(|id| advisory_link(site, id))
            .collect();
        o.push(link_list(site, &links));
    }
    html!(
        o,
        "<p>{}</p>\n",
        tr!(
            site,
            LineSeeAlso,
            base = base,
            line = encode_segment(&l.line)
        )
    );
    o.push(json_link(
        site,
        &api_at(site, &format!("/lines/{}.json", encode_segment(&l.line))),
    ));
    page(
        site,
        format!("{product} {}", l.line),
        Some(line_href(site, &l.line)),
        Nav::Lines,
        errors_of(site, &["releases", "lifecycle"]),
        o,
    )
}
