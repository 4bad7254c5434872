//! `/lifecycle/` and `/lifecycle.svg`.

use super::*;

/// The lifecycle chart of the site's lines, `width` pixels wide.
pub(super) fn lifecycle_svg(site: &SiteData, width: f64) -> String {
    let statuses: Vec<LineStatus> = site.lines.iter().map(|l| l.status.clone()).collect();
    chart::lifecycle_svg_width(
        &statuses,
        site.date,
        &format!("{} lifecycle on {}", product_name(site), site.date),
        width,
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

pub(super) fn lifecycle_page(site: &SiteData) -> Html {
    let base = site.base.as_str();
    let mut o = Html::new();
    html!(o, "<p>When each {} minor line was released, when the community stops maintaining it, and how long the LTS program supports it after that, on <span class=\"date\">{}</span>.</p>\n", &product_name(site), &site.date.to_string());
    // Two layouts of the same chart, one shown per screen width (style.css): scaled down to a
    // phone, the 960 px chart's labels would be 4 px tall; the narrow one keeps them near 12 px.
    let svg = lifecycle_svg(site, chart::WIDTH);
    let narrow = lifecycle_svg(site, chart::NARROW_WIDTH);
    o.push_str("<figure class=\"chart\">\n<div class=\"chart-wide\">\n");
    o.push(Html::chart_svg(inline_svg(&svg).trim_end()));
    o.push_str("\n</div>\n<div class=\"chart-narrow\">\n");
    o.push(Html::chart_svg(inline_svg(&narrow).trim_end()));
    o.push_str("\n</div>");
    html!(o, "\n<figcaption>The lifecycle of every line (<a href=\"{}/lifecycle.svg\">as an SVG image</a>).</figcaption>\n</figure>\n", base);
    o.push_str("<h2 id=\"dates\">Dates</h2>\n");
    if site.lines.is_empty() {
        o.push_str("<p class=\"empty\">No line is known.</p>\n");
    } else {
        let all: Vec<&LineView> = site.lines.iter().collect();
        lines_table(site, &mut o, &all);
    }
    o.push(json_link(&api_at(site, "/lines.json")));
    page(
        site,
        "Lifecycle".into(),
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
