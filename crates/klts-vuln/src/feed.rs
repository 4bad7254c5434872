//! A reader of the official Kubernetes CVE feed (JSON Feed 1.1 with `_kubernetes_io`
//! extensions), and of the facts-only form of it that the snapshot writes (`_klts`).
//!
//! Each item of `items[]` becomes one [`Advisory`] per CVE id: an item `id` such as
//! `"CVE-2023-2727, CVE-2023-2728"` gives two advisories. They are *not* aliases of each
//! other: two CVE ids are two vulnerabilities that happen to share an announcement, and
//! aliasing them would merge their records (and their statuses) into one.
//!
//! * `url` / `external_url` → references; a kubernetes/kubernetes issue URL → `issue`
//!   (else `_kubernetes_io.issue_number` → `https://github.com/kubernetes/kubernetes/issues/N`).
//!   A cve.org `external_url` listing several ids is split into one URL per CVE.
//! * `date_published` / `date_modified` → `published` / `modified` (placeholder dates dropped);
//!   `summary` (else `title`) → `summary`.
//! * "All Kubernetes versions are affected" in `content_text` (or `_klts.all_versions_affected`
//!   in the snapshot) → one affected entry, `k8s.io/kubernetes` from `0` with no fix: the feed
//!   is the only record of such design flaws (CVE-2020-8554), which would otherwise have no
//!   ranges at all and come out `unknown`.
//! * The CVSS v3 vector: `_klts.cvss_v3` (a vector, or an object from CVE id to vector) when
//!   present and valid, else the first valid `CVSS:3.0/…` or `CVSS:3.1/…` vector in
//!   `content_text`. For an item with several CVEs, the vector following a mention of the CVE
//!   (before a mention of another of the item's CVEs) is preferred, so each CVE of
//!   `### CVE-A … CVSS:… ### CVE-B … CVSS:…` gets its own.
//!
//! Malformed items are skipped with a warning ([`Diagnostic`]) naming `items[i]…`.

use crate::cvss::base_score;
use crate::model::{Advisory, Source};
use crate::osv::{kind_of, parse_json, warning, FeedCode, Sink, K8S_ISSUES};
use klts_core::diag::Diagnostic;
use serde_json::{Map, Value};

/// The prefix of cve.org record URLs, whose `id=` may list several CVEs in the feed.
const CVE_ORG: &str = "https://www.cve.org/cverecord?id=";

/// Reads a JSON Feed of Kubernetes CVEs.
///
/// `Err` when the document is not JSON, not an object, or has no `items` array; otherwise the
/// advisories (`sources = {KubernetesFeed}`) in item order and a warning for each skipped part.
// The error is the warning callers keep (a whole file skipped, once per file): boxing it
// would only move the allocation.
#[allow(clippy::result_large_err)]
pub fn parse_feed(
    bytes: &[u8],
    file: &str,
) -> Result<(Vec<Advisory>, Vec<Diagnostic>), Diagnostic> {
    let doc = parse_json(bytes, file)?;
    let Value::Object(obj) = &doc else {
        return Err(warning(
            FeedCode::NotADocument,
            file,
            "$",
            format!(
                "expected a JSON Feed (a JSON object), found {}; file skipped",
                kind_of(&doc)
            ),
        ));
    };
    let items = match obj.get("items") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(warning(
                FeedCode::NotADocument,
                file,
                "items",
                format!("expected an array, found {}; file skipped", kind_of(other)),
            ))
        }
        None => {
            return Err(warning(
                FeedCode::NotADocument,
                file,
                "items",
                "missing; file skipped",
            ))
        }
    };
    let mut sink = Sink::new(file);
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("items[{i}]");
        match item {
            Value::Object(item) => out.extend(parse_item(&mut sink, item, &path)),
            other => sink.warn(
                path,
                format!("expected an object, found {}; item skipped", kind_of(other)),
            ),
        }
    }
    Ok((out, sink.warnings))
}

