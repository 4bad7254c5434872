//! The lifecycle chart: a self-contained SVG timeline of every minor line's support.
//!
//! One horizontal bar per line, newest on top, on a time axis with year ticks:
//!
//! * the **community** window (release to community end of life) in blue,
//! * the **KLTS LTS** window (after community end of life, until `lts_end`) in orange,
//! * a thin **muted** tail for the time since support ended (lines past LTS, and lines that
//!   were never in the program or were dropped), up to today,
//! * parts that lie after today drawn lighter (planned), outlined in their full colour so the
//!   mark keeps a 3:1 contrast against the white background,
//! * a vertical "today" marker with its date, a legend, and a `<title>` tooltip with the
//!   dates on every bar and every segment.
//!
//! [`lifecycle_svg_width`] draws the same chart narrower for phones ([`NARROW_WIDTH`]): the
//! time axis shrinks, the legend wraps, text keeps its 12 px. Every colour is listed in
//! [`COLORS`] with whether it is text, and checked for contrast against the white background.
//!
//! The output depends only on the arguments (no clock, no randomness, coordinates printed with
//! one decimal), needs no external font or asset, and escapes all text, so it can be inlined
//! into HTML or served as `image/svg+xml`.

use klts_core::lifecycle::{Date, LineStatus, Phase};
use std::fmt::Write as _;

/// The chart's width in pixels; the height grows with the number of lines.
pub const WIDTH: f64 = 960.0;
/// The width of the phone layout ([`lifecycle_svg_width`]): about the width of a phone's
/// content column, so the 12 px labels are drawn near 12 px instead of shrinking with a
/// 960 px chart to 4 px.
pub const NARROW_WIDTH: f64 = 360.0;
/// Height of one row of the legend (it wraps on narrow charts).
const LEGEND_ROW: f64 = 18.0;
/// Fill of the community-support window.
pub const COMMUNITY_COLOR: &str = "#2f6fd6";
/// Fill of the KLTS LTS window.
pub const LTS_COLOR: &str = "#c76a00";
/// Fill of the time after support ended.
pub const ENDED_COLOR: &str = "#858e98";
/// Text of the labels of lines past their end of life (muted, still 4.5:1 on white).
pub const EOL_LABEL_COLOR: &str = "#6b7280";
/// Every colour drawn on the chart's white background, and whether it is text: text must
/// reach a 4.5:1 contrast ratio against white, marks 3:1 (WCAG 1.4.3 and 1.4.11); the
/// `contrast` test checks them.
pub const COLORS: [(&str, bool); 8] = [
    (COMMUNITY_COLOR, false),
    (LTS_COLOR, false),
    (ENDED_COLOR, false),
    (TODAY_COLOR, true),
    (EOL_LABEL_COLOR, true),
    (TEXT_COLOR, true),
    (MUTED_TEXT_COLOR, true),
    (AXIS_COLOR, false),
];
/// Text: title, legend and labels of current lines.
pub const TEXT_COLOR: &str = "#1f2328";
/// Secondary text: year labels, notes.
pub const MUTED_TEXT_COLOR: &str = "#57606a";
/// The time axis.
pub const AXIS_COLOR: &str = "#8c959f";
/// Stroke of the "today" marker.
pub const TODAY_COLOR: &str = "#d62728";

/// Left margin: the column of line labels.
const LEFT: f64 = 64.0;
/// Right margin.
const RIGHT: f64 = 28.0;
/// Vertical space above the first bar: title, legend, today label.
const TOP: f64 = 92.0;
/// Height of one line's row.
const ROW: f64 = 22.0;
/// Height of a support bar inside its row.
const BAR: f64 = 14.0;
/// Height of the muted "support ended" tail.
const TAIL: f64 = 4.0;
/// Space below the last bar: the year labels.
const BOTTOM: f64 = 34.0;
/// Opacity of the parts of bars after today.
const PLANNED_OPACITY: &str = "0.45";
/// Font stack available everywhere, so the SVG needs no font files.
const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/// Renders the lifecycle chart of `statuses` (any order; drawn newest line on top) as seen on
/// `today`, with `title` as heading and accessible name.
///
/// An empty `statuses` yields a valid chart with an axis around `today` and a note.
pub fn lifecycle_svg(statuses: &[LineStatus], today: Date, title: &str) -> String {
    lifecycle_svg_width(statuses, today, title, WIDTH)
}

