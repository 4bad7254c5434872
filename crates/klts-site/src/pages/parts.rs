//! Small pieces of pages: badges, dates, tables, links and lists.

use super::*;

pub(super) fn phase_name(st: &LineStatus) -> String {
    st.phase.to_string().to_ascii_lowercase()
}

/// The catalogue key of a phase's badge.
pub(super) fn phase_msg(st: &LineStatus) -> Option<Msg> {
    use klts_core::lifecycle::Phase;
    Some(match st.phase {
        Phase::Community => Msg::PhaseCommunity,
        Phase::Lts => Msg::PhaseLts,
        Phase::Eol => Msg::PhaseEol,
        Phase::Upcoming => Msg::PhaseUpcoming,
    })
}

pub(super) fn phase_badge(site: &Site<'_>, st: &LineStatus) -> Html {
    let name = phase_name(st);
    let label = match phase_msg(st) {
        Some(m) => site.t(m),
        None => Html::text(&name),
    };
    let class: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    markup!("<span class=\"badge phase-{}\">{}</span>", class, label)
}

/// A severity's name (`high`) in the site's language.
pub(super) fn severity_name(site: &Site<'_>, s: Severity) -> Html {
    site.t(severity_msg(s))
}

/// The catalogue key of a severity's name.
pub(super) fn severity_msg(s: Severity) -> Msg {
    match s {
        Severity::Low => Msg::SevLow,
        Severity::Medium => Msg::SevMedium,
        Severity::High => Msg::SevHigh,
        Severity::Critical => Msg::SevCritical,
        Severity::Unknown => Msg::SevUnknown,
        Severity::None => Msg::SevNone,
    }
}

pub(super) fn severity_badge(site: &Site<'_>, s: Severity) -> Html {
    markup!(
        "<span class=\"badge sev-{}\">{}</span>",
        s,
        severity_name(site, s)
    )
}

/// A status's name (`fixed-by-patch`) in the site's language.
pub(super) fn status_name(site: &Site<'_>, s: StatusKind) -> Html {
    site.t(status_msg(s))
}

/// The catalogue key of a status's name.
pub(super) fn status_msg(s: StatusKind) -> Msg {
    match s {
        StatusKind::Affected => Msg::StAffected,
        StatusKind::Unknown => Msg::StUnknown,
        StatusKind::Unassessed => Msg::StUnassessed,
        StatusKind::Ignored => Msg::StIgnored,
        StatusKind::FixedByPatch => Msg::StFixedByPatch,
        StatusKind::FixedByDependency => Msg::StFixedByDependency,
        StatusKind::FixedUpstream => Msg::StFixedUpstream,
        StatusKind::NotAffected => Msg::StNotAffected,
    }
}

pub(super) fn status_badge(site: &Site<'_>, s: StatusKind) -> Html {
    markup!(
        "<span class=\"st st-{}\">{}</span>",
        s,
        status_name(site, s)
    )
}

/// A matrix cell's label.
pub(super) fn status_short(site: &Site<'_>, s: StatusKind) -> Html {
    site.t(match s {
        StatusKind::Affected => Msg::ShortAffected,
        StatusKind::Unknown => Msg::ShortUnknown,
        StatusKind::Unassessed => Msg::ShortUnassessed,
        StatusKind::Ignored => Msg::ShortIgnored,
        StatusKind::FixedByPatch => Msg::ShortFixedByPatch,
        StatusKind::FixedByDependency => Msg::ShortFixedByDependency,
        StatusKind::FixedUpstream => Msg::ShortFixedUpstream,
        StatusKind::NotAffected => Msg::ShortNotAffected,
    })
}

/// What a status means (the matrix legend).
pub(super) fn status_meaning(site: &Site<'_>, s: StatusKind) -> Html {
    site.t(match s {
        StatusKind::Affected => Msg::MeanAffected,
        StatusKind::Unknown => Msg::MeanUnknown,
        StatusKind::Unassessed => Msg::MeanUnassessed,
        StatusKind::Ignored => Msg::MeanIgnored,
        StatusKind::FixedByPatch => Msg::MeanFixedByPatch,
        StatusKind::FixedByDependency => Msg::MeanFixedByDependency,
        StatusKind::FixedUpstream => Msg::MeanFixedUpstream,
        StatusKind::NotAffected => Msg::MeanNotAffected,
    })
}

