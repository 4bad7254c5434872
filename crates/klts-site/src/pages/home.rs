//! The home page: the program and its supported lines.

use super::*;

pub(super) fn home(site: &Site<'_>) -> Html {
    let base = site.base.as_str();
    let api = api_root(site);
    let product = product_name(site);
    let mut o = Html::new();
    html!(
        o,
        "<p class=\"lead\">{}</p>\n",
        tr!(site, HomeLead, product = &product)
    );
    html!(o, "<p>{}</p>\n", tr!(site, HomeAbout, api = api));
    if site.products.len() > 1 {
        html!(
            o,
            "<h2 id=\"products\">{}</h2>\n<ul>\n",
            site.t(Msg::Products)
        );
        for p in &site.products {
            // A product's page in this language.
            let href = format!("{}{}", site.lang.prefix(), p.href);
            let current = Html::lit(if at(site, "/") == href {
                " aria-current=\"page\""
            } else {
                ""
            });
            html!(
                o,
                "<li><a href=\"{}\"{}>{}</a></li>\n",
                &href,
                current,
                &p.display_name
            );
        }
        o.push_str("</ul>\n");
    }
    if !site.workspace {
        html!(o, "<p class=\"note\">{}</p>\n", site.t(Msg::NoWorkspace));
    }
    html!(
        o,
        "<h2 id=\"supported\">{}</h2>\n",
        site.t(Msg::SupportedLines)
    );
    let supported: Vec<&LineView> = site
        .lines
        .iter()
        .filter(|l| l.status.is_supported())
        .collect();
    if supported.is_empty() {
        html!(
            o,
            "<p class=\"empty\">{}</p>\n",
            tr!(site, NoLineSupportedOn, date = date(&site.date))
        );
    } else {
        table_start(
            &mut o,
            None,
            &[
                site.s(Msg::ColLine),
                site.s(Msg::ColPhase),
                site.s(Msg::ColNewestRelease),
                site.s(Msg::ColSupportEnds),
                site.s(Msg::ColDaysLeft),
                site.s(Msg::ColOpenAdvisories),
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
            html!(o, "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n", &line_href(site, &l.line), &l.line, phase_badge(site, &l.status), newest, end_date(site, &l.status, &l.status.support_end), days_left(site, l.status.days_left), open);
        }
        table_end(&mut o);
        html!(
            o,
            "<p class=\"hint\">{}</p>\n",
            tr!(site, HomeHint, base = base)
        );
    }
    html!(
        o,
        "<h2 id=\"glance\">{}</h2>\n<ul>\n",
        site.t(Msg::AtAGlance)
    );
    html!(
        o,
        "<li>{}</li>\n",
        tr!(
            site,
            GlanceLines,
            base = base,
            count = site.lines.len(),
            supported = supported.len(),
            date = date(&site.date)
        )
    );
    let n = site.releases.len();
    let key = plural(
        site.lang,
        n as i64,
        Msg::GlanceReleasesOne,
        Msg::GlanceReleases,
    );
    html!(
        o,
        "<li>{}</li>\n",
        fill(
            site.lang,
            key,
            &[("base", Html::text(base)), ("count", markup!("{}", n))]
        )
    );
    let count = |s: Severity| {
        site.advisories
            .iter()
            .filter(|a| a.advisory.severity == s)
            .count()
    };
    let critical = if site.matrix.releases.is_empty() {
        tr!(site, GlanceCritical, count = count(Severity::Critical))
    } else {
        markup!(
            "<a href=\"{}/matrix/severity/critical/\">{}</a>",
            base,
            tr!(site, GlanceCritical, count = count(Severity::Critical))
        )
    };
    html!(
        o,
        "<li>{}</li>\n",
        tr!(
            site,
            GlanceAdvisories,
            base = base,
            count = site.advisories.len(),
            critical = critical,
            high = count(Severity::High)
        )
    );
    o.push_str("</ul>\n");
    page(
        site,
        fill_text(site.lang, Msg::HomeTitle, &[("product", &product)]),
        Some(at(site, "/")),
        Nav::Home,
        site.errors.iter().collect(),
        o,
    )
}
