//! `/releases/` and `/releases/<name>/`.

use super::*;

pub(super) fn releases_table(site: &Site<'_>, o: &mut Html, releases: &[&ReleaseView]) {
    table_start(
        o,
        None,
        &[
            site.s(Msg::ColRelease),
            site.s(Msg::ColLine),
            site.s(Msg::ColBase),
            site.s(Msg::ColMust),
            site.s(Msg::ColMaterialized),
            site.s(Msg::ColFixed),
            site.s(Msg::ColOpen),
        ],
    );
    for r in releases {
        let line = r
            .line
            .as_deref()
            .map(|l| line_link(site, l))
            .unwrap_or_else(|| "—".into());
        let open = if r.open.is_empty() {
            Html::lit("0")
        } else {
            markup!(
                "<a class=\"open-count\" href=\"{}#open\">{}</a>",
                &release_href(site, &r.name),
                r.open.len()
            )
        };
        html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n", &release_href(site, &r.name), &r.name, line, &r.base_tag, yes_no(site, r.must), verified(site, r.materialized), r.fixed.len(), open);
    }
    table_end(o);
}

pub(super) fn releases_page(site: &Site<'_>) -> Html {
    let mut o = Html::new();
    html!(o, "<p>{}</p>\n", site.t(Msg::ReleasesLead));
    if site.releases.is_empty() {
        if site.workspace {
            html!(
                o,
                "<p class=\"empty\">{}</p>\n",
                site.t(Msg::NoReadableRelease)
            );
        } else {
            html!(
                o,
                "<p class=\"empty\">{}</p>\n",
                site.t(Msg::NoReleaseNoWorkspace)
            );
        }
    } else {
        let all: Vec<&ReleaseView> = site.releases.iter().collect();
        releases_table(site, &mut o, &all);
    }
    o.push(json_link(site, &api_at(site, "/releases.json")));
    page(
        site,
        site.s(Msg::NavReleases),
        Some(at(site, "/releases/")),
        Nav::Releases,
        errors_of(site, &["releases"]),
        o,
    )
}

pub(super) fn advisory_table(
    site: &Site<'_>,
    o: &mut Html,
    refs: &[AdvisoryRef],
    with_status: bool,
) {
    let mut headers = vec![
        site.s(Msg::ColAdvisory),
        site.s(Msg::ColSeverity),
        site.s(Msg::ColScore),
    ];
    if with_status {
        headers.push(site.s(Msg::ColStatus));
    }
    headers.push(site.s(Msg::ColEvidence));
    table_start(o, None, &headers);
    for a in refs {
        html!(
            o,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td>",
            advisory_link(site, &a.id),
            severity_badge(site, a.severity),
            score(a.score)
        );
        if with_status {
            html!(o, "<td>{}</td>", status_badge(site, a.status));
        }
        html!(o, "<td>{}</td></tr>\n", evidence_list(&a.evidence));
    }
    table_end(o);
}