pub(super) fn score(s: Option<f64>) -> String {
    match s {
        Some(x) if x.is_finite() => format!("{x:.1}"),
        _ => "—".into(),
    }
}

/// An end of support: a day, "until further notice" (the program's `support:` decision for a
/// supported line), or "—".
pub(super) fn end_date(
    site: &Site<'_>,
    st: &klts_core::lifecycle::LineStatus,
    d: &Option<klts_core::lifecycle::Date>,
) -> Html {
    match d {
        None if st.lts_basis == Some("policy") && st.phase == klts_core::lifecycle::Phase::Lts => {
            site.t(Msg::UntilFurtherNotice)
        }
        _ => opt_date(d),
    }
}

/// A day in running text or a cell: one unbreakable token (`.date` is `white-space: nowrap`),
/// so that a phone never breaks `2024-01-13` at its hyphens.
pub(super) fn date<D: fmt::Display>(d: &D) -> Html {
    markup!("<span class=\"date\">{}</span>", &d.to_string())
}

pub(super) fn opt_date<D: fmt::Display>(d: &Option<D>) -> Html {
    match d {
        Some(d) => date(d),
        None => "—".into(),
    }
}

/// The publication day of an advisory; placeholders (`0001-01-01…`) are unknown.
pub(super) fn published(p: &Option<String>) -> Html {
    match p
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.starts_with("0001-") && !p.starts_with("0000-"))
    {
        Some(p) => markup!(
            "<span class=\"date\">{}</span>",
            p.get(..10)
                .filter(|d| d.len() == 10 && p.len() > 10 && p.as_bytes()[10] == b'T')
                .unwrap_or(p)
        ),
        None => "—".into(),
    }
}

pub(super) fn days_left(site: &Site<'_>, d: Option<i64>) -> Html {
    match d {
        Some(n) if n >= 0 => Html::text(&n.to_string()),
        Some(_) => site.t(Msg::Ended),
        None => "—".into(),
    }
}

/// Whether a release materialized, as the public reads it: a failure's detail (with the
/// build machine's paths) is the operator's, so the page only says it is not verified yet.
pub(super) fn verified(site: &Site<'_>, materialized: bool) -> Html {
    site.t(if materialized {
        Msg::Yes
    } else {
        Msg::NotYetVerified
    })
}

pub(super) fn yes_no(site: &Site<'_>, b: bool) -> Html {
    site.t(if b { Msg::Yes } else { Msg::No })
}

/// Opens a data table. Tables of rows (every one but the matrix) are `stack` tables: on a narrow
/// screen each row becomes a card of "header: value" lines (style.css), so every column, such
/// as the home page's "Support ends", is visible on a phone without scrolling sideways.
/// [`table_end`] gives each cell the `data-label` of its column for that.
pub(super) fn table_start<S: AsRef<str>>(o: &mut Html, caption: Option<&str>, headers: &[S]) {
    o.push_str("<div class=\"table-wrap\">\n<table class=\"stack\">\n");
    if let Some(c) = caption {
        html!(o, "<caption>{}</caption>\n", c);
    }
    o.push_str("<thead><tr>");
    for h in headers {
        html!(o, "<th scope=\"col\">{}</th>", h.as_ref());
    }
    o.push_str("</tr></thead>\n<tbody>\n");
}

/// Closes the table opened by the last [`table_start`], after labelling its body cells.
pub(super) fn table_end(o: &mut Html) {
    label_cells(o);
    o.push_str("</tbody>\n</table>\n</div>\n");
}

