//! The home page: the program and its supported lines.

use super::*;

pub(super) fn home(site: &SiteData) -> String {
    let base = site.base.as_str();
    let api = api_root(site);
    let product = product_name(site);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<p class=\"lead\">The {p} Long Term Support program (KLTS) keeps selected {p} minor lines maintained after their community end of life: security fixes are backported as patches on top of the last upstream release of a line, and every LTS release is published as packages and images, so clusters can stay on a supported version while they plan their upgrade.</p>",
        p = Esc(&product)
    );
    let _ = writeln!(o, "<p>This portal shows which lines are supported and until when, every LTS release with its patches and install instructions, and which advisories each release fixes or is still exposed to. Everything is also available as a <a href=\"{api}/index.json\">JSON API</a>.</p>");
    if site.products.len() > 1 {
        o.push_str("<h2 id=\"products\">Products</h2>\n<ul>\n");
        for p in &site.products {
            let current = if at(site, "/") == p.href {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "<li><a href=\"{}\"{current}>{}</a></li>",
                Esc(&p.href),
                Esc(&p.display_name)
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
        let _ = writeln!(
            o,
            "<p class=\"empty\">No line is supported on {}.</p>",
            Esc(&site.date.to_string())
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
                Some(r) => format!(
                    "<a href=\"{}#open\">{}</a>",
                    Esc(&release_href(site, &r.name)),
                    l.open_advisories.len()
                ),
                None => "—".into(),
            };
            let _ = writeln!(
                o,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                Esc(&line_href(site, &l.line)),
                Esc(&l.line),
                phase_badge(&l.status),
                newest,
                end_date(&l.status, &l.status.support_end),
                days_left(l.status.days_left),
                open
            );
        }
        table_end(&mut o);
        let _ = writeln!(o, "<p class=\"hint\">Open advisories are those still affecting the newest LTS release of the line. Lines in the community phase are maintained upstream; <a href=\"{base}/lines/\">all lines</a> include those past their end of life.</p>");
    }
    o.push_str("<h2 id=\"glance\">At a glance</h2>\n<ul>\n");
    let _ = writeln!(o, "<li><a href=\"{base}/lines/\">{} lines</a>, {} supported on {}; see the <a href=\"{base}/lifecycle/\">lifecycle</a>.</li>", site.lines.len(), supported.len(), Esc(&site.date.to_string()));
    let _ = writeln!(
        o,
        "<li><a href=\"{base}/releases/\">{} LTS releases</a>.</li>",
        site.releases.len()
    );
    let count = |s: Severity| {
        site.advisories
            .iter()
            .filter(|a| a.advisory.severity == s)
            .count()
    };
    let critical = if site.matrix.releases.is_empty() {
        format!("{} critical", count(Severity::Critical))
    } else {
        format!(
            "<a href=\"{base}/matrix/severity/critical/\">{} critical</a>",
            count(Severity::Critical)
        )
    };
    let _ = writeln!(
        o,
        "<li><a href=\"{base}/advisories/\">{} advisories</a>: {critical}, {} high; the <a href=\"{base}/matrix/\">matrix</a> shows their status in every release.</li>",
        site.advisories.len(),
        count(Severity::High)
    );
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
