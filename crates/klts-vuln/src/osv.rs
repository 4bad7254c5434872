//! A tolerant reader of OSV records (the Kubernetes advisories of
//! kubernetes-sigs/cve-feed-osv and the Go vulnerability database).
//!
//! Records are read as [`serde_json::Value`], not through strict structs, so unknown fields
//! are ignored and one malformed part does not lose the whole record. What cannot be read is
//! reported as a warning [`Diagnostic`] naming the file and the field path (`affected[2].ranges[0].events[1]`),
//! and never turned into a silently wrong range:
//!
//! * invalid JSON, a record that is not an object, or a record without a string `id` is an
//!   error (the whole record is skipped); so is a `withdrawn` record, which no longer applies;
//! * a range with an unknown `type` or any malformed event (not exactly one of `introduced`,
//!   `fixed`, `last_affected`, `limit` with a string value, or — for `SEMVER` / `ECOSYSTEM`
//!   ranges of the Kubernetes and Go ecosystems — a value that is not a version there), or
//!   without an `introduced` event, is dropped whole;
//! * an affected entry without a package, or left with no ranges and no versions, is dropped.
//!
//! Kept: `id`, `aliases` (not `related`), `published`, `modified`, reference URLs, the first
//! valid `CVSS_V3` vector (record-level `severity` first, then each affected entry's),
//! `summary`, and the kubernetes/kubernetes issue among the references.

use crate::cvss::base_score;
use crate::model::{Advisory, Affected, Ecosystem, Event, Package, Range, RangeKind, Source};
use crate::range::{check_event, supported};
use klts_core::diag::{Diagnostic, Severity};
use serde_json::{Map, Value};

klts_core::diagnostic_codes! {
    /// Why part of an advisory input (an OSV record, a JSON feed, a merge of records) was
    /// skipped: the codes of the warnings in [`crate::db::Database::warnings`].
    pub enum FeedCode {
        /// The file is not JSON, or not the document it should be (a record, a feed object).
        NotADocument => "not-a-document",
        /// The input is over a size or count limit; the whole record was skipped.
        OverLimit => "over-limit",
        /// The record has no usable `id`; it was skipped.
        BadId => "bad-id",
        /// The record is withdrawn and no longer applies; it was skipped.
        Withdrawn => "withdrawn",
        /// A field could not be read (wrong type, malformed range or event); that part was
        /// dropped and the rest of the record kept.
        SkippedField => "skipped-field",
        /// An alias that would fuse two CVEs into one advisory was ignored.
        AliasRefused => "alias-refused",
    }
}

/// A warning about `field` of `file` (a [`Diagnostic`] with a field path), coded `code`.
///
/// Each part is bounded and made printable here, once: a record's values (a 1 MB id, a URL
/// with escape sequences) reach the warning's text and must never be echoed whole.
pub fn warning(
    code: FeedCode,
    file: &str,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Diagnostic {
    use klts_core::names::printable;
    Diagnostic::in_field(
        Severity::Warning,
        code,
        printable(file, 200),
        printable(&field.into(), 120),
        printable(&message.into(), 300),
    )
}

/// The URL prefix of kubernetes/kubernetes issues (matched without the scheme).
pub(crate) const K8S_ISSUES: &str = "github.com/kubernetes/kubernetes/issues/";

/// A short, single-line description of a JSON value's type, for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads JSON bytes into a value, or a warning about the whole document.
// The error is the warning callers keep (a whole file skipped, once per file): boxing it
// would only move the allocation.
#[allow(clippy::result_large_err)]
pub(crate) fn parse_json(bytes: &[u8], file: &str) -> Result<Value, Diagnostic> {
    serde_json::from_slice(bytes).map_err(|e| {
        warning(
            FeedCode::NotADocument,
            file,
            "$",
            format!("invalid JSON ({e}); file skipped"),
        )
    })
}

/// Collects warnings for one file.
pub(crate) struct Sink<'a> {
    pub(crate) file: &'a str,
    pub(crate) warnings: Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &'a str) -> Sink<'a> {
        Sink {
            file,
            warnings: Vec::new(),
        }
    }

    pub(crate) fn warn(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let w = warning(FeedCode::SkippedField, self.file, field, message);
        tracing::debug!(warning = %w, "skipped part of an advisory record");
        self.warnings.push(w);
    }

    /// An optional string field: `None` when absent or null, a warning when not a string.
    pub(crate) fn opt_str(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.warn(
                    path.to_string(),
                    format!("expected a string, found {}; ignored", kind_of(other)),
                );
                None
            }
        }
    }

    /// An optional array of strings: non-string entries are skipped with a warning.
    pub(crate) fn str_array(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Vec<String> {
        match obj.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => self.warn(
                            format!("{path}[{i}]"),
                            format!("expected a string, found {}; entry skipped", kind_of(other)),
                        ),
                    }
                }
                out
            }
            Some(other) => {
                self.warn(
                    path.to_string(),
                    format!("expected an array, found {}; ignored", kind_of(other)),
                );
                Vec::new()
            }
        }
    }

    /// An optional array: its entries, or nothing (with a warning when not an array).
    pub(crate) fn array<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> &'v [Value] {
        match obj.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.warn(
                    path.to_string(),
                    format!("expected an array, found {}; ignored", kind_of(other)),
                );
                &[]
            }
        }
    }
}