/// The chart's visible words: the legend and the today marker, in the page's language (the
/// portal passes its catalogue's; tooltips and the description stay in English).
#[derive(Clone, Copy, Debug)]
pub struct Words<'a> {
    /// The legend of the community support bars.
    pub community: &'a str,
    /// The legend of the KLTS support bars.
    pub lts: &'a str,
    /// The legend of the time since support ended.
    pub ended: &'a str,
    /// The legend of the planned parts.
    pub planned: &'a str,
    /// The legend of the today marker.
    pub today_legend: &'a str,
    /// The today marker's label, before the date.
    pub today: &'a str,
    /// Shown when there is no line.
    pub no_lines: &'a str,
}

impl Words<'static> {
    /// The English words.
    pub const ENGLISH: Words<'static> = Words {
        community: "Community support",
        lts: "KLTS long-term support",
        ended: "No support (ended or not in the program)",
        planned: "Planned (after today)",
        today_legend: "Today",
        today: "today",
        no_lines: "No lines to show.",
    };
}

/// [`lifecycle_svg`] `width` pixels wide (at least [`NARROW_WIDTH`]): the time axis narrows
/// and the legend wraps; text keeps its size.
pub fn lifecycle_svg_width(
    statuses: &[LineStatus],
    today: Date,
    title: &str,
    width: f64,
) -> String {
    lifecycle_svg_words(statuses, today, title, width, &Words::ENGLISH)
}

/// [`lifecycle_svg_width`] with the visible words in another language.
pub fn lifecycle_svg_words(
    statuses: &[LineStatus],
    today: Date,
    title: &str,
    width: f64,
    words: &Words<'_>,
) -> String {
    let width = width.max(NARROW_WIDTH);
    let mut lines: Vec<&LineStatus> = statuses.iter().collect();
    lines.sort_by_key(|s| std::cmp::Reverse(s.line));

    let scale = Scale::new(&lines, today, width);
    let mut legend_svg = String::new();
    let legend_rows = legend(&mut legend_svg, width, words);
    let rows = lines.len().max(1) as f64;
    let plot_top = TOP + (legend_rows - 1) as f64 * LEGEND_ROW;
    let plot_bottom = plot_top + rows * ROW;
    let height = plot_bottom + BOTTOM;

    let mut out = String::with_capacity(4096 + lines.len() * 1024);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" font-family=\"{FONT}\" font-size=\"12\">",
        w = num(width),
        h = num(height),
        t = escape(title),
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(
        out,
        "<desc>Support windows of {} minor lines as of {today}: community support, KLTS long-term support, and time since support ended. Parts after today are planned.</desc>",
        lines.len()
    );
    let _ = writeln!(
        out,
        "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(width),
        num(height)
    );
    let _ = writeln!(
        out,
        "<text class=\"chart-title\" x=\"{}\" y=\"24\" font-size=\"16\" font-weight=\"600\" fill=\"{TEXT_COLOR}\">{}</text>",
        num(text_left(width)),
        escape(title)
    );
    out.push_str(&legend_svg);
    axis(&mut out, &scale, plot_top, plot_bottom);

    if lines.is_empty() {
        let _ = writeln!(
            out,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" fill=\"{MUTED_TEXT_COLOR}\">{}</text>",
            num(LEFT + 8.0),
            num(plot_top + ROW * 0.7),
            escape(words.no_lines)
        );
    }
    for (i, status) in lines.iter().enumerate() {
        bar(&mut out, &scale, status, today, plot_top + i as f64 * ROW);
    }
    today_marker(&mut out, &scale, today, plot_top, plot_bottom, words.today);
    out.push_str("</svg>\n");
    out
}

/// The mapping from days to x coordinates: whole years, covering every bar and today.
struct Scale {
    /// First day shown (January 1).
    start: Date,
    /// First day after the shown range (January 1).
    end: Date,
    /// The chart's width.
    width: f64,
}