fn parse_item(sink: &mut Sink<'_>, item: &Map<String, Value>, path: &str) -> Vec<Advisory> {
    let raw_id = match item.get("id") {
        Some(Value::String(s)) => s.as_str(),
        None | Some(Value::Null) => {
            sink.warn(format!("{path}.id"), "missing; item skipped");
            return Vec::new();
        }
        Some(other) => {
            sink.warn(
                format!("{path}.id"),
                format!("expected a string, found {}; item skipped", kind_of(other)),
            );
            return Vec::new();
        }
    };
    let mut ids: Vec<String> = Vec::new();
    for token in raw_id.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        if !token.is_empty() && !ids.iter().any(|i| i.eq_ignore_ascii_case(token)) {
            ids.push(token.to_string());
        }
    }
    if ids.is_empty() {
        sink.warn(format!("{path}.id"), "empty id; item skipped");
        return Vec::new();
    }

    let url = sink.opt_str(item, "url", &format!("{path}.url"));
    let external = sink.opt_str(item, "external_url", &format!("{path}.external_url"));
    let published = crate::model::real_date(sink.opt_str(
        item,
        "date_published",
        &format!("{path}.date_published"),
    ));
    let modified = crate::model::real_date(sink.opt_str(
        item,
        "date_modified",
        &format!("{path}.date_modified"),
    ));
    let summary = sink
        .opt_str(item, "summary", &format!("{path}.summary"))
        .or_else(|| sink.opt_str(item, "title", &format!("{path}.title")))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let content = sink
        .opt_str(item, "content_text", &format!("{path}.content_text"))
        .unwrap_or_default();

    // Shared references and the issue.
    let mut shared_refs = Vec::new();
    let mut issue = None;
    if let Some(u) = url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        if u.chars().any(char::is_whitespace) {
            sink.warn(
                format!("{path}.url"),
                format!("{u:?} is not a URL; ignored"),
            );
        } else {
            if u.contains(K8S_ISSUES) {
                issue = Some(u.to_string());
            }
            shared_refs.push(u.to_string());
        }
    }
    let external = external.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let cve_org_list = external.is_some_and(|u| u.starts_with(CVE_ORG));
    if let Some(u) = external.filter(|_| !cve_org_list) {
        if u.chars().any(char::is_whitespace) {
            sink.warn(
                format!("{path}.external_url"),
                format!("{u:?} is not a URL; ignored"),
            );
        } else {
            if issue.is_none() && u.contains(K8S_ISSUES) {
                issue = Some(u.to_string());
            }
            shared_refs.push(u.to_string());
        }
    }
    if issue.is_none() {
        issue = issue_number(sink, item, path)
            .map(|n| format!("https://github.com/kubernetes/kubernetes/issues/{n}"));
        if let Some(i) = &issue {
            shared_refs.push(i.clone());
        }
    }

    let klts_vector = klts_vector(sink, item, path);
    let all_versions = all_versions_affected(item, &content);
    let vectors = find_vectors(&content);

    ids.iter()
        .map(|id| {
            let mut adv = Advisory::new(id.clone());
            adv.sources.insert(Source::KubernetesFeed);
            adv.published = published.clone();
            adv.modified = modified.clone();
            adv.summary = summary.clone();
            adv.issue = issue.clone();
            let mut refs = shared_refs.clone();
            if cve_org_list {
                refs.push(format!("{CVE_ORG}{id}"));
            }
            refs.sort();
            refs.dedup();
            adv.references = refs;
            if all_versions {
                // The announcement's own words: every version, no fix. One entry for the
                // product as a whole, from the Kubernetes CNA (a primary source).
                adv.affected.push(crate::model::Affected {
                    package: crate::model::Package {
                        ecosystem: crate::model::Ecosystem::Kubernetes,
                        name: "k8s.io/kubernetes".into(),
                    },
                    ranges: vec![crate::model::Range {
                        kind: crate::model::RangeKind::Semver,
                        events: vec![crate::model::Event::Introduced("0".into())],
                    }],
                    versions: Vec::new(),
                    record: Some(crate::model::RecordRef {
                        source: Source::KubernetesFeed,
                        id: id.clone(),
                        published: published.clone(),
                    }),
                });
            }
            adv.cvss_v3 = match &klts_vector {
                Some(KltsVector::One(v)) => Some(v.clone()),
                Some(KltsVector::ById(m)) => m
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(id))
                    .map(|(_, v)| v.clone()),
                None => None,
            }
            .or_else(|| vector_for(&content, &vectors, id, &ids));
            adv
        })
        .collect()
}

/// `_kubernetes_io.issue_number`: a positive integer, or a string of digits.
fn issue_number(sink: &mut Sink<'_>, item: &Map<String, Value>, path: &str) -> Option<u64> {
    let n = item.get("_kubernetes_io")?.get("issue_number")?;
    let parsed = match n {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().trim_start_matches('#').parse::<u64>().ok(),
        _ => None,
    };
    if parsed.is_none_or(|n| n == 0) {
        sink.warn(
            format!("{path}._kubernetes_io.issue_number"),
            format!("expected a positive issue number, found {n}; ignored"),
        );
        return None;
    }
    parsed
}