/// The largest OSV record read: 4 MiB. The largest real records (Go standard library
/// advisories) are tens of KB. A larger record is skipped with a warning.
pub const MAX_OSV_RECORD_BYTES: usize = 4 * 1024 * 1024;

/// The most `affected` entries an OSV record may have: 1,000. Real records have a few dozen; a
/// crafted one with 100,000 made every `klts vulns` command slow. A record with more is
/// skipped with a warning (keeping only some of its entries could leave wrong statuses).
pub const MAX_AFFECTED_PER_RECORD: usize = 1_000;

/// Reads one OSV record.
///
/// `Err` (the record is skipped) for invalid JSON, a non-object document, a missing or
/// non-string `id`, or a withdrawn record; otherwise the advisory (with `sources = {source}`)
/// and a warning for every part that was skipped. See the [module documentation](self).
// The error is the warning callers keep (a whole file skipped, once per file): boxing it
// would only move the allocation.
#[allow(clippy::result_large_err)]
pub fn parse_record(
    bytes: &[u8],
    file: &str,
    source: Source,
) -> Result<(Advisory, Vec<Diagnostic>), Diagnostic> {
    if bytes.len() > MAX_OSV_RECORD_BYTES {
        return Err(warning(
 FeedCode::OverLimit,
            file,
            "$",
            format!(
                "the record is {} bytes, over the limit of {MAX_OSV_RECORD_BYTES} bytes; record skipped",
                bytes.len()
            ),
        ));
    }
    // serde_json refuses nesting deeper than 128 levels with an error, so a crafted record
    // cannot overflow the stack here.
    let doc = parse_json(bytes, file)?;
    let Value::Object(obj) = &doc else {
        return Err(warning(
            FeedCode::NotADocument,
            file,
            "$",
            format!(
                "expected an OSV record (a JSON object), found {}; file skipped",
                kind_of(&doc)
            ),
        ));
    };
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::String(_)) => {
            return Err(warning(
                FeedCode::BadId,
                file,
                "id",
                "empty id; record skipped",
            ))
        }
        Some(other) => {
            return Err(warning(
                FeedCode::BadId,
                file,
                "id",
                format!(
                    "expected a string, found {}; record skipped",
                    kind_of(other)
                ),
            ))
        }
        None => {
            return Err(warning(
                FeedCode::BadId,
                file,
                "id",
                "missing id; record skipped",
            ))
        }
    };
    match obj.get("withdrawn") {
        None | Some(Value::Null) => {}
        Some(Value::String(when)) => {
            return Err(warning(
                FeedCode::Withdrawn,
                file,
                "withdrawn",
                format!("{id} was withdrawn on {when}; record skipped"),
            ))
        }
        Some(_) => {
            return Err(warning(
                FeedCode::Withdrawn,
                file,
                "withdrawn",
                format!("{id} is withdrawn; record skipped"),
            ))
        }
    }

    if let Some(Value::Array(affected)) = obj.get("affected") {
        if affected.len() > MAX_AFFECTED_PER_RECORD {
            return Err(warning(
 FeedCode::OverLimit,
                file,
                "affected",
                format!(
                    "{id} has {} affected entries, over the limit of {MAX_AFFECTED_PER_RECORD}; record skipped",
                    affected.len()
                ),
            ));
        }
    }
    let mut sink = Sink::new(file);
    let mut adv = Advisory::new(id.clone());
    adv.sources.insert(source);
    for alias in sink.str_array(obj, "aliases", "aliases") {
        let alias = alias.trim();
        if !alias.is_empty() && alias != id {
            adv.aliases.insert(alias.to_string());
        }
    }
    adv.published = crate::model::real_date(sink.opt_str(obj, "published", "published"));
    adv.modified = crate::model::real_date(sink.opt_str(obj, "modified", "modified"));
    adv.summary = sink
        .opt_str(obj, "summary", "summary")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());

    // References, in record order for the issue, then sorted.
    let mut references = Vec::new();
    for (i, r) in sink
        .array(obj, "references", "references")
        .iter()
        .enumerate()
    {
        match r.get("url") {
            Some(Value::String(u)) if !u.trim().is_empty() => references.push(u.trim().to_string()),
            _ => sink.warn(
                format!("references[{i}].url"),
                "missing or not a string; reference skipped",
            ),
        }
    }
    adv.issue = references.iter().find(|u| u.contains(K8S_ISSUES)).cloned();
    references.sort();
    references.dedup();
    adv.references = references;

    let mut vector = severity_vector(&mut sink, obj, "severity");
    for (i, a) in sink.array(obj, "affected", "affected").iter().enumerate() {
        let path = format!("affected[{i}]");
        let Value::Object(a) = a else {
            sink.warn(
                path,
                format!("expected an object, found {}; entry skipped", kind_of(a)),
            );
            continue;
        };
        let v = severity_vector(&mut sink, a, &format!("{path}.severity"));
        if vector.is_none() {
            vector = v;
        }
        if let Some(mut affected) = parse_affected(&mut sink, a, &path) {
            affected.record = Some(crate::model::RecordRef {
                source,
                id: id.clone(),
                published: adv.published.clone(),
            });
            adv.affected.push(affected);
        }
    }
    adv.cvss_v3 = vector;
    Ok((adv, sink.warnings))
}

