//! `/releases/` and `/releases/<name>/`.

use super::*;

pub(super) fn releases_table(site: &SiteData, o: &mut Html, releases: &[&ReleaseView]) {
    table_start(
        o,
        None,
        &[
            "Release",
            "Line",
            "Base",
            "Must",
            "Materialized",
            "Fixed",
            "Open",
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
        html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n", &release_href(site, &r.name), &r.name, line, &r.base_tag, yes_no(r.must), verified(r.materialized), r.fixed.len(), open);
    }
    table_end(o);
}

pub(super) fn releases_page(site: &SiteData) -> Html {
    let mut o = Html::new();
    o.push_str("<p>Every published LTS release of the workspace: a base upstream tag plus the patches of its chain (stages such as <code>-ci</code> bases show inside the releases built on them). <em>Must</em> releases are the ones the program publishes and gates on; <em>materialized</em> ones were built from their patches.</p>\n");
    if site.releases.is_empty() {
        if site.workspace {
            o.push_str("<p class=\"empty\">The workspace has no release that could be read.</p>\n");
        } else {
            o.push_str(
                "<p class=\"empty\">No release: this portal was built without a workspace.</p>\n",
            );
        }
    } else {
        let all: Vec<&ReleaseView> = site.releases.iter().collect();
        releases_table(site, &mut o, &all);
    }
    o.push(json_link(&api_at(site, "/releases.json")));
    page(
        site,
        "Releases".into(),
        Some(at(site, "/releases/")),
        Nav::Releases,
        errors_of(site, &["releases"]),
        o,
    )
}

pub(super) fn advisory_table(
    site: &SiteData,
    o: &mut Html,
    refs: &[AdvisoryRef],
    with_status: bool,
) {
    let headers: &[&str] = if with_status {
        &["Advisory", "Severity", "Score", "Status", "Evidence"]
    } else {
        &["Advisory", "Severity", "Score", "Evidence"]
    };
    table_start(o, None, headers);
    for a in refs {
        html!(
            o,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td>",
            advisory_link(site, &a.id),
            severity_badge(a.severity),
            score(a.score)
        );
        if with_status {
            html!(o, "<td>{}</td>", status_badge(a.status));
        }
        html!(o, "<td>{}</td></tr>\n", evidence_list(&a.evidence));
    }
    table_end(o);
}

pub(super) fn release_page(site: &SiteData, r: &ReleaseView) -> Html {
    let api = api_root(site);
    let mut o = Html::new();
    // A stage is not something to install: say what it is a stage of, and send users there.
    let stage = site.release(&r.name).is_none();
    if stage {
        let children: Vec<Html> = r.stage_of.iter().map(|c| release_link(site, c)).collect();
        html!(o, "<p class=\"note\">{} is a stage, not a published release: its patches are part of {}. Install one of those.</p>\n", &r.name, if children.is_empty() { "no published release".into() } else { children.join_html(", ") });
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
            let until = end_date(st, &st.support_end);
            let left = st
                .days_left
                .map(|d| format!(" ({d} days left)"))
                .unwrap_or_default();
            let verdict = match st.phase {
                Phase::Community => markup!(
                    "<strong>Supported</strong> by the upstream community until {}{}.",
                    until,
                    left
                ),
                Phase::Lts => {
                    markup!(
                        "<strong>Supported</strong> by the LTS program until {}{}.",
                        until,
                        left
                    )
                }
                Phase::Eol => markup!(
                    "<strong>Not supported</strong> since {}: upgrade to a supported line.",
                    until
                ),
                Phase::Upcoming => Html::lit("Not released upstream yet."),
            };
            html!(
                o,
                "<p class=\"lead support\">{} {}</p>\n",
                verdict,
                phase_badge(st)
            );
        }
        html!(o, "<p>{} open advisories, {} fixed, {} ignored by triage. <a href=\"#open\">Details below</a>.</p>\n", r.open.len(), r.fixed.len(), r.ignored.len());
        if r.install.apt.is_empty() && r.install.yum.is_empty() {
            o.push_str("<p class=\"empty\">No packages are defined for this product.</p>\n");
        } else {
            html!(o, "<h2 id=\"install\">Install {}</h2>\n", &r.name);
            html!(
                o,
                "<p>Packages of this exact release have the version <code>{}</code>.</p>\n",
                &r.install.package_version
            );
        }
        for (title, lines) in [
            ("Debian and Ubuntu (apt)", &r.install.apt),
            ("RHEL, CentOS and Fedora (yum, dnf)", &r.install.yum),
            ("Control-plane images (kubeadm)", &r.install.kubeadm),
        ] {
            if lines.is_empty() {
                continue;
            }
            html!(
                o,
                "<h3>{}</h3>\n<pre><code>{}</code></pre>\n",
                title,
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
                &capitalized(&sev.to_string()),
                group.len()
            );
            advisory_table(site, o, &group, with_status);
        }
    };
    o.push_str("<h2 id=\"open\">Advisories still open</h2>\n");
    if r.open.is_empty() {
        o.push_str("<p class=\"empty\">None known.</p>\n");
    } else {
        grouped(&mut o, &r.open, false);
    }
    o.push_str("<h2 id=\"fixed\">Advisories fixed</h2>\n<p class=\"hint\">Advisories that affected the upstream line and are fixed in this release by a patch or by a dependency update.</p>\n");
    if r.fixed.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        grouped(&mut o, &r.fixed, true);
    }
    o.push_str("<h2 id=\"ignored\">Advisories ignored by triage</h2>\n");
    if r.ignored.is_empty() {
        o.push_str("<p class=\"empty\">None.</p>\n");
    } else {
        advisory_table(site, &mut o, &r.ignored, false);
    }

    // Changes since the previous published release of the line.
    match &r.previous {
        _ if stage => {}
        Some(prev) => {
            html!(o, "<h2 id=\"changes\">Changes since {}</h2>\n", release_link(site, prev));
            if r.added_patches.is_empty() && r.removed_patches.is_empty() {
                o.push_str("<p class=\"empty\">Same patches.</p>\n");
            } else {
                if !r.added_patches.is_empty() {
                    o.push_str("<p>Added patches:</p>\n");
                    let items: Vec<Html> = r.added_patches.iter().map(|p| markup!("<code>{}</code>", p)).collect();
                    o.push(link_list(&items));
                }
                if !r.removed_patches.is_empty() {
                    o.push_str("<p>Removed patches:</p>\n");
                    let items: Vec<Html> = r.removed_patches.iter().map(|p| markup!("<code>{}</code>", p)).collect();
                    o.push(link_list(&items));
                }
            }
        }
        None => o.push_str("<h2 id=\"changes\">Changes</h2>\n<p>The first LTS release of its line in this workspace.</p>\n"),
    }

    // The details a maintainer reads: how the release is made.
    o.push_str("<h2 id=\"details\">Details</h2>\n<dl class=\"facts\">\n");
    let line = r
        .line
        .as_deref()
        .map(|l| line_link(site, l))
        .unwrap_or_else(|| "—".into());
    html!(o, "<dt>Line</dt><dd>{}</dd>\n", line);
    html!(
        o,
        "<dt>Base tag</dt><dd><code>{}</code></dd>\n",
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
        "<dt>Chain</dt><dd>{}</dd>\n",
        if chain.is_empty() {
            "—".into()
        } else {
            chain.join_html(" → ")
        }
    );
    html!(o, "<dt>Must</dt><dd>{}</dd>\n", yes_no(r.must));
    html!(
        o,
        "<dt>Materialized</dt><dd>{}</dd>\n",
        verified(r.materialized)
    );
    if let Some(c) = &r.commit {
        html!(
            o,
            "<dt>Commit</dt><dd><code class=\"hash\">{}</code></dd>\n",
            c
        );
    }
    if !stage {
        html!(
            o,
            "<dt>Package version</dt><dd><code>{}</code></dd>\n",
            &r.install.package_version
        );
    }
    html!(o, "<dt>Advisories</dt><dd><a href=\"#open\">{} open</a>, <a href=\"#fixed\">{} fixed</a>, <a href=\"#ignored\">{} ignored</a></dd>\n", r.open.len(), r.fixed.len(), r.ignored.len());
    o.push_str("</dl>\n");

    o.push_str("<h2 id=\"patches\">Patches</h2>\n");
    if r.patches.is_empty() {
        o.push_str("<p class=\"empty\">No patch: the release is its base tag.</p>\n");
    } else {
        table_start(&mut o, None, &["#", "Patch", "Carried by", "Sources"]);
        for (i, p) in r.patches.iter().enumerate() {
            let sources: Vec<Html> = p.sources.iter().map(|s| url_or_code(s)).collect();
            html!(o, "<tr><td class=\"num\">{}</td><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td></tr>\n", i + 1, &p.name, release_link(site, &p.release), if sources.is_empty() { "—".into() } else { sources.join_html("<br>") });
        }
        table_end(&mut o);
    }

    html!(o, "<p class=\"json\"><a href=\"{}/releases/{}.json\">This page as JSON</a> · <a href=\"{}/status/{}.json\">exposure of {} as JSON</a></p>\n", api, &encode_segment(&r.name), api, &encode_segment(&r.name), &r.name);
    page(
        site,
        format!("{} {}", if stage { "Stage" } else { "Release" }, r.name),
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
