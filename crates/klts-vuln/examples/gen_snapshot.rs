//! Generates the embedded, facts-only advisory snapshot `crates/klts-vuln/data/snapshot.json`.
//!
//! ```text
//! cargo run -p klts-vuln --example gen_snapshot -- <shared-data-dir> <out-file>
//! ```
//!
//! Reads `<dir>/k8s-cve-feed-osv/*.json` (Kubernetes' advisories in OSV form),
//! `<dir>/govulndb-osv/*.json` (the Go vulnerability database) and
//! `<dir>/k8s-official-cve-feed.sample.json` (the official Kubernetes CVE feed), and writes one
//! compact, deterministic JSON document:
//!
//! ```text
//! {"format":1,"generated_from":{"kubernetes_osv":N,"govulndb":M,"feed_items":K,"newest_modified":"…"},
//!  "records":[{"source":"kubernetes-osv"|"govulndb","record":{…}}, …],
//!  "feed":{"version":…,"items":[…]}}
//! ```
//!
//! Only facts are kept (ids, aliases, dates, packages, ranges, versions, CVSS vectors, reference
//! URLs): the prose of the sources (summary, details, content_text, credits, database- and
//! ecosystem-specific blocks) is third-party text that must not be embedded.
//!
//! Of the Go vulnerability database only the records that can concern a product of the program
//! are kept: those with an affected package `stdlib`, `toolchain`, `k8s.io/…`, `sigs.k8s.io/…`,
//! `github.com/containerd/…` (containerd and the modules it is made of: ttrpc, continuity,
//! imgcrypt, …), `github.com/opencontainers/…` (runc, the OCI specs, selinux), or one of the
//! modules listed in `data/kubernetes-modules.txt`.
//!
//! Records are sorted by source (kubernetes-osv, then govulndb) then id, object keys are sorted,
//! and each record sits on its own line, so regenerating from the same inputs gives the same
//! bytes and a new input gives a readable diff.

use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The Go modules Kubernetes 1.10–1.32 depend on, one per line.
const KUBERNETES_MODULES: &str = include_str!("../data/kubernetes-modules.txt");

/// The snapshot format written.
const FORMAT: u32 = 1;

/// Go vulndb's placeholder for an unknown modification date.
const ZERO_DATE_PREFIX: &str = "0001-01-01";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: gen_snapshot <shared-data-dir> <out-file>");
        return ExitCode::from(2);
    }
    match run(Path::new(&args[0]), Path::new(&args[1])) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_snapshot: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The order sources are written in.
const SOURCES: [&str; 2] = ["kubernetes-osv", "govulndb"];