/// The first valid `CVSS_V3` vector of the `severity` array of `obj` (at `path`).
fn severity_vector(sink: &mut Sink<'_>, obj: &Map<String, Value>, path: &str) -> Option<String> {
    let mut found = None;
    for (i, s) in sink.array(obj, "severity", path).iter().enumerate() {
        let ty = s.get("type").and_then(Value::as_str);
        if ty != Some("CVSS_V3") {
            continue;
        }
        match s.get("score") {
            Some(Value::String(v)) if base_score(v).is_some() => {
                if found.is_none() {
                    found = Some(v.trim().to_string());
                }
            }
            Some(Value::String(v)) => sink.warn(
                format!("{path}[{i}].score"),
                format!("invalid CVSS v3 vector {v:?}; ignored"),
            ),
            _ => sink.warn(
                format!("{path}[{i}].score"),
                "missing or not a string; ignored",
            ),
        }
    }
    found
}

fn parse_affected(sink: &mut Sink<'_>, a: &Map<String, Value>, path: &str) -> Option<Affected> {
    let pkg = a.get("package").and_then(Value::as_object);
    let name = pkg
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .map(str::trim);
    let ecosystem = pkg
        .and_then(|p| p.get("ecosystem"))
        .and_then(Value::as_str)
        .map(str::trim);
    let (name, ecosystem) = match (pkg, name, ecosystem) {
        (None, _, _) => {
            sink.warn(
                format!("{path}.package"),
                "missing or not an object; entry skipped",
            );
            return None;
        }
        (_, Some(n), Some(e)) if !n.is_empty() && !e.is_empty() => (n, Ecosystem::from_osv(e)),
        (_, Some(n), _) if !n.is_empty() => {
            sink.warn(
                format!("{path}.package.ecosystem"),
                "missing, empty or not a string; entry skipped",
            );
            return None;
        }
        _ => {
            sink.warn(
                format!("{path}.package.name"),
                "missing, empty or not a string; entry skipped",
            );
            return None;
        }
    };

    let mut ranges = Vec::new();
    for (j, r) in sink
        .array(a, "ranges", &format!("{path}.ranges"))
        .iter()
        .enumerate()
    {
        if let Some(range) = parse_range(sink, r, &ecosystem, &format!("{path}.ranges[{j}]")) {
            ranges.push(range);
        }
    }
    let versions: Vec<String> = sink
        .str_array(a, "versions", &format!("{path}.versions"))
        .into_iter()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if ranges.is_empty() && versions.is_empty() {
        sink.warn(
            path.to_string(),
            format!("{name} ({ecosystem}) has no readable ranges or versions; entry skipped"),
        );
        return None;
    }
    Some(Affected {
        package: Package {
            ecosystem,
            name: name.to_string(),
        },
        ranges,
        versions,
        record: None,
    })
}