impl Scale {
    fn new(lines: &[&LineStatus], today: Date, width: f64) -> Scale {
        let mut first = today;
        let mut last = today.add_days(120);
        for s in lines {
            first = first.min(s.released);
            for day in [Some(s.released), s.community_eol, s.lts_end, s.support_end]
                .into_iter()
                .flatten()
            {
                last = last.max(day.add_days(1));
            }
        }
        let start = Date {
            year: first.year,
            month: 1,
            day: 1,
        };
        let mut end = Date {
            year: last.year,
            month: 1,
            day: 1,
        };
        if end < last {
            end = end.add_years(1);
        }
        if end <= start {
            end = start.add_years(1);
        }
        Scale { start, end, width }
    }

    /// The x coordinate of the start of `day`, clamped to the plot.
    fn x(&self, day: Date) -> f64 {
        let span = self.start.days_until(self.end).max(1) as f64;
        let offset = self.start.days_until(day) as f64;
        let plot = self.width - LEFT - RIGHT;
        LEFT + (offset / span).clamp(0.0, 1.0) * plot
    }

    /// The right edge of the plot.
    fn right(&self) -> f64 {
        self.width - RIGHT
    }
}

/// Year gridlines and labels; a label every year, or every few years when they would crowd.
fn axis(out: &mut String, scale: &Scale, top: f64, bottom: f64) {
    let years = (scale.end.year - scale.start.year).max(1);
    let plot = scale.width - LEFT - RIGHT;
    let fit = (plot / 44.0).floor().max(1.0) as i32;
    let step = ((years + fit - 1) / fit).max(1);
    out.push_str("<g class=\"axis\">\n");
    let _ = writeln!(
        out,
        "<line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"{AXIS_COLOR}\" stroke-width=\"1\"/>",
        l = num(LEFT),
        r = num(scale.right()),
        b = num(bottom)
    );
    let mut year = scale.start.year;
    while year <= scale.end.year {
        let x = scale.x(Date {
            year,
            month: 1,
            day: 1,
        });
        let _ = writeln!(
            out,
            "<line class=\"year\" x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{b}\" stroke=\"#d8dee4\" stroke-width=\"1\"/>",
            x = num(x),
            t = num(top - 4.0),
            b = num(bottom + 4.0)
        );
        let _ = writeln!(
            out,
            "<text class=\"year-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{MUTED_TEXT_COLOR}\">{year}</text>",
            num(x),
            num(bottom + 18.0)
        );
        year += step;
    }
    out.push_str("</g>\n");
}

/// Where the title and the legend start: over the label column on wide charts; at the left
/// edge on narrow ones, so the title and the longest legend item fit.
fn text_left(width: f64) -> f64 {
    if width < WIDTH / 2.0 {
        12.0
    } else {
        LEFT
    }
}

/// The legend under the title, wrapped to the chart's `width`; returns its number of rows.
fn legend(out: &mut String, width: f64, words: &Words<'_>) -> usize {
    let mut y = 44.0;
    let mut rows = 1;
    let items: [(&str, &str, &str); 4] = [
        ("community", COMMUNITY_COLOR, words.community),
        ("lts", LTS_COLOR, words.lts),
        ("ended", ENDED_COLOR, words.ended),
        ("planned", COMMUNITY_COLOR, words.planned),
    ];
    out.push_str("<g class=\"legend\">\n");
    let x0 = text_left(width);
    let mut x = x0;
    for (class, color, label) in items {
        // An estimate of the label's width at 12px, enough to keep items apart.
        let item = 19.0 + text_width(label);
        if x > x0 && x + item > width - 12.0 {
            x = x0;
            y += LEGEND_ROW;
            rows += 1;
        }
        let opacity = if class == "planned" {
            PLANNED_OPACITY
        } else {
            "1"
        };
        let _ = writeln!(
            out,
            "<rect class=\"legend-{class}\" x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" rx=\"2\" fill=\"{color}\" fill-opacity=\"{opacity}\"{}/>",
            num(x),
            num(y),
            outline(class == "planned", color)
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"{TEXT_COLOR}\">{}</text>",
            num(x + 19.0),
            num(y + 9.5),
            escape(label)
        );
        x += item + 18.0;
    }
    if x + 50.0 > width - 12.0 {
        x = x0 - 6.0;
        y += LEGEND_ROW;
        rows += 1;
    }
    let _ = writeln!(
        out,
        "<line x1=\"{x1}\" y1=\"{}\" x2=\"{x1}\" y2=\"{}\" stroke=\"{TODAY_COLOR}\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>",
        num(y - 2.0),
        num(y + 12.0),
        x1 = num(x + 6.0)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" fill=\"{TEXT_COLOR}\">{}</text>",
        num(x + 13.0),
        num(y + 9.5),
        escape(words.today_legend)
    );
    out.push_str("</g>\n");
    rows
}