enum KltsVector {
    One(String),
    ById(Vec<(String, String)>),
}

/// `_klts.cvss_v3`: a valid vector, or an object from CVE id to valid vector.
/// Whether the announcement says that every version is affected: `_klts.all_versions_affected`
/// (the snapshot's facts-only form) or, in a synced feed, the sentence the Kubernetes security
/// announcements use ("All Kubernetes versions are affected").
fn all_versions_affected(item: &Map<String, Value>, content: &str) -> bool {
    item.get("_klts")
        .and_then(|k| k.get("all_versions_affected"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || content
            .to_ascii_lowercase()
            .contains("all kubernetes versions are affected")
}

fn klts_vector(sink: &mut Sink<'_>, item: &Map<String, Value>, path: &str) -> Option<KltsVector> {
    let v = item.get("_klts")?.get("cvss_v3")?;
    let field = format!("{path}._klts.cvss_v3");
    match v {
        Value::Null => None,
        Value::String(s) if base_score(s).is_some() => Some(KltsVector::One(s.trim().to_string())),
        Value::Object(m) => {
            let mut out = Vec::new();
            for (id, v) in m {
                match v.as_str() {
                    Some(s) if base_score(s).is_some() => {
                        out.push((id.clone(), s.trim().to_string()))
                    }
                    _ => sink.warn(
                        format!("{field}.{id}"),
                        "not a valid CVSS v3 vector; ignored",
                    ),
                }
            }
            Some(KltsVector::ById(out))
        }
        other => {
            sink.warn(
                field,
                format!("not a valid CVSS v3 vector ({}); ignored", short(other)),
            );
            None
        }
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{:?}", s.chars().take(80).collect::<String>()),
        other => kind_of(other).to_string(),
    }
}

/// Every CVSS v3 vector in `text` that the `cvss` crate scores, with its byte offset.
///
/// A candidate is `CVSS:3.0/` or `CVSS:3.1/` followed by `/`-separated components
/// `[A-Z]{1,3}:[A-Z]+`, ending where the next character is not a `/` starting another
/// component (Markdown such as `](https://…` ends it).
pub(crate) fn find_vectors(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(off) = text.get(from..).and_then(|t| t.find("CVSS:3.")) {
        let start = from + off;
        let minor = start + "CVSS:3.".len();
        from = minor;
        if !matches!(bytes.get(minor), Some(b'0' | b'1')) {
            continue;
        }
        let mut pos = minor + 1;
        let mut end = pos;
        while bytes.get(pos) == Some(&b'/') {
            let mut p = pos + 1;
            let name = p;
            while bytes.get(p).is_some_and(u8::is_ascii_uppercase) {
                p += 1;
            }
            if p == name || p - name > 3 || bytes.get(p) != Some(&b':') {
                break;
            }
            p += 1;
            let value = p;
            while bytes.get(p).is_some_and(u8::is_ascii_uppercase) {
                p += 1;
            }
            if p == value || bytes.get(p).is_some_and(u8::is_ascii_alphanumeric) {
                break;
            }
            end = p;
            pos = p;
        }
        if let Some(candidate) = text.get(start..end) {
            if base_score(candidate).is_some() {
                out.push((start, candidate.to_string()));
            }
        }
        from = from.max(end);
    }
    out
}

/// The vector for `id` among an item's `ids`: the first vector after a mention of `id` and
/// before the next mention of another id; else the first vector of the text.
fn vector_for(text: &str, vectors: &[(usize, String)], id: &str, ids: &[String]) -> Option<String> {
    if ids.len() > 1 {
        let others: Vec<usize> = ids
            .iter()
            .filter(|o| o.as_str() != id)
            .flat_map(|o| mentions(text, o))
            .collect();
        for at in mentions(text, id) {
            let until = others
                .iter()
                .copied()
                .filter(|&o| o > at)
                .min()
                .unwrap_or(usize::MAX);
            if let Some((_, v)) = vectors.iter().find(|(p, _)| *p > at && *p < until) {
                return Some(v.clone());
            }
        }
    }
    vectors.first().map(|(_, v)| v.clone())
}

/// Byte offsets of `needle` in `text` that are not part of a longer id (`CVE-2023-27` is not
/// mentioned by `CVE-2023-2727`).
fn mentions(text: &str, needle: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(off) = text.get(from..).and_then(|t| t.find(needle)) {
        let at = from + off;
        let end = at + needle.len();
        if !bytes.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            out.push(at);
        }
        from = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_vectors_in_markdown() {
        let t = "rated LOW ([CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N](https://www.first.org/cvss/calculator/3.1#CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N)) (score: 3.4)";
        let v = find_vectors(t);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].1, "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N");
        let env = find_vectors(
            "Medium (5.5)  [CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H/CR:H/IR:H/AR:M](x)",
        );
        assert_eq!(
            env[0].1,
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H/CR:H/IR:H/AR:M"
        );
        assert!(find_vectors("CVSS:3.1/AV:N/AC:L").is_empty());
        assert!(find_vectors("CVSS:3.2/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H").is_empty());
        assert!(find_vectors("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:Hx").is_empty());
        assert!(find_vectors("CVSS:3.").is_empty());
        assert!(find_vectors("").is_empty());
        assert_eq!(
            find_vectors("é CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H.")[0].1,
            "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
        );
    }

    #[test]
    fn multi_cve_item() {
        let json = r####"{"items":[{"id":"CVE-1, CVE-2","url":"https://github.com/kubernetes/kubernetes/issues/5",
          "external_url":"https://www.cve.org/cverecord?id=CVE-1, CVE-2",
          "content_text":"### CVE-1: x\nCVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N\n### CVE-2: y\nCVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N"}]}"####;
        let (advs, w) = match parse_feed(json.as_bytes(), "f.json") {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        };
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(advs.len(), 2);
        assert_eq!(advs[0].id, "CVE-1");
        assert!(advs[0].aliases.is_empty() && advs[1].aliases.is_empty());
        assert_eq!(
            advs[0].cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N")
        );
        assert_eq!(
            advs[1].cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N")
        );
        assert_eq!(
            advs[1].references,
            vec![
                "https://github.com/kubernetes/kubernetes/issues/5".to_string(),
                "https://www.cve.org/cverecord?id=CVE-2".to_string()
            ]
        );
        assert_eq!(
            advs[1].issue.as_deref(),
            Some("https://github.com/kubernetes/kubernetes/issues/5")
        );
    }

    #[test]
    fn klts_fields_and_issue_number() {
        let json = r#"{"items":[
          {"id":"CVE-3","_klts":{"cvss_v3":"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N"},"_kubernetes_io":{"issue_number":42},
           "content_text":"CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N"},
          {"id":"CVE-4, CVE-5","_klts":{"cvss_v3":{"CVE-5":"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N"}}},
          {"id":""}, {"id":5}, 7,
          {"id":"CVE-6","_kubernetes_io":{"issue_number":"x"},"_klts":{"cvss_v3":"bad"}}
        ]}"#;
        let (advs, w) = match parse_feed(json.as_bytes(), "f.json") {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        };
        let fields: Vec<&str> = w.iter().map(|w| w.field.as_deref().unwrap_or("")).collect();
        assert_eq!(
            fields,
            vec![
                "items[2].id",
                "items[3].id",
                "items[4]",
                "items[5]._kubernetes_io.issue_number",
                "items[5]._klts.cvss_v3"
            ]
        );
        assert_eq!(advs.len(), 4);
        assert_eq!(
            advs[0].cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N")
        );
        assert_eq!(
            advs[0].issue.as_deref(),
            Some("https://github.com/kubernetes/kubernetes/issues/42")
        );
        assert_eq!(
            advs[0].references,
            vec!["https://github.com/kubernetes/kubernetes/issues/42".to_string()]
        );
        assert_eq!(advs[1].cvss_v3, None);
        assert_eq!(
            advs[2].cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N")
        );
        assert_eq!(advs[3].issue, None);
    }

    #[test]
    fn document_errors() {
        for (doc, field) in [
            ("nope", "$"),
            ("[1]", "$"),
            ("{}", "items"),
            (r#"{"items":{}}"#, "items"),
        ] {
            match parse_feed(doc.as_bytes(), "f.json") {
                Err(w) => assert_eq!(
                    (
                        w.file.to_str().unwrap_or(""),
                        w.field.as_deref().unwrap_or("")
                    ),
                    ("f.json", field)
                ),
                Ok(x) => panic!("{doc}: {x:?}"),
            }
        }
    }
}
