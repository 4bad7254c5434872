//! Query strings, the filters of the lists, search terms and the filtered matrix.

use super::*;

pub(super) struct Query {
    pub(super) pairs: Vec<(String, String)>,
}

impl Query {
    pub(super) fn parse(q: &str) -> Query {
        let pairs = q
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .take(MAX_QUERY_PAIRS)
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let k = percent_decode(k, true)
                    .unwrap_or_else(|| String::from_utf8_lossy(k.as_bytes()).into_owned());
                let v = percent_decode(v, true).unwrap_or_else(|| "\u{FFFD}".to_string());
                (k, v)
            })
            .collect();
        Query { pairs }
    }

    /// Every non-empty value of `key` (comma-separated values split).
    pub(super) fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|x| x.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The last value of `key`, trimmed ("" when absent).
    pub(super) fn last(&self, key: &str) -> String {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
}

/// Filters of the advisory list, the matrix and search, validated.
#[derive(Default)]
pub(super) struct Filters {
    pub(super) severity: Option<Severity>,
    pub(super) lines: Vec<MinorLine>,
    pub(super) statuses: Vec<StatusKind>,
    pub(super) q: String,
    /// `page` and `per_page` of a JSON list: `None` = the whole list (what the static build
    /// writes, and what clients written before pagination get).
    pub(super) page: Option<(usize, usize)>,
}

/// The most entries one page of a JSON list holds.
pub(super) const MAX_PER_PAGE: usize = 500;

/// One page of `items` under `f.page` (all of them without), and the pagination facts for the
/// answer: `{page, per_page, total, pages, next}` (`next` is the page's URL, `null` on the last).
pub(super) fn paginate<T>(items: Vec<T>, f: &Filters, url: &str) -> (Vec<T>, serde_json::Value) {
    let total = items.len();
    let Some((page, per_page)) = f.page else {
        return (items, serde_json::json!({ "total": total }));
    };
    let pages = total.div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let items: Vec<T> = items.into_iter().skip(start).take(per_page).collect();
    let mut query = f.query_string();
    let next = (page < pages).then(|| {
        if !query.is_empty() {
            query.push('&');
        }
        format!("{url}?{query}page={}&per_page={per_page}", page + 1)
    });
    (
        items,
        serde_json::json!({
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": pages,
            "next": next,
        }),
    )
}