/// One line's row: label, segments and tooltips.
fn bar(out: &mut String, scale: &Scale, s: &LineStatus, today: Date, row_top: f64) {
    let line = s.line.to_string();
    let bar_y = row_top + (ROW - BAR) / 2.0;
    let label_color = match s.phase {
        Phase::Eol => EOL_LABEL_COLOR,
        _ => TEXT_COLOR,
    };
    let _ = writeln!(
        out,
        "<g class=\"line\" data-line=\"{l}\" data-phase=\"{p}\">\n<title>{t}</title>",
        l = escape(&line),
        p = s.phase,
        t = escape(&summary(s))
    );
    let _ = writeln!(
        out,
        "<text class=\"line-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\" font-weight=\"600\" fill=\"{label_color}\">{}</text>",
        num(LEFT - 10.0),
        num(row_top + ROW / 2.0 + 4.0),
        escape(&line)
    );

    // Community window: from release through the end of the EOL day (or open-ended).
    let community_end = s.community_eol.map(|d| d.add_days(1)).unwrap_or(scale.end);
    let community_title = match s.community_eol {
        Some(eol) => format!("{line}: community support {} to {eol}", s.released),
        None => format!(
            "{line}: community support from {}, end of life not announced",
            s.released
        ),
    };
    segment(
        out,
        scale,
        today,
        Segment {
            class: "community",
            from: s.released,
            to: community_end,
            y: bar_y,
            height: BAR,
            color: COMMUNITY_COLOR,
            title: &community_title,
        },
    );

    // LTS window: the day after community EOL through the end of lts_end.
    // Supported until further notice (the program's `support:` decision): the bar runs to the
    // right edge of the chart.
    let lts_to = match s.lts_end {
        Some(end) => Some((end.add_days(1), end.to_string())),
        None if s.lts_basis == Some("policy") && s.phase == Phase::Lts => {
            Some((today.add_days(120), "further notice".to_string()))
        }
        None => None,
    };
    if let (Some(eol), Some((lts_to, until))) = (s.community_eol, lts_to) {
        let title = format!("{line}: KLTS support {} to {until}", eol.add_days(1));
        segment(
            out,
            scale,
            today,
            Segment {
                class: "lts",
                from: eol.add_days(1),
                to: lts_to,
                y: bar_y,
                height: BAR,
                color: LTS_COLOR,
                title: &title,
            },
        );
    }

    // Time since support ended, up to today.
    if s.phase == Phase::Eol {
        if let Some(ended) = s.support_end {
            let reason = if s.in_program {
                "LTS ended"
            } else {
                "not in the KLTS program"
            };
            let title = format!("{line}: no support since {} ({reason})", ended.add_days(1));
            segment(
                out,
                scale,
                today,
                Segment {
                    class: "ended",
                    from: ended.add_days(1),
                    to: today.add_days(1),
                    y: row_top + (ROW - TAIL) / 2.0,
                    height: TAIL,
                    color: ENDED_COLOR,
                    title: &title,
                },
            );
        }
    }
    out.push_str("</g>\n");
}

/// A time span of one bar, `[from, to)` in days.
struct Segment<'a> {
    class: &'a str,
    from: Date,
    to: Date,
    y: f64,
    height: f64,
    color: &'a str,
    title: &'a str,
}