fn run(dir: &Path, out: &Path) -> Result<(), String> {
    let modules = kubernetes_modules(KUBERNETES_MODULES);
    let mut newest = String::new();

    // (source rank, id, record)
    let mut records: Vec<(usize, String, Value)> = Vec::new();

    let k8s_files = json_files(&dir.join("k8s-cve-feed-osv"))?;
    let mut kubernetes_osv = 0usize;
    for file in &k8s_files {
        let raw = read_json(file)?;
        if raw.get("withdrawn").is_some() {
            continue;
        }
        let rec = facts_record(&raw).map_err(|e| format!("{}: {e}", file.display()))?;
        note_date(&mut newest, record_date(&raw));
        let id = record_id(&rec).map_err(|e| format!("{}: {e}", file.display()))?;
        records.push((0, id, rec));
        kubernetes_osv += 1;
    }

    let go_files = json_files(&dir.join("govulndb-osv"))?;
    let mut govulndb = 0usize;
    for file in &go_files {
        let raw = read_json(file)?;
        // Withdrawn records no longer apply; leaving them out keeps every load warning-free.
        if !relevant_to_program(&raw, &modules) || raw.get("withdrawn").is_some() {
            continue;
        }
        let rec = facts_record(&raw).map_err(|e| format!("{}: {e}", file.display()))?;
        note_date(&mut newest, record_date(&raw));
        let id = record_id(&rec).map_err(|e| format!("{}: {e}", file.display()))?;
        records.push((1, id, rec));
        govulndb += 1;
    }

    records.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for pair in records.windows(2) {
        if pair[0].0 == pair[1].0 && pair[0].1 == pair[1].1 {
            return Err(format!(
                "duplicate record id {} in {}",
                pair[0].1, SOURCES[pair[0].0]
            ));
        }
    }

    let feed_path = dir.join("k8s-official-cve-feed.sample.json");
    let feed_raw = read_json(&feed_path)?;
    let (feed, feed_items, feed_newest) =
        facts_feed(&feed_raw).map_err(|e| format!("{}: {e}", feed_path.display()))?;
    if let Some(d) = feed_newest {
        note_date(&mut newest, Some(&d));
    }

    // Write: one record per line.
    let mut generated_from = Map::new();
    generated_from.insert("feed_items".into(), Value::from(feed_items));
    generated_from.insert("govulndb".into(), Value::from(govulndb));
    generated_from.insert("kubernetes_osv".into(), Value::from(kubernetes_osv));
    generated_from.insert("newest_modified".into(), Value::from(newest.clone()));
    let generated_from = canonical(&Value::Object(generated_from));

    let mut text = String::with_capacity(600_000);
    let _ = write!(
        text,
        "{{\"format\":{FORMAT},\"generated_from\":{},\n\"records\":[\n",
        to_json(&generated_from)?
    );
    for (i, (source, _, rec)) in records.iter().enumerate() {
        let mut entry = Map::new();
        entry.insert("record".into(), rec.clone());
        entry.insert("source".into(), Value::from(SOURCES[*source]));
        let _ = write!(text, "{}", to_json(&canonical(&Value::Object(entry)))?);
        text.push_str(if i + 1 < records.len() { ",\n" } else { "\n" });
    }
    let _ = writeln!(text, "],\n\"feed\":{}}}", to_json(&feed)?);

    // Check what we wrote is one valid JSON document before replacing the old one.
    serde_json::from_str::<Value>(&text).map_err(|e| format!("generated invalid JSON: {e}"))?;
    for forbidden in ["\"summary\"", "\"details\"", "\"content_text\""] {
        if text.contains(forbidden) {
            return Err(format!("generated snapshot still contains {forbidden}"));
        }
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(out, &text).map_err(|e| format!("{}: {e}", out.display()))?;

    println!(
        "kubernetes-osv: {kubernetes_osv} records ({} files)",
        k8s_files.len()
    );
    println!(
        "govulndb: {govulndb} of {} records relevant to the program ({} modules listed)",
        go_files.len(),
        modules.len()
    );
    println!("official feed: {feed_items} items");
    println!("newest modified: {newest}");
    println!("wrote {} ({} bytes)", out.display(), text.len());
    Ok(())
}

/// The module paths of `kubernetes-modules.txt`: one a line, `#` starts a comment.
fn kubernetes_modules(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a Go vulndb record affects a package a product of the program (Kubernetes,
/// containerd, runc) builds with or ships.
fn relevant_to_program(record: &Value, modules: &BTreeSet<String>) -> bool {
    let Some(affected) = record.get("affected").and_then(Value::as_array) else {
        return false;
    };
    affected.iter().any(|a| {
        let name = a
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        name == "stdlib"
            || name == "toolchain"
            || name.starts_with("k8s.io/")
            || name.starts_with("sigs.k8s.io/")
            || name.starts_with("github.com/containerd/")
            || name.starts_with("github.com/opencontainers/")
            || modules.contains(name)
    })
}

/// The `*.json` files of a directory, sorted by name.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn to_json(v: &Value) -> Result<String, String> {
    serde_json::to_string(v).map_err(|e| e.to_string())
}

fn record_id(rec: &Value) -> Result<String, String> {
    match rec.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err("record without an id".into()),
    }
}

/// The date that says how fresh a record is: `modified`, or `published` when `modified` is
/// missing or Go vulndb's zero placeholder.
fn record_date(rec: &Value) -> Option<&str> {
    let modified = rec.get("modified").and_then(Value::as_str);
    match modified {
        Some(m) if !m.is_empty() && !m.starts_with(ZERO_DATE_PREFIX) => Some(m),
        _ => rec
            .get("published")
            .and_then(Value::as_str)
            .filter(|p| !p.starts_with(ZERO_DATE_PREFIX)),
    }
}

/// Keep the newest date (RFC 3339 UTC dates compare as strings).
fn note_date(newest: &mut String, date: Option<&str>) {
    if let Some(d) = date {
        if d > newest.as_str() {
            *newest = d.to_string();
        }
    }
}

/// The object `v`, or an error naming `what`.
fn as_object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} is not an object"))
}

/// Copy the listed keys of `from` (those present) into a new object.
fn pick(from: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for k in keys {
        if let Some(v) = from.get(*k) {
            out.insert((*k).to_string(), v.clone());
        }
    }
    out
}

/// Map every element of an array field with `f`, keeping the field only when it is an array.
fn map_array(
    obj: &mut Map<String, Value>,
    key: &str,
    f: impl Fn(&Value) -> Result<Value, String>,
) -> Result<(), String> {
    if let Some(v) = obj.get(key) {
        let arr = v
            .as_array()
            .ok_or_else(|| format!("`{key}` is not an array"))?
            .iter()
            .map(&f)
            .collect::<Result<Vec<_>, _>>()?;
        obj.insert(key.to_string(), Value::Array(arr));
    }
    Ok(())
}