fn parse_range(sink: &mut Sink<'_>, r: &Value, ecosystem: &Ecosystem, path: &str) -> Option<Range> {
    let Value::Object(r) = r else {
        sink.warn(
            path.to_string(),
            format!("expected an object, found {}; range skipped", kind_of(r)),
        );
        return None;
    };
    let kind = match r.get("type") {
        Some(Value::String(t)) => match t.as_str() {
            "SEMVER" => RangeKind::Semver,
            "ECOSYSTEM" => RangeKind::Ecosystem,
            "GIT" => RangeKind::Git,
            other => {
                sink.warn(
                    format!("{path}.type"),
                    format!("unknown range type {other:?} (expected SEMVER, ECOSYSTEM or GIT); range skipped"),
                );
                return None;
            }
        },
        Some(other) => {
            sink.warn(
                format!("{path}.type"),
                format!("expected a string, found {}; range skipped", kind_of(other)),
            );
            return None;
        }
        None => {
            sink.warn(format!("{path}.type"), "missing; range skipped");
            return None;
        }
    };
    let Some(Value::Array(items)) = r.get("events") else {
        sink.warn(
            format!("{path}.events"),
            "missing or not an array; range skipped",
        );
        return None;
    };
    let check = kind != RangeKind::Git && supported(ecosystem);
    let mut events = Vec::with_capacity(items.len());
    for (k, e) in items.iter().enumerate() {
        let epath = format!("{path}.events[{k}]");
        let event = match parse_event(e) {
            Ok(event) => event,
            Err(why) => {
                sink.warn(epath, format!("{why}; range skipped"));
                return None;
            }
        };
        if check {
            if let Err(why) = check_event(ecosystem, &event) {
                sink.warn(epath, format!("{why}; range skipped"));
                return None;
            }
        }
        events.push(event);
    }
    if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
        sink.warn(
            format!("{path}.events"),
            "no introduced event, so no version would ever match; range skipped",
        );
        return None;
    }
    Some(Range { kind, events })
}