/// Draws a segment as up to two rectangles: the part before today solid, the part from today
/// on lighter. Empty spans draw nothing.
fn segment(out: &mut String, scale: &Scale, today: Date, seg: Segment<'_>) {
    if seg.to <= seg.from {
        return;
    }
    let split = today.clamp(seg.from, seg.to);
    let parts = [
        (seg.from, split, "1", ""),
        (split, seg.to, PLANNED_OPACITY, " planned"),
    ];
    for (from, to, opacity, suffix) in parts {
        let (x1, x2) = (scale.x(from), scale.x(to));
        if to <= from || x2 <= x1 {
            continue;
        }
        let _ = writeln!(
            out,
            "<rect class=\"{c}{suffix}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"2\" fill=\"{f}\" fill-opacity=\"{opacity}\"{o}><title>{t}</title></rect>",
            c = seg.class,
            x = num(x1),
            y = num(seg.y),
            w = num((x2 - x1).max(0.5)),
            h = num(seg.height),
            f = seg.color,
            o = outline(!suffix.is_empty(), seg.color),
            t = escape(seg.title)
        );
    }
}

/// The stroke of a planned (lighter) part: its full colour, so the mark stays visible.
fn outline(planned: bool, color: &str) -> String {
    if planned {
        format!(" stroke=\"{color}\" stroke-width=\"1\"")
    } else {
        String::new()
    }
}

/// The dashed vertical line at today, with its date above the plot.
/// An estimate of the width of `text` at 12 px: about 6.4 px a Latin character, 12 px a wide
/// (CJK) one.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if (c as u32) >= 0x1100 { 12.0 } else { 6.4 })
        .sum()
}

fn today_marker(out: &mut String, scale: &Scale, today: Date, top: f64, bottom: f64, label: &str) {
    let x = scale.x(today);
    let anchor = if x > scale.width - 120.0 {
        "end"
    } else if x < 80.0 {
        "start"
    } else {
        "middle"
    };
    let _ = writeln!(
        out,
        "<g class=\"today\">\n<title>Today: {today}</title>\n<line class=\"today-marker\" x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{b}\" stroke=\"{TODAY_COLOR}\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>",
        x = num(x),
        t = num(top - 8.0),
        b = num(bottom + 2.0)
    );
    let _ = writeln!(
        out,
        "<text class=\"today-label\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-weight=\"600\" fill=\"{TODAY_COLOR}\">{} {today}</text>\n</g>",
        num(x),
        num(top - 12.0),
        escape(label)
    );
}

/// The tooltip of a whole bar: phase and every date.
fn summary(s: &LineStatus) -> String {
    let mut text = format!("{}: {}", s.line, phase_words(s.phase));
    if let Some(days) = s.days_left {
        let _ = write!(
            text,
            ", {days} day{} left",
            if days == 1 { "" } else { "s" }
        );
    }
    let _ = write!(text, "; released {}", s.released);
    match s.community_eol {
        Some(eol) => {
            let _ = write!(text, ", community end of life {eol}");
        }
        None => text.push_str(", community end of life not announced"),
    }
    match (s.lts_end, s.in_program) {
        (Some(end), _) => {
            let _ = write!(text, ", KLTS support until {end}");
        }
        (None, _) if s.lts_basis == Some("policy") => {
            text.push_str(", KLTS support until further notice");
        }
        (None, true) => {}
        (None, false) => text.push_str(", not in the KLTS program"),
    }
    if let Some(patch) = &s.latest_patch {
        let _ = write!(text, "; latest upstream patch {patch}");
    }
    text
}

/// A phase as words for tooltips.
fn phase_words(phase: Phase) -> &'static str {
    match phase {
        Phase::Community => "community support",
        Phase::Lts => "KLTS long-term support",
        Phase::Eol => "end of life",
        Phase::Upcoming => "upcoming",
    }
}