/// The facts of an OSV record.
fn facts_record(raw: &Value) -> Result<Value, String> {
    let obj = as_object(raw, "record")?;
    let mut rec = pick(
        obj,
        &[
            "schema_version",
            "id",
            "aliases",
            "related",
            "published",
            "modified",
            "withdrawn",
            "affected",
            "severity",
            "references",
        ],
    );
    map_array(&mut rec, "affected", facts_affected)?;
    map_array(&mut rec, "severity", facts_severity)?;
    map_array(&mut rec, "references", |r| {
        Ok(Value::Object(pick(
            as_object(r, "reference")?,
            &["type", "url"],
        )))
    })?;
    Ok(canonical(&Value::Object(rec)))
}

/// The facts of one `affected` entry: package, ranges, versions and (Kubernetes' records keep
/// their CVSS vector there) severity.
fn facts_affected(a: &Value) -> Result<Value, String> {
    let a = as_object(a, "affected entry")?;
    let mut out = pick(a, &["package", "ranges", "versions", "severity"]);
    if let Some(p) = a.get("package") {
        out.insert(
            "package".into(),
            Value::Object(pick(
                as_object(p, "package")?,
                &["ecosystem", "name", "purl"],
            )),
        );
    }
    map_array(&mut out, "ranges", |r| {
        let r = as_object(r, "range")?;
        let mut range = pick(r, &["type", "repo", "events"]);
        map_array(&mut range, "events", |e| {
            Ok(Value::Object(pick(
                as_object(e, "event")?,
                &["introduced", "fixed", "last_affected", "limit"],
            )))
        })?;
        Ok(Value::Object(range))
    })?;
    map_array(&mut out, "severity", facts_severity)?;
    Ok(Value::Object(out))
}

fn facts_severity(s: &Value) -> Result<Value, String> {
    Ok(Value::Object(pick(
        as_object(s, "severity")?,
        &["type", "score"],
    )))
}

/// The facts of the official feed: its version and item ids, links, dates, Kubernetes metadata
/// and the CVSS v3 vector found in the item text. Returns the feed, its item count and its
/// newest update date.
fn facts_feed(raw: &Value) -> Result<(Value, usize, Option<String>), String> {
    let obj = as_object(raw, "feed")?;
    let mut feed = pick(
        obj,
        &["version", "feed_url", "home_page_url", "_kubernetes_io"],
    );
    let mut newest = String::new();
    if let Some(k) = obj.get("_kubernetes_io").and_then(Value::as_object) {
        note_date(&mut newest, k.get("updated_at").and_then(Value::as_str));
    }
    let items = obj
        .get("items")
        .and_then(Value::as_array)
        .ok_or("feed without an `items` array")?;
    let mut out_items = Vec::with_capacity(items.len());
    for item in items {
        let item = as_object(item, "feed item")?;
        let mut out = pick(
            item,
            &[
                "id",
                "url",
                "external_url",
                "date_published",
                "date_modified",
                "_kubernetes_io",
            ],
        );
        note_date(
            &mut newest,
            item.get("date_modified").and_then(Value::as_str),
        );
        let text = item
            .get("content_text")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut klts = Map::new();
        if let Some(vector) = cvss_v3_vector(text) {
            klts.insert("cvss_v3".into(), Value::from(vector));
        }
        // A fact, not prose: the announcement says every version is affected (no fix).
        if text
            .to_ascii_lowercase()
            .contains("all kubernetes versions are affected")
        {
            klts.insert("all_versions_affected".into(), Value::Bool(true));
        }
        if !klts.is_empty() {
            out.insert("_klts".into(), Value::Object(klts));
        }
        out_items.push(Value::Object(out));
    }
    let n = out_items.len();
    feed.insert("items".into(), Value::Array(out_items));
    let newest = (!newest.is_empty()).then_some(newest);
    Ok((canonical(&Value::Object(feed)), n, newest))
}

/// The first CVSS v3 vector (`CVSS:3.x/AV:…`) in a text.
fn cvss_v3_vector(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(pos) = rest.find("CVSS:3.") {
        let candidate: String = rest[pos..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.'))
            .collect();
        let candidate = candidate.trim_end_matches(['.', '/']).to_string();
        if candidate.contains("/AV:") && candidate.split('/').count() >= 9 {
            return Some(candidate);
        }
        rest = &rest[pos + "CVSS:3.".len()..];
    }
    None
}

/// `v` with the keys of every object in sorted order, whatever map serde_json was built with.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_from_feed_text() {
        let text = "This issue has been rated LOW ([CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N](https://www.first.org/cvss/calculator/3.1#CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N))";
        assert_eq!(
            cvss_v3_vector(text).as_deref(),
            Some("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N")
        );
        assert_eq!(
            cvss_v3_vector("rated CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L.").as_deref(),
            Some("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L")
        );
        assert_eq!(cvss_v3_vector("CVSS:3.1 only"), None);
    }
}