impl Filters {
    /// The query string reproducing these filters (for links), `""` when none.
    pub(super) fn query_string(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.severity {
            parts.push(format!("severity={s}"));
        }
        for l in &self.lines {
            parts.push(format!("line={l}"));
        }
        for s in &self.statuses {
            parts.push(format!("status={s}"));
        }
        if !self.q.is_empty() {
            parts.push(format!("q={}", encode_segment(&self.q)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// A query value the page does not accept: a catalogue sentence and its arguments, said in the
/// page's language (the JSON API says it in English).
#[derive(Debug)]
pub(super) struct FilterError {
    msg: Msg,
    args: Vec<(&'static str, String)>,
}

impl FilterError {
    fn new(msg: Msg, args: &[(&'static str, String)]) -> FilterError {
        FilterError {
            msg,
            args: args.to_vec(),
        }
    }

    /// The sentence in `lang`, as text.
    pub(super) fn message(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill_text(lang, self.msg, &args)
    }
}

/// The messages of `errors` in English, one line (the JSON API's `error`).
pub(super) fn english(errors: &[FilterError]) -> String {
    errors
        .iter()
        .map(|e| e.message(Lang::En))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn parse_severity(value: &str) -> Result<Option<Severity>, FilterError> {
    let v = value.trim().to_ascii_lowercase();
    match v.as_str() {
        "" | "any" | "all" => Ok(None),
        "low" | "medium" | "moderate" | "high" | "critical" => Ok(Severity::parse(&v)),
        _ => Err(FilterError::new(
            Msg::BadSeverity,
            &[
                ("value", clip(value, 40)),
                ("choices", SEVERITY_CHOICES.join(", ")),
            ],
        )),
    }
}

/// Read the filters `keys` allows from `query`; the errors say which values are allowed.
pub(super) fn parse_filters(
    site: &Site<'_>,
    query: &str,
    keys: &[&str],
) -> Result<Filters, Vec<FilterError>> {
    let q = Query::parse(query);
    let mut f = Filters::default();
    let mut errors = Vec::new();
    if keys.contains(&"severity") {
        match parse_severity(&q.last("severity")) {
            Ok(s) => f.severity = s,
            Err(e) => errors.push(e),
        }
    }
    if keys.contains(&"line") {
        let known: Vec<&str> = site.lines.iter().map(|l| l.line.as_str()).collect();
        for v in q.all("line") {
            if v.eq_ignore_ascii_case("any") || v.eq_ignore_ascii_case("all") {
                continue;
            }
            match v.parse::<MinorLine>() {
                Ok(l) if known.contains(&l.to_string().as_str()) => {
                    if !f.lines.contains(&l) {
                        f.lines.push(l);
                    }
                }
                _ if known.is_empty() => errors.push(FilterError::new(
                    Msg::BadLineNoneKnown,
                    &[("value", clip(&v, 40))],
                )),
                _ => errors.push(FilterError::new(
                    Msg::BadLine,
                    &[("value", clip(&v, 40)), ("choices", known.join(", "))],
                )),
            }
        }
    }
    if keys.contains(&"status") {
        for v in q.all("status") {
            if v.eq_ignore_ascii_case("any") || v.eq_ignore_ascii_case("all") {
                continue;
            }
            match StatusKind::parse(&v.to_ascii_lowercase()) {
                Some(s) => {
                    if !f.statuses.contains(&s) {
                        f.statuses.push(s);
                    }
                }
                None => errors.push(FilterError::new(
                    Msg::BadStatus,
                    &[
                        ("value", clip(&v, 40)),
                        (
                            "choices",
                            StatusKind::ALL
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ],
                )),
            }
        }
    }
    if keys.contains(&"page") {
        let (page, per) = (q.last("page"), q.last("per_page"));
        if !page.is_empty() || !per.is_empty() {
            let page_n = if page.is_empty() {
                Ok(1)
            } else {
                page.parse::<usize>()
            };
            let per_n = if per.is_empty() {
                Ok(100)
            } else {
                per.parse::<usize>()
            };
            match (page_n, per_n) {
                (Ok(p), Ok(n)) if p >= 1 && (1..=MAX_PER_PAGE).contains(&n) => {
                    f.page = Some((p, n))
                }
                _ => errors.push(FilterError::new(
                    Msg::BadPage,
                    &[
                        ("page", clip(&page, 20)),
                        ("per_page", clip(&per, 20)),
                        ("max", MAX_PER_PAGE.to_string()),
                    ],
                )),
            }
        }
    }
    if keys.contains(&"q") {
        let text = q.last("q");
        if text.chars().count() > MAX_QUERY_CHARS {
            errors.push(FilterError::new(
                Msg::QueryTooLong,
                &[("max", MAX_QUERY_CHARS.to_string())],
            ));
        } else {
            f.q = text;
        }
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

/// Whether every whitespace-separated term of `q` occurs in one of `fields` (case-insensitive).
pub(super) fn text_matches(q: &str, fields: &[&str]) -> bool {
    let hay: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
    q.split_whitespace()
        .map(str::to_lowercase)
        .all(|term| hay.iter().any(|h| h.contains(&term)))
}

/// What a search matches an advisory on (the live server and the static page's script use the
/// same terms).
pub(super) fn advisory_terms(a: &AdvisoryView) -> Vec<String> {
    let mut fields: Vec<String> = vec![a.advisory.id.clone()];
    fields.extend(a.advisory.aliases.iter().cloned());
    fields.extend(a.advisory.packages.iter().cloned());
    if let Some(s) = &a.summary {
        fields.push(s.clone());
    }
    fields
}

pub(super) fn release_terms(r: &ReleaseView) -> Vec<String> {
    let mut fields: Vec<String> = vec![r.name.clone(), r.base_tag.clone()];
    if let Some(l) = &r.line {
        fields.push(l.clone());
    }
    fields.extend(r.patches.iter().map(|p| p.name.clone()));
    fields
}

/// A line's search terms; on a page in another language than English, also its phase as that
/// page names it (`社区维护`), so readers can search for what they see.
pub(super) fn line_terms(site: &Site<'_>, l: &LineView) -> Vec<String> {
    let mut fields: Vec<String> = vec![
        l.line.clone(),
        format!("v{}", l.line),
        phase_name(&l.status),
    ];
    if site.lang != Lang::En {
        if let Some(m) = phase_msg(&l.status) {
            fields.push(site.s(m));
        }
    }
    if let Some(n) = &l.newest {
        fields.push(n.clone());
    }
    if let Some(p) = &l.status.latest_patch {
        fields.push(p.clone());
    }
    fields
}

pub(super) fn matches_terms(q: &str, terms: &[String]) -> bool {
    let fields: Vec<&str> = terms.iter().map(String::as_str).collect();
    text_matches(q, &fields)
}

pub(super) fn advisory_matches(a: &AdvisoryView, q: &str) -> bool {
    q.is_empty() || matches_terms(q, &advisory_terms(a))
}

pub(super) fn release_matches(r: &ReleaseView, q: &str) -> bool {
    matches_terms(q, &release_terms(r))
}

pub(super) fn line_matches(site: &Site<'_>, l: &LineView, q: &str) -> bool {
    matches_terms(q, &line_terms(site, l))
}

/// The `data-terms` attribute of a search result: its terms, lowercased, one per line (what
/// `assets/search.js` filters on).
pub(super) fn data_terms(terms: &[String]) -> Html {
    let joined = terms
        .iter()
        .map(|t| t.to_lowercase().replace(['\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\n");
    markup!(" data-terms=\"{}\"", joined)
}

/// An advisory by id first (any case), then by alias.
pub(super) fn find_advisory<'a>(site: &'a SiteData, id: &str) -> Option<&'a AdvisoryView> {
    site.advisories
        .iter()
        .find(|a| a.advisory.id.eq_ignore_ascii_case(id))
        .or_else(|| {
            site.advisories.iter().find(|a| {
                a.advisory
                    .aliases
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(id))
            })
        })
}

// The matrix, filtered.

pub(super) struct MatrixView<'a> {
    /// Indexes into `site.matrix.releases`.
    pub(super) columns: Vec<usize>,
    pub(super) rows: Vec<&'a MatrixRow>,
}

pub(super) fn release_line(name: &str) -> Option<MinorLine> {
    Version::parse(name).ok().map(|v| v.line())
}

/// The matrix filtered by [`klts_vuln::report::MatrixFilter`]'s rule, the one `klts vulns
/// matrix` applies.
pub(super) fn filter_matrix<'a>(site: &'a SiteData, f: &Filters) -> MatrixView<'a> {
    let rule = klts_vuln::report::MatrixFilter {
        min_severity: f.severity,
        lines: f.lines.clone(),
        statuses: f.statuses.clone(),
        all: false,
    };
    let columns: Vec<usize> = site
        .matrix
        .releases
        .iter()
        .enumerate()
        .filter(|(_, r)| rule.keeps_line(release_line(r)))
        .map(|(i, _)| i)
        .collect();
    let rows = site
        .matrix
        .rows
        .iter()
        .filter(|row| {
            rule.keeps_row(
                row.advisory.severity,
                columns.iter().filter_map(|&i| row.cells.get(i)),
            )
        })
        .collect();
    MatrixView { columns, rows }
}

#[derive(Serialize)]
pub(super) struct MatrixOut<'a> {
    pub(super) filter: serde_json::Value,
    pub(super) pagination: serde_json::Value,
    pub(super) releases: Vec<&'a str>,
    pub(super) rows: Vec<MatrixRowOut<'a>>,
}

#[derive(Serialize)]
pub(super) struct MatrixRowOut<'a> {
    pub(super) advisory: &'a AdvisorySummary,
    pub(super) cells: Vec<&'a Status>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings() {
        let q = Query::parse("severity=High&line=1.17,1.18&line=1.19&q=a+b%21&=x&&flag");
        assert_eq!(q.last("severity"), "High");
        assert_eq!(q.all("line"), vec!["1.17", "1.18", "1.19"]);
        assert_eq!(q.last("q"), "a b!");
        assert_eq!(q.last("missing"), "");
        assert!(parse_severity("urgent")
            .unwrap_err()
            .message(Lang::En)
            .contains("low, medium, high, critical"));
        assert_eq!(parse_severity("").unwrap(), None);
        assert_eq!(parse_severity("Moderate").unwrap(), Some(Severity::Medium));
    }

    #[test]
    fn text_search_needs_every_term() {
        assert!(text_matches("cve 2021", &["CVE-2021-25741"]));
        assert!(!text_matches("cve 2020", &["CVE-2021-25741"]));
        assert!(text_matches("", &[]));
    }
}