/// A coordinate with one decimal, never `-0.0`, `NaN` or infinite.
fn num(x: f64) -> String {
    let rounded = if x.is_finite() {
        (x * 10.0).round() / 10.0
    } else {
        0.0
    };
    // Adding 0.0 turns -0.0 into 0.0.
    format!("{:.1}", rounded + 0.0)
}

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 forbids (controls other than tab and newlines) are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use klts_core::lifecycle::{line_status, statuses, Calendar, LineFacts, Policy};
    use klts_core::version::MinorLine;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Checks that every element is closed in order; returns the element names opened.
    fn balanced(svg: &str) -> Result<Vec<String>, String> {
        let mut stack: Vec<String> = Vec::new();
        let mut opened = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let end = after.find('>').ok_or("unterminated tag")?;
            let tag = &after[..end];
            rest = &after[end + 1..];
            if tag.starts_with('?') || tag.starts_with('!') {
                continue;
            }
            if tag.contains('<') {
                return Err(format!("'<' inside tag {tag:?}"));
            }
            if let Some(name) = tag.strip_prefix('/') {
                match stack.pop() {
                    Some(open) if open == name.trim() => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
            } else {
                let name = tag
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if name.is_empty() {
                    return Err(format!("empty tag {tag:?}"));
                }
                opened.push(name.clone());
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed: {stack:?}"));
        }
        Ok(opened)
    }

    /// The x of the today marker.
    fn today_x(svg: &str) -> f64 {
        let at = svg
            .find("class=\"today-marker\"")
            .unwrap_or_else(|| panic!("no marker"));
        let tail = &svg[at..];
        let x = tail
            .split("x1=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap_or_default();
        x.parse().unwrap_or_else(|e| panic!("{x:?}: {e}"))
    }

    fn sample(today: Date) -> Vec<LineStatus> {
        statuses(&Calendar::builtin(), &Policy::default(), today)
    }

    #[test]
    fn is_well_formed_with_a_bar_per_line() {
        let today = d("2024-11-01");
        let all = sample(today);
        let svg = lifecycle_svg(&all, today, "Kubernetes lifecycle");
        let opened = balanced(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opened.first().map(String::as_str), Some("svg"));
        assert_eq!(svg.matches("<g class=\"line\"").count(), all.len());
        for s in &all {
            assert!(
                svg.contains(&format!("data-line=\"{}\"", s.line)),
                "{}",
                s.line
            );
            assert!(svg.contains(&format!(">{}</text>", s.line)), "{}", s.line);
        }
        assert!(
            svg.contains(COMMUNITY_COLOR) && svg.contains(LTS_COLOR) && svg.contains(ENDED_COLOR)
        );
        assert!(svg.contains("today 2024-11-01"));
        assert!(svg.contains(">2020</text>"));
        assert!(
            svg.contains("<title>1.28: KLTS long-term support"),
            "tooltip per bar"
        );
        assert!(svg.contains("1.28: KLTS support 2024-10-29 to 2027-10-28"));
        assert!(!svg.contains("NaN") && !svg.contains("inf") && !svg.contains("-0.0"));
        // The only URL is the SVG namespace: no external fonts or assets.
        assert_eq!(svg.matches("http").count(), 1);
        assert!(!svg.contains("@import") && !svg.contains("href"));
    }

    /// The x coordinates and widths of every element of `svg` with an `x=` attribute.
    fn xs(svg: &str) -> Vec<(f64, f64)> {
        svg.split('<')
            .filter_map(|el| {
                let attr = |name: &str| {
                    el.split(&format!(" {name}=\""))
                        .nth(1)
                        .and_then(|v| v.split('"').next())
                        .and_then(|v| v.parse::<f64>().ok())
                };
                Some((attr("x")?, attr("width").unwrap_or(0.0)))
            })
            .collect()
    }

    #[test]
    fn narrow_layout_keeps_text_size_and_stays_inside() {
        let today = d("2024-11-01");
        let all = sample(today);
        let svg = lifecycle_svg_width(
            &all,
            today,
            "Kubernetes lifecycle on 2024-11-01",
            NARROW_WIDTH,
        );
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"360.0\" "),
            "{}",
            &svg[..200]
        );
        // Same text size as the wide chart: on a phone it is drawn at about its own size
        // instead of 12 px × 358/960 = 4.5 px.
        assert!(svg.contains("font-size=\"12\""));
        assert_eq!(svg.matches("<g class=\"line\"").count(), all.len());
        // Every row, the last one too, lies above the year labels at the bottom.
        let height: f64 = svg
            .split("height=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        for label in svg.split("class=\"line-label\" x=\"").skip(1) {
            let y: f64 = label
                .split("y=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                y <= height - 34.0,
                "a line label at y={y} runs into the axis of a {height} px chart"
            );
        }
        for (x, w) in xs(&svg) {
            assert!(
                x >= 0.0 && x + w <= NARROW_WIDTH,
                "x={x} width={w} outside the narrow chart"
            );
        }
        // The legend wrapped (its longest item alone is about 280 px) and pushed the plot down.
        let wide = lifecycle_svg(&all, today, "t");
        let first_bar = |svg: &str| {
            let row = &svg[svg.find("<g class=\"line\"").unwrap()..];
            row.split("class=\"line-label\" x=\"")
                .nth(1)
                .unwrap()
                .split("y=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        };
        assert!(
            first_bar(&svg) > first_bar(&wide),
            "the plot starts below the wrapped legend"
        );
        let legend = &svg[svg.find("<g class=\"legend\">").unwrap()..];
        let legend = &legend[..legend.find("</g>").unwrap()];
        for label in legend.split("<text x=\"").skip(1) {
            let x: f64 = label.split('"').next().unwrap().parse().unwrap();
            let text = label.split('>').nth(1).unwrap().split('<').next().unwrap();
            // The same 6.4 px-per-character estimate the layout uses.
            assert!(
                x + text.chars().count() as f64 * 6.4 <= NARROW_WIDTH,
                "{text} at {x}"
            );
        }
        // The title starts at the left edge: over the label column it would be cut off.
        assert!(svg.contains("<text class=\"chart-title\" x=\"12.0\""));
        assert!(wide.contains("<text class=\"chart-title\" x=\"64.0\""));
        // Anything narrower than the phone layout is drawn at the phone layout's width.
        assert_eq!(
            lifecycle_svg_width(&all, today, "t", 100.0),
            lifecycle_svg_width(&all, today, "t", NARROW_WIDTH)
        );
    }

    #[test]
    fn planned_parts_are_outlined_in_their_colour() {
        let today = d("2024-11-01");
        let svg = lifecycle_svg(&sample(today), today, "t");
        let planned = svg
            .split("<rect class=\"")
            .filter(|r| r.contains(" planned\""))
            .collect::<Vec<_>>();
        assert!(!planned.is_empty());
        for r in planned {
            let fill = r
                .split("fill=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert!(r.contains(&format!("stroke=\"{fill}\"")), "{r}");
        }
    }

    #[test]
    fn newest_line_is_on_top() {
        let today = d("2024-11-01");
        let mut all = sample(today);
        all.reverse();
        let svg = lifecycle_svg(&all, today, "t");
        let pos = |line: &str| {
            svg.find(&format!("data-line=\"{line}\""))
                .unwrap_or(usize::MAX)
        };
        assert!(pos("1.31") < pos("1.30") && pos("1.30") < pos("1.10") && pos("1.10") < pos("1.0"));
    }

    #[test]
    fn deterministic() {
        let today = d("2025-03-01");
        let all = sample(today);
        assert_eq!(
            lifecycle_svg(&all, today, "x"),
            lifecycle_svg(&all.clone(), today, "x")
        );
    }

    #[test]
    fn today_marker_moves_right_with_the_date() {
        let all = sample(d("2022-01-01"));
        let mut last = f64::MIN;
        for day in [
            "2019-01-01",
            "2020-06-15",
            "2021-02-28",
            "2022-01-01",
            "2023-07-04",
            "2024-02-29",
        ] {
            let svg = lifecycle_svg(&all, d(day), "t");
            let x = today_x(&svg);
            assert!(x > last, "{day}: {x} <= {last}");
            assert!((LEFT..=WIDTH - RIGHT).contains(&x));
            last = x;
        }
    }

    #[test]
    fn the_visible_words_are_the_callers() {
        let today = d("2024-11-01");
        let words = Words {
            community: "社区支持",
            lts: "KLTS 长期支持",
            ended: "无支持",
            planned: "计划中 <b>",
            today_legend: "今天",
            today: "今天",
            no_lines: "没有版本线",
        };
        let svg = lifecycle_svg_words(&sample(today), today, "t", WIDTH, &words);
        assert!(svg.contains(">社区支持</text>") && svg.contains(">今天 2024-11-01</text>"));
        assert!(svg.contains("计划中 &lt;b&gt;"), "escaped");
        assert!(!svg.contains("Community support") && !svg.contains("today 2024"));
        assert!(balanced(&svg).is_ok());
        let empty = lifecycle_svg_words(&[], today, "t", NARROW_WIDTH, &words);
        assert!(empty.contains("没有版本线"));
        // The English chart is the one it was.
        assert_eq!(
            lifecycle_svg_words(&sample(today), today, "t", WIDTH, &Words::ENGLISH),
            lifecycle_svg(&sample(today), today, "t")
        );
        // A wide character counts about twice a Latin one in the legend's layout.
        assert!(text_width("今天") > text_width("ab") * 1.5);
    }

    #[test]
    fn escapes_text() {
        let facts = LineFacts {
            line: MinorLine::new(1, 17),
            released: d("2019-12-09"),
            community_eol: Some(d("2021-01-13")),
            latest_patch: Some("v1.17.17-<x>&\"y\"".into()),
        };
        let s = line_status(&facts, &Policy::default(), d("2022-01-01"));
        let svg = lifecycle_svg(
            &[s],
            d("2022-01-01"),
            "<script>alert('x')</script> & \u{1}co",
        );
        balanced(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(svg.contains("v1.17.17-&lt;x&gt;&amp;&quot;y&quot;"));
    }

    #[test]
    fn empty_and_odd_inputs() {
        let svg = lifecycle_svg(&[], d("2024-01-01"), "");
        balanced(&svg).unwrap_or_else(|e| panic!("{e}"));
        assert!(svg.contains("No lines to show."));
        assert!(svg.contains("today 2024-01-01"));

        // Open-ended, upcoming and dropped lines, and a today far outside the data.
        let policy = Policy {
            dropped: [MinorLine::new(1, 20)].into(),
            ..Policy::default()
        };
        let facts = [
            ("1.40", "2030-01-01", None),
            ("1.39", "2029-01-01", Some("2029-01-01")),
            ("1.20", "2020-12-08", Some("2022-02-28")),
        ];
        for today in ["1990-01-01", "2024-06-01", "2100-01-01"] {
            let today = d(today);
            let all: Vec<LineStatus> = facts
                .iter()
                .map(|(line, released, eol)| {
                    let f = LineFacts {
                        line: line.parse().unwrap_or(MinorLine::new(0, 0)),
                        released: d(released),
                        community_eol: eol.map(d),
                        latest_patch: None,
                    };
                    line_status(&f, &policy, today)
                })
                .collect();
            let svg = lifecycle_svg(&all, today, "odd");
            balanced(&svg).unwrap_or_else(|e| panic!("{today}: {e}"));
            assert_eq!(svg.matches("<g class=\"line\"").count(), 3);
            assert!(!svg.contains("NaN") && !svg.contains("-0.0"));
        }
    }

    #[test]
    fn segments_show_phases() {
        let today = d("2024-11-01");
        let svg = lifecycle_svg(&sample(today), today, "t");
        // 1.28 is in LTS: solid LTS part before today and a planned part after.
        assert!(svg.contains("class=\"lts\""));
        assert!(svg.contains("class=\"lts planned\""));
        // 1.9 was never in the program; 1.10's LTS has ended.
        assert!(svg.contains("1.9: no support since 2018-09-30 (not in the KLTS program)"));
        assert!(svg.contains("1.10: no support since 2022-02-14 (LTS ended)"));
        // 1.32 is upcoming: only planned parts.
        let row = svg
            .split("data-line=\"1.32\"")
            .nth(1)
            .and_then(|r| r.split("</g>").next())
            .unwrap_or_default();
        assert!(row.contains("community planned") && !row.contains("class=\"community\""));
    }

    #[test]
    fn numbers_are_fixed_precision() {
        assert_eq!(num(-0.0), "0.0");
        assert_eq!(num(-0.01), "0.0");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(f64::NAN), "0.0");
        assert_eq!(num(960.0), "960.0");
    }
}