pub(super) fn release_page(site: &Site<'_>, r: &ReleaseView) -> Html {
    let api = api_root(site);
    let mut o = Html::new();
    // A stage is not something to install: say what it is a stage of, and send users there.
    let stage = site.release(&r.name).is_none();
    if stage {
        let children: Vec<Html> = r.stage_of.iter().map(|c| release_link(site, c)).collect();
        let children = if children.is_empty() {
            site.t(Msg::NoPublishedRelease)
        } else {
            children.join_html(i18n::text(site.lang, Msg::ListSeparator))
        };
        html!(
            o,
            "<p class=\"note\">{}</p>\n",
            tr!(site, StageNote, name = &r.name, children = children)
        );
    }

    // What a user needs first: is it supported and until when, and how to install it.
    if !stage {
        if let Some(st) = r
            .line
            .as_deref()
            .and_then(|l| site.line(l))
            .map(|l| &l.status)
        {
            use klts_core::lifecycle::Phase;
            let until = end_date(site, st, &st.support_end);
            let left = st
                .days_left
                .map(|d| {
                    let key = plural(site.lang, d, Msg::DaysLeftParenOne, Msg::DaysLeftParen);
                    fill(site.lang, key, &[("days", markup!("{}", d))])
                })
                .unwrap_or_default();
            let verdict = match st.phase {
                Phase::Community => tr!(site, SupportedByCommunity, until = until, left = left),
                Phase::Lts => tr!(site, SupportedByLts, until = until, left = left),
                Phase::Eol => tr!(site, NotSupportedSince, until = until),
                Phase::Upcoming => site.t(Msg::NotReleasedYet),
            };
            html!(
                o,
                "<p class=\"lead support\">{} {}</p>\n",
                verdict,
                phase_badge(site, st)
            );
        }
        html!(
            o,
            "<p>{}</p>\n",
            tr!(
                site,
                ReleaseCounts,
                open = r.open.len(),
                fixed = r.fixed.len(),
                ignored = r.ignored.len()
            )
        );
        if r.install.apt.is_empty() && r.install.yum.is_empty() {
            html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::NoPackages));
        } else {
            html!(
                o,
                "<h2 id=\"install\">{}</h2>\n",
                tr!(site, InstallHeading, name = &r.name)
            );
            html!(
                o,
                "<p>{}</p>\n",
                tr!(
                    site,
                    PackageVersionNote,
                    version = &r.install.package_version
                )
            );
        }
        for (title, lines) in [
            (Msg::InstallApt, &r.install.apt),
            (Msg::InstallYum, &r.install.yum),
            (Msg::InstallKubeadm, &r.install.kubeadm),
        ] {
            if lines.is_empty() {
                continue;
            }
            html!(
                o,
                "<h3>{}</h3>\n<pre><code>{}</code></pre>\n",
                site.t(title),
                &lines.join("\n")
            );
        }
    }

    // Advisories, most severe first, in one group per severity.
    let grouped = |o: &mut Html, refs: &[AdvisoryRef], with_status: bool| {
        let mut severities: Vec<Severity> = refs.iter().map(|a| a.severity).collect();
        severities.sort();
        severities.dedup();
        for sev in severities.into_iter().rev() {
            let group: Vec<AdvisoryRef> =
                refs.iter().filter(|a| a.severity == sev).cloned().collect();
            html!(
                o,
                "<h3>{} ({})</h3>\n",
                &capitalized(&site.s(severity_msg(sev))),
                group.len()
            );
            advisory_table(site, o, &group, with_status);
        }
    };
    html!(
        o,
        "<h2 id=\"open\">{}</h2>\n",
        site.t(Msg::AdvisoriesStillOpen)
    );
    if r.open.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::NoneKnown));
    } else {
        grouped(&mut o, &r.open, false);
    }
    html!(
        o,
        "<h2 id=\"fixed\">{}</h2>\n<p class=\"hint\">{}</p>\n",
        site.t(Msg::AdvisoriesFixed),
        site.t(Msg::AdvisoriesFixedHint)
    );
    if r.fixed.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::None));
    } else {
        grouped(&mut o, &r.fixed, true);
    }
    html!(
        o,
        "<h2 id=\"ignored\">{}</h2>\n",
        site.t(Msg::AdvisoriesIgnored)
    );
    if r.ignored.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::None));
    } else {
        advisory_table(site, &mut o, &r.ignored, false);
    }

    // Changes since the previous published release of the line.
    match &r.previous {
        _ if stage => {}
        Some(prev) => {
            html!(
                o,
                "<h2 id=\"changes\">{}</h2>\n",
                tr!(site, ChangesSince, release = release_link(site, prev))
            );
            if r.added_patches.is_empty() && r.removed_patches.is_empty() {
                html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::SamePatches));
            } else {
                if !r.added_patches.is_empty() {
                    html!(o, "<p>{}</p>\n", site.t(Msg::AddedPatches));
                    let items: Vec<Html> = r
                        .added_patches
                        .iter()
                        .map(|p| markup!("<code>{}</code>", p))
                        .collect();
                    o.push(link_list(site, &items));
                }
                if !r.removed_patches.is_empty() {
                    html!(o, "<p>{}</p>\n", site.t(Msg::RemovedPatches));
                    let items: Vec<Html> = r
                        .removed_patches
                        .iter()
                        .map(|p| markup!("<code>{}</code>", p))
                        .collect();
                    o.push(link_list(site, &items));
                }
            }
        }
        None => html!(
            o,
            "<h2 id=\"changes\">{}</h2>\n<p>{}</p>\n",
            site.t(Msg::Changes),
            site.t(Msg::FirstOfLine)
        ),
    }

    // The details a maintainer reads: how the release is made.
    html!(
        o,
        "<h2 id=\"details\">{}</h2>\n<dl class=\"facts\">\n",
        site.t(Msg::Details)
    );
    let line = r
        .line
        .as_deref()
        .map(|l| line_link(site, l))
        .unwrap_or_else(|| "—".into());
    html!(o, "<dt>{}</dt><dd>{}</dd>\n", site.t(Msg::ColLine), line);
    html!(
        o,
        "<dt>{}</dt><dd><code>{}</code></dd>\n",
        site.t(Msg::BaseTag),
        &r.base_tag
    );
    let chain: Vec<Html> = r
        .chain
        .iter()
        .map(|c| {
            if c == &r.name {
                markup!("<strong>{}</strong>", c)
            } else {
                release_link(site, c)
            }
        })
        .collect();
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::Chain),
        if chain.is_empty() {
            "—".into()
        } else {
            chain.join_html(" → ")
        }
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColMust),
        yes_no(site, r.must)
    );
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::ColMaterialized),
        verified(site, r.materialized)
    );
    if let Some(c) = &r.commit {
        html!(
            o,
            "<dt>{}</dt><dd><code class=\"hash\">{}</code></dd>\n",
            site.t(Msg::Commit),
            c
        );
    }
    if !stage {
        html!(
            o,
            "<dt>{}</dt><dd><code>{}</code></dd>\n",
            site.t(Msg::PackageVersion),
            &r.install.package_version
        );
    }
    html!(
        o,
        "<dt>{}</dt><dd>{}</dd>\n",
        site.t(Msg::NavAdvisories),
        tr!(
            site,
            AdvisoryCountsLinks,
            open = r.open.len(),
            fixed = r.fixed.len(),
            ignored = r.ignored.len()
        )
    );
    o.push_str("</dl>\n");

    html!(o, "<h2 id=\"patches\">{}</h2>\n", site.t(Msg::Patches));
    if r.patches.is_empty() {
        html!(o, "<p class=\"empty\">{}</p>\n", site.t(Msg::NoPatch));
    } else {
        table_start(
            &mut o,
            None,
            &[
                "#".to_string(),
                site.s(Msg::ColPatch),
                site.s(Msg::ColCarriedBy),
                site.s(Msg::ColSources),
            ],
        );
        for (i, p) in r.patches.iter().enumerate() {
            let sources: Vec<Html> = p.sources.iter().map(|s| url_or_code(s)).collect();
            html!(o, "<tr><td class=\"num\">{}</td><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td></tr>\n", i + 1, &p.name, release_link(site, &p.release), if sources.is_empty() { "—".into() } else { sources.join_html("<br>") });
        }
        table_end(&mut o);
    }

    html!(o, "<p class=\"json\"><a href=\"{}/releases/{}.json\">{}</a> · <a href=\"{}/status/{}.json\">{}</a></p>\n", api, &encode_segment(&r.name), site.t(Msg::ThisPageAsJson), api, &encode_segment(&r.name), tr!(site, ExposureAsJson, name = &r.name));
    page(
        site,
        fill_text(
            site.lang,
            if stage {
                Msg::StageTitle
            } else {
                Msg::ReleaseTitle
            },
            &[("name", &r.name)],
        ),
        Some(release_href(site, &r.name)),
        Nav::Releases,
        errors_of(site, &["releases"]),
        o,
    )
}

/// `high` → `High`.
pub(super) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