/// Gives every body cell of the last table in `o` a `data-label` attribute with its column's
/// header, for the stacked layout on narrow screens. Done once here rather than in each row's
/// markup, so row code stays about content. The rows are this module's own markup: cells open
/// with `<td` or `<th` followed by a space or `>`, and cell text is always escaped, so a literal
/// `<td` can only be a tag. Headers are read back from the `<thead>` that [`table_start`] wrote
/// (already escaped, so they are safe in an attribute).
pub(super) fn label_cells(o: &mut Html) {
    let o = o.as_mut_string();
    const OPEN: &str = "<div class=\"table-wrap\">\n<table class=\"stack\">\n";
    const BODY: &str = "</tr></thead>\n<tbody>\n";
    let Some(start) = o.rfind(OPEN) else { return };
    let Some(body) = o[start..].find(BODY).map(|i| start + i + BODY.len()) else {
        return;
    };
    let headers: Vec<String> = o[start..body]
        .split("<th scope=\"col\">")
        .skip(1)
        .filter_map(|h| h.split("</th>").next())
        .map(str::to_string)
        .collect();
    let rows = o.split_off(body);
    let mut column = 0;
    let mut rest = rows.as_str();
    while let Some(lt) = rest.find('<') {
        o.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let tag = rest.get(..3).unwrap_or(rest);
        let next = rest.as_bytes().get(3).copied();
        if rest.starts_with("<tr") && matches!(next, Some(b' ' | b'>')) {
            column = 0;
        } else if (tag == "<td" || tag == "<th") && matches!(next, Some(b' ' | b'>')) {
            o.push_str(tag);
            if let Some(h) = headers.get(column) {
                // `h` is the header as `table_start` escaped it.
                let _ = write!(o, " data-label=\"{h}\"");
            }
            column += 1;
            rest = &rest[3..];
            continue;
        }
        o.push('<');
        rest = &rest[1..];
    }
    o.push_str(rest);
}

/// A link to a release page when it is a release (or a stage) of the site, else the name as text.
pub(super) fn release_link(site: &Site<'_>, name: &str) -> Html {
    if site.release_or_stage(name).is_some() {
        markup!("<a href=\"{}\">{}</a>", &release_href(site, name), name)
    } else {
        markup!("<code>{}</code>", name)
    }
}

pub(super) fn line_link(site: &Site<'_>, line: &str) -> Html {
    if site.line(line).is_some() {
        markup!("<a href=\"{}\">{}</a>", &line_href(site, line), line)
    } else {
        Html::text(line)
    }
}

pub(super) fn advisory_link(site: &Site<'_>, id: &str) -> Html {
    match find_advisory(site, id) {
        Some(a) => markup!(
            "<a href=\"{}\">{}</a>",
            &advisory_href(site, &a.advisory.id),
            id
        ),
        None => markup!("<code>{}</code>", id),
    }
}

pub(super) fn link_list(site: &Site<'_>, items: &[Html]) -> Html {
    if items.is_empty() {
        return markup!("<p class=\"empty\">{}</p>\n", site.t(Msg::None));
    }
    let mut o = Html::lit("<ul class=\"inline-list\">\n");
    for i in items {
        html!(o, "<li>{}</li>\n", i);
    }
    o.push_str("</ul>\n");
    o
}

pub(super) fn evidence_list(ev: &[String]) -> Html {
    if ev.is_empty() {
        return "—".into();
    }
    let mut o = Html::lit("<ul class=\"evidence\">");
    for e in ev {
        html!(o, "<li>{}</li>", e);
    }
    o.push_str("</ul>");
    o
}

pub(super) fn json_link(site: &Site<'_>, path: &str) -> Html {
    markup!(
        "<p class=\"json\"><a href=\"{}\">{}</a></p>\n",
        path,
        site.t(Msg::ThisPageAsJson)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_carry_their_column_for_phones() {
        let mut o = Html::lit("<p>before</p>\n");
        table_start(&mut o, Some("c"), &["Line", "Support & end"]);
        o.push_str("<tr><th scope=\"row\"><a href=\"/l\">1.17</a></th><td class=\"date\">&lt;td 2024</td></tr>\n");
        o.push_str("<tr><th scope=\"row\">1.18</th><td><ul class=\"evidence\"><li>x</li></ul></td><td>extra</td></tr>\n");
        table_end(&mut o);
        let o = o.into_string();
        assert!(o.starts_with("<p>before</p>\n<div class=\"table-wrap\">\n<table class=\"stack\">\n<caption>c</caption>"), "{o}");
        assert!(o.contains("<tr><th data-label=\"Line\" scope=\"row\"><a href=\"/l\">1.17</a></th><td data-label=\"Support &amp; end\" class=\"date\">&lt;td 2024</td></tr>"), "{o}");
        // More cells than headers: the extra one gets no label rather than a wrong one.
        assert!(o.contains("<tr><th data-label=\"Line\" scope=\"row\">1.18</th><td data-label=\"Support &amp; end\"><ul class=\"evidence\"><li>x</li></ul></td><td>extra</td></tr>"), "{o}");
        assert!(o.contains("<thead><tr><th scope=\"col\">Line</th>"), "{o}");
        assert!(o.ends_with("</tbody>\n</table>\n</div>\n"), "{o}");
    }
}