fn parse_event(e: &Value) -> Result<Event, String> {
    let Value::Object(e) = e else {
        return Err(format!("expected an object, found {}", kind_of(e)));
    };
    let mut found: Option<Event> = None;
    for (key, value) in e {
        let make: fn(String) -> Event = match key.as_str() {
            "introduced" => Event::Introduced,
            "fixed" => Event::Fixed,
            "last_affected" => Event::LastAffected,
            "limit" => Event::Limit,
            _ => continue,
        };
        let Value::String(v) = value else {
            return Err(format!(
                "{key}: expected a string, found {}",
                kind_of(value)
            ));
        };
        let v = v.trim();
        if v.is_empty() {
            return Err(format!("{key}: empty version"));
        }
        if found.is_some() {
            return Err("more than one of introduced, fixed, last_affected, limit".to_string());
        }
        found = Some(make(v.to_string()));
    }
    found.ok_or_else(|| "expected one of introduced, fixed, last_affected, limit".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err)]
    fn parse(json: &str) -> Result<(Advisory, Vec<Diagnostic>), Diagnostic> {
        parse_record(json.as_bytes(), "t.json", Source::GoVulnDb)
    }

    #[test]
    fn warnings_never_echo_huge_or_hostile_values() {
        let huge = format!(
            r#"{{"id":"GO-{}","withdrawn":"2024-01-01T00:00:00Z"}}"#,
            "x".repeat(1 << 20)
        );
        let w = parse_record(huge.as_bytes(), "f.json", Source::GoVulnDb).unwrap_err();
        assert!(w.to_string().len() < 1000, "{} bytes", w.to_string().len());
        let w = warning(FeedCode::SkippedField, "f\u{1b}[2J.json", "id", "x\u{7}");
        assert!(!w.to_string().chars().any(|c| c.is_control()), "{w}");
    }

    #[test]
    fn minimal_and_unknown_fields() {
        let (a, w) = match parse(
            r#"{"id":"GO-1","whatever":{"x":1},"related":["CVE-9"],"aliases":["CVE-1","GO-1"]}"#,
        ) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        };
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(a.id, "GO-1");
        assert_eq!(a.aliases.iter().collect::<Vec<_>>(), vec!["CVE-1"]);
        assert!(a.sources.contains(&Source::GoVulnDb));
    }

    #[test]
    fn record_level_errors() {
        for (json, field, code) in [
            ("{", "$", FeedCode::NotADocument),
            ("[]", "$", FeedCode::NotADocument),
            ("{}", "id", FeedCode::BadId),
            (r#"{"id":7}"#, "id", FeedCode::BadId),
            (r#"{"id":"  "}"#, "id", FeedCode::BadId),
            (
                r#"{"id":"GO-1","withdrawn":"2024-01-01T00:00:00Z"}"#,
                "withdrawn",
                FeedCode::Withdrawn,
            ),
        ] {
            match parse(json) {
                Err(w) => {
                    assert_eq!(w.file.to_str(), Some("t.json"));
                    assert_eq!(w.field.as_deref(), Some(field), "{json}");
                    assert_eq!(w.code, klts_core::diag::Code::as_str(code), "{json}");
                    assert!(
                        w.to_string()
                            .starts_with(&format!("t.json: warning[{code}]: {field}: ")),
                        "{w}"
                    );
                }
                Ok(a) => panic!("{json}: {a:?}"),
            }
        }
    }

    #[test]
    fn malformed_parts_are_skipped_with_warnings() {
        let json = r#"{
          "id": "GO-2",
          "aliases": ["CVE-2", 3],
          "published": 5,
          "references": [{"url": "https://github.com/kubernetes/kubernetes/issues/1"}, {"type": "WEB"}],
          "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N"}, {"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}],
          "affected": [
            {"package": {"name": "m", "ecosystem": "Go"}, "ranges": [
               {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.x"}]},
               {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}
            ], "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]},
            {"package": {"name": "n", "ecosystem": "Go"}, "ranges": [
               {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": 3}]}
            ]},
            {"package": {"name": "o"}},
            "nope",
            {"package": {"name": "p", "ecosystem": "Go"}, "ranges": [
               {"type": "WEIRD", "events": [{"introduced": "0"}]},
               {"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1.0.0"}]},
               {"type": "SEMVER", "events": [{"fixed": "1.0.0"}]},
               {"type": "SEMVER", "events": [{"bogus": "1.0.0"}]}
            ], "versions": ["1.0.1", 2]},
            {"package": {"name": "q", "ecosystem": "npm"}, "ranges": [
               {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "whatever"}]}
            ]},
            {"package": {"name": "r", "ecosystem": "Go"}, "ranges": [
               {"type": "GIT", "repo": "x", "events": [{"introduced": "abc"}, {"limit": "def"}]}
            ]}
          ]
        }"#;
        let (a, w) = match parse(json) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        };
        let fields: Vec<&str> = w.iter().map(|w| w.field.as_deref().unwrap_or("")).collect();
        assert_eq!(
            fields,
            vec![
                "aliases[1]",
                "published",
                "references[1].url",
                "severity[0].score",
                "affected[0].ranges[0].events[1]",
                "affected[1].ranges[0].events[1]",
                "affected[1]",
                "affected[2].package.ecosystem",
                "affected[3]",
                "affected[4].ranges[0].type",
                "affected[4].ranges[1].events[0]",
                "affected[4].ranges[2].events",
                "affected[4].ranges[3].events[0]",
                "affected[4].versions[1]",
            ],
            "{w:#?}"
        );
        assert_eq!(a.aliases.len(), 1);
        assert_eq!(
            a.issue.as_deref(),
            Some("https://github.com/kubernetes/kubernetes/issues/1")
        );
        assert_eq!(
            a.cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")
        );
        let names: Vec<&str> = a.affected.iter().map(|a| a.package.name.as_str()).collect();
        assert_eq!(names, vec!["m", "p", "q", "r"]);
        assert_eq!(a.affected[0].ranges.len(), 1);
        assert_eq!(
            a.affected[0].ranges[0].events[1],
            Event::Fixed("1.3.0".into())
        );
        assert!(a.affected[1].ranges.is_empty());
        assert_eq!(a.affected[1].versions, vec!["1.0.1"]);
        assert_eq!(a.affected[3].ranges[0].kind, RangeKind::Git);
        assert!(w.iter().all(|w| w.file == std::path::Path::new("t.json")));
    }
}
