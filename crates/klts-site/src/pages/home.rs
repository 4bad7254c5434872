//! The home page: the program and its supported lines.

use super::*;

pub(super) fn home(site: &SiteData) -> Html {
    let base = site.base.as_str();
    let api = api_root(site);
    let product = product_name(site);
    let mut o = Html::new();
    html!(o, "<p class=\"lead\">The {} Long Term Support program (KLTS) keeps selected {} minor lines maintained after their community end of life: security fixes are backported as patches on top of the last upstream release of a line, and every LTS release is published as packages and images, so clusters can stay on a supported version while they plan their upgrade.</p>\n", &product, &product);
    html!(o, "<p>This portal shows which lines are supported and until when, every LTS release with its patches and install instructions, and which advisories each release fixes or is still exposed to. Everything is also available as a <a href=\"{}/index.json\">JSON API</a>.</p>\n", api);
    if site.products.len() > 1 {
        o.push_str("<h2 id=\"products\">Products</h2>\n<ul>\n");
        for p in &site.products {
            let current = Html::lit(if at(site, "/") == p.href {
                " aria-current=\"page\""
            } else {
                ""
            });
            html!(
                o,
                "<li><a href=\"{}\"{}>{}</a></li>\n",
                &p.href,
                current,
                &p.display_name
            );
        }
        o.push_str("</ul>\n");
    }
    if !site.workspace {
        o.push_str("<p class=\"note\">This portal was built without a workspace: it shows the lifecycle calendar and the advisory database, but no LTS release.</p>\n");
    }
    o.push_str("<h2 id=\"supported\">Supported lines</h2>\n");
    let supported: Vec<&LineView> = site
        .lines
        .iter()
        .filter(|l| is_supported(&l.status))
        .collect();
    if supported.is_empty() {
        html!(
            o,
            "<p class=\"empty\">No line is supported on {}.</p>\n",
            &site.date.to_string()
        );
    } else {
        table_start(
            &mut o,
            None,
            &[
                "Line",
                "Phase",
                "Newest release",
                "Support ends",
                "Days left",
                "Open advisories",
            ],
        );
        for l in &supported {
            let newest = l
                .newest
                .as_deref()
                .map(|n| release_link(site, n))
                .unwrap_or_else(|| "—".into());
            let lts_newest = l.newest.as_deref().and_then(|n| site.release(n));
            let open = match lts_newest {
                Some(r) => markup!(
                    "<a href=\"{}#open\">{}</a>",
                    &release_href(site, &r.name),
                    l.open_advisories.len()
                ),
                None => "—".into(),
            };
            html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n", &line_href(site, &l.line), &l.line, phase_badge(&l.status), newest, end_date(&l.status, &l.status.support_end), days_left(l.status.days_left), open);
        }
        table_end(&mut o);
        html!(o, "<p class=\"hint\">Open advisories are those still affecting the newest LTS release of the line. Lines in the community phase are maintained upstream; <a href=\"{}/lines/\">all lines</a> include those past their end of life.</p>\n", base);
    }
    o.push_str("<h2 id=\"glance\">At a glance</h2>\n<ul>\n");
    html!(o, "<li><a href=\"{}/lines/\">{} lines</a>, {} supported on {}; see the <a href=\"{}/lifecycle/\">lifecycle</a>.</li>\n", base, site.lines.len(), supported.len(), &site.date.to_string(), base);
    html!(
        o,
        "<li><a href=\"{}/releases/\">{} LTS releases</a>.</li>\n",
        base,
        site.releases.len()
    );
    let count = |s: Severity| {
        site.advisories
            .iter()
            .filter(|a| a.advisory.severity == s)
            .count()
    };
    let critical = if site.matrix.releases.is_empty() {
        markup!("{} critical", count(Severity::Critical))
    } else {
        markup!(
            "<a href=\"{}/matrix/severity/critical/\">{} critical</a>",
            base,
            count(Severity::Critical)
        )
    };
    html!(o, "<li><a href=\"{}/advisories/\">{} advisories</a>: {}, {} high; the <a href=\"{}/matrix/\">matrix</a> shows their status in every release.</li>\n", base, site.advisories.len(), critical, count(Severity::High), base);
    o.push_str("</ul>\n");
    page(
        site,
        format!("{product} Long Term Support"),
        Some(at(site, "/")),
        Nav::Home,
        site.errors.iter().collect(),
        o,
    )
}
