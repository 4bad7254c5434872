//! Colour contrast of the portal (WCAG 2.1): badge text at least 4.5:1 against its badge's
//! background (1.4.3), in the light and the dark scheme of `assets/style.css`; every mark and
//! label of the lifecycle chart at least 3:1, and its text 4.5:1, against the chart's white
//! background (1.4.11). The colours are read from the stylesheet and the chart's constants, so
//! a new colour cannot skip the check.

use klts_site::chart;

const STYLE: &str = include_str!("../assets/style.css");

/// `#rrggbb` as three channels in 0..=1.
fn rgb(hex: &str) -> [f64; 3] {
    let h = hex.trim().trim_start_matches('#');
    assert_eq!(h.len(), 6, "{hex}: only #rrggbb colours are checked");
    let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).unwrap() as f64 / 255.0;
    [c(0), c(2), c(4)]
}

/// Relative luminance (WCAG 2.1 definition).
fn luminance(hex: &str) -> f64 {
    let lin = |c: f64| {
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b] = rgb(hex);
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The custom properties of the first `:root { … }` block at or after `from`.
fn vars(from: &str) -> Vec<(String, String)> {
    let start = from.find(":root {").expect(":root block") + ":root {".len();
    let block = &from[start..start + from[start..].find('}').expect("end of :root")];
    block
        .split(';')
        .filter_map(|d| {
            let d = d.trim();
            let d = d.rsplit("*/").next().unwrap_or(d).trim();
            let (k, v) = d.split_once(':')?;
            k.trim()
                .starts_with("--")
                .then(|| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn resolve(vars: &[(String, String)], value: &str) -> String {
    match value.strip_prefix("var(").and_then(|v| v.strip_suffix(')')) {
        Some(name) => vars
            .iter()
            .find(|(k, _)| k == name)
            .unwrap_or_else(|| panic!("no {name} in style.css"))
            .1
            .clone(),
        None => value.to_string(),
    }
}

/// (class, background, text) of every badge rule: `.x { background: …; color: …; }`.
fn badges() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for rule in STYLE.split('}') {
        let Some((selector, body)) = rule.split_once('{') else {
            continue;
        };
        let selector = selector.rsplit("*/").next().unwrap_or(selector).trim();
        let decl = |name: &str| {
            body.split(';').find_map(|d| {
                let (k, v) = d.split_once(':')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
        };
        if !(selector.starts_with(".sev-")
            || selector.starts_with(".phase-")
            || selector.starts_with(".st-"))
        {
            continue;
        }
        if let (Some(bg), Some(fg)) = (decl("background"), decl("color")) {
            out.push((selector.to_string(), bg, fg));
        }
    }
    out
}

#[test]
fn luminance_matches_wcag_reference_values() {
    assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    assert!((contrast("#ffffff", "#ffffff") - 1.0).abs() < 1e-9);
    // The WCAG boundary example: #767676 on white is 4.54:1.
    assert!((contrast("#767676", "#ffffff") - 4.54).abs() < 0.01);
    // The portal's old badge colours that failed: "unknown" amber and "n/a" grey.
    assert!(contrast("#a86b00", "#fff1d1") < 4.5);
    assert!(contrast("#6b7280", "#f0f1f3") < 4.5);
}

#[test]
fn badge_text_reaches_4_5_to_1_in_both_schemes() {
    let light = vars(STYLE);
    let dark_at = STYLE
        .find("@media (prefers-color-scheme: dark)")
        .expect("dark scheme");
    let dark = vars(&STYLE[dark_at..]);
    // Dark overrides light; anything not overridden stays.
    let mut dark_all = light.clone();
    for (k, v) in &dark {
        dark_all.retain(|(k2, _)| k2 != k);
        dark_all.push((k.clone(), v.clone()));
    }
    let badges = badges();
    assert!(badges.len() >= 12, "badge rules not found: {badges:?}");
    let mut failures = Vec::new();
    for (scheme, vars) in [("light", &light), ("dark", &dark_all)] {
        for (class, bg, fg) in &badges {
            let (b, f) = (resolve(vars, bg), resolve(vars, fg));
            let ratio = contrast(&b, &f);
            eprintln!("{scheme} {class}: {f} on {b} = {ratio:.2}");
            if ratio < 4.5 {
                failures.push(format!("{scheme} {class}: {f} on {b} is {ratio:.2}:1"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "badge text below 4.5:1:\n{}",
        failures.join("\n")
    );
}

#[test]
fn chart_colours_stand_out_from_white() {
    let mut failures = Vec::new();
    for (color, text) in chart::COLORS {
        let ratio = contrast(color, "#ffffff");
        let need = if text { 4.5 } else { 3.0 };
        eprintln!("chart {color} on white = {ratio:.2} (need {need})");
        if ratio < need {
            failures.push(format!("{color}: {ratio:.2}:1, needs {need}:1"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every colour the chart draws with is in the checked list (the gridlines, decoration
    // behind the bars, and the white background itself excepted).
    // Drawn over the real calendar on a day with community, LTS, ended and upcoming lines, so
    // bars, labels of every phase and planned parts are all there.
    use klts_core::lifecycle::{statuses, Calendar, Policy};
    let today = klts_core::lifecycle::Date::new(2022, 6, 1).unwrap();
    let lines = statuses(&Calendar::builtin(), &Policy::default(), today);
    let svg = chart::lifecycle_svg(&lines, today, "t");
    for drawn in [
        chart::COMMUNITY_COLOR,
        chart::LTS_COLOR,
        chart::ENDED_COLOR,
        chart::EOL_LABEL_COLOR,
    ] {
        assert!(
            svg.contains(drawn),
            "{drawn} not drawn: the fixture misses a phase"
        );
    }
    for attr in ["fill=\"#", "stroke=\"#"] {
        for part in svg.split(attr).skip(1) {
            let color = format!("#{}", &part[..6]);
            assert!(
                color == "#ffffff"
                    || color == "#d8dee4"
                    || chart::COLORS.iter().any(|(c, _)| *c == color),
                "{color} is drawn but not in chart::COLORS"
            );
        }
    }
}
