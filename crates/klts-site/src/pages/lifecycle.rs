//! `/lifecycle/` and `/lifecycle.svg`.

use super::*;

/// The lifecycle chart of the site's lines, `width` pixels wide.
pub(super) fn lifecycle_svg(site: &Site<'_>, width: f64) -> String {
    let statuses: Vec<LineStatus> = site.lines.iter().map(|l| l.status.clone()).collect();
    let (community, lts, ended, planned, today_legend, today, no_lines) = (
        site.s(Msg::ChartCommunity),
        site.s(Msg::ChartLts),
        site.s(Msg::ChartEnded),
        site.s(Msg::ChartPlanned),
        site.s(Msg::ChartTodayLegend),
        site.s(Msg::ChartToday),
        site.s(Msg::ChartNoLines),
    );
    let words = chart::Words {
        community: &community,
        lts: &lts,
        ended: &ended,
        planned: &planned,
        today_legend: &today_legend,
        today: &today,
        no_lines: &no_lines,
    };
    chart::lifecycle_svg_words(
        &statuses,
        site.date,
        &fill_text(
            site.lang,
            Msg::ChartTitle,
            &[
                ("product", &product_name(site)),
                ("date", &site.date.to_string()),
            ],
        ),
        width,
        &words,
    )
}

/// The SVG without an XML declaration or doctype, to inline in HTML.
pub(super) fn inline_svg(svg: &str) -> &str {
    let mut s = svg.trim_start();
    loop {
        if s.starts_with("<?") {
            match s.find("?>") {
                Some(i) => s = s[i + 2..].trim_start(),
                None => return "",
            }
        } else if s.starts_with("<!") {
            match s.find('>') {
                Some(i) => s = s[i + 1..].trim_start(),
                None => return "",
            }
        } else {
            return s;
        }
    }
}

pub(super) fn lifecycle_page(site: &Site<'_>) -> Html {
    // The SVG file exists once (English), at the root.
    let files = site.data.base.as_str();
    let mut o = Html::new();
    html!(
        o,
        "<p>{}</p>\n",
        tr!(
            site,
            LifecycleLead,
            product = product_name(site),
            date = date(&site.date)
        )
    );
    // Two layouts of the same chart, one shown per screen width (style.css): scaled down to a
    // phone, the 960 px chart's labels would be 4 px tall; the narrow one keeps them near 12 px.
    let svg = lifecycle_svg(site, chart::WIDTH);
    let narrow = lifecycle_svg(site, chart::NARROW_WIDTH);
    o.push_str("<figure class=\"chart\">\n<div class=\"chart-wide\">\n");
    o.push(Html::chart_svg(inline_svg(&svg).trim_end()));
    o.push_str("\n</div>\n<div class=\"chart-narrow\">\n");
    o.push(Html::chart_svg(inline_svg(&narrow).trim_end()));
    o.push_str("\n</div>");
    html!(
        o,
        "\n<figcaption>{}</figcaption>\n</figure>\n",
        tr!(site, ChartCaption, files = files)
    );
    html!(o, "<h2 id=\"dates\">{}</h2>\n", site.t(Msg::Dates));
    every_line(site, &mut o);
    page(
        site,
        site.s(Msg::NavLifecycle),
        Some(at(site, "/lifecycle/")),
        Nav::Lifecycle,
        errors_of(site, &["lifecycle"]),
        o,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_prolog_is_stripped_for_inlining() {
        assert_eq!(
            inline_svg("<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg></svg>"),
            "<svg></svg>"
        );
        assert_eq!(inline_svg("<svg/>"), "<svg/>");
        assert_eq!(inline_svg("<?xml"), "");
    }
}
