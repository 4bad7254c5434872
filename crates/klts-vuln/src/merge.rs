//! One advisory per vulnerability: records from every source that share an id (GO-… ↔ CVE-… ↔
//! GHSA-…, compared case-insensitively) are merged.
//!
//! Records are grouped by union-find over their ids and aliases (so `A ~ B` and `B ~ C` puts
//! `A`, `B` and `C` together). Within a group, records are taken in source priority order —
//! [`Source::KubernetesOsv`], then [`Source::KubernetesFeed`], then [`Source::Program`], then [`Source::GoVulnDb`] (a
//! record's priority is that of its best source) — then by id, so the result does not depend on
//! the input order:
//!
//! * `id`: the lowest CVE id (by year, then number), else the lowest id; `aliases`: every other id;
//! * `affected`: concatenated in that order, exact duplicates removed;
//! * `cvss_v3`, `issue`, `summary`: the first available in that order;
//! * `published`: the earliest; `modified`: the latest (RFC 3339 instants, compared as such);
//! * `references`: the sorted union; `sources`: the union.
//!
//! The output is sorted by id.
//!
//! **Synced records cannot hijack aliases.** The embedded snapshot is curated; a feed synced
//! at run time is not, and one crafted record aliasing `GO-2021-0053` and `CVE-2020-8554` used
//! to fuse CVE-2021-3121 and CVE-2020-8554 into one advisory, so that one triage decision
//! silently covered both. [`merge_records`] therefore merges the curated records first (as
//! above), then each synced record (in id order), under stricter rules:
//!
//! * it joins the advisory of its own id, if there is one;
//! * through an alias it joins another advisory only when that alias is a CVE id and its own
//!   advisory has no CVE yet (a GO-… or GHSA-… record learning its CVE);
//! * any other alias that names an existing advisory (one that would fuse two distinct CVEs,
//!   or a GO-…/GHSA-… id of another advisory) is dropped, with a warning naming both;
//! * aliases nothing else claims are kept.

use crate::cvss::base_score;
use crate::model::{Advisory, Source};
use crate::osv::{warning, FeedCode};
use klts_core::diag::Diagnostic;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One record to merge, with where it came from.
#[derive(Clone, Debug)]
pub struct Record {
    /// The advisory read from the record.
    pub advisory: Advisory,
    /// The input it was read from, for warnings.
    pub file: String,
    /// Whether it comes from a synced or local feed rather than the curated snapshot: its
    /// aliases may not fuse advisories (see the [module documentation](self)).
    pub synced: bool,
}

/// Merges advisories that share any id, all from curated sources. See the
/// [module documentation](self).
pub fn merge(advisories: Vec<Advisory>) -> Vec<Advisory> {
    let records = advisories
        .into_iter()
        .map(|advisory| Record {
            advisory,
            file: String::new(),
            synced: false,
        })
        .collect();
    merge_records(records).0
}

fn key(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

/// Merges records, curated and synced; returns the advisories and a warning for every alias
/// of a synced record that was refused. See the [module documentation](self).
pub fn merge_records(records: Vec<Record>) -> (Vec<Advisory>, Vec<Diagnostic>) {
    // Curated records first, then synced ones in a fixed order: the result does not depend on
    // the input order.
    let (curated, mut synced): (Vec<Record>, Vec<Record>) =
        records.into_iter().partition(|r| !r.synced);
    let mut synced_keyed: Vec<((String, String), Record)> = synced
        .drain(..)
        .map(|r| {
            let tie = serde_json::to_string(&r.advisory).unwrap_or_default();
            ((key(&r.advisory.id), tie), r)
        })
        .collect();
    synced_keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut records: Vec<Record> = curated;
    let first_synced = records.len();
    records.extend(synced_keyed.into_iter().map(|(_, r)| r));

    let n = records.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut first_with: HashMap<String, usize> = HashMap::new();
    for (i, r) in records[..first_synced].iter().enumerate() {
        for id in r.advisory.ids() {
            let key = key(id);
            if key.is_empty() {
                continue;
            }
            match first_with.get(&key) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    first_with.insert(key, i);
                }
            }
        }
    }
    // A CVE id of each group (the lowest), by root; groups without one are absent.
    let mut cve_of: HashMap<usize, String> = HashMap::new();
    for (i, r) in records[..first_synced].iter().enumerate() {
        let root = find(&mut parent, i);
        for id in r.advisory.ids().filter(|id| is_cve(id)) {
            let e = cve_of.entry(root).or_insert_with(|| id.to_string());
            if lower_cve(id, e) {
                *e = id.to_string();
            }
        }
    }
    let mut warnings = Vec::new();
    for i in first_synced..n {
        let own = key(&records[i].advisory.id);
        let anchor = match first_with.get(&own) {
            Some(&j) => find(&mut parent, j),
            None => {
                if !own.is_empty() {
                    first_with.insert(own.clone(), i);
                }
                if is_cve(&records[i].advisory.id) {
                    cve_of.insert(i, records[i].advisory.id.trim().to_string());
                }
                i
            }
        };
        if anchor != i {
            union(&mut parent, i, anchor);
        }
        let mut refused = Vec::new();
        for alias in &records[i].advisory.aliases {
            let k = key(alias);
            if k.is_empty() || k == own {
                continue;
            }
            let here = find(&mut parent, i);
            let Some(&j) = first_with.get(&k) else {
                // An id nothing else claims: kept.
                first_with.insert(k, i);
                if is_cve(alias) {
                    cve_of
                        .entry(here)
                        .or_insert_with(|| alias.trim().to_string());
                }
                continue;
            };
            let there = find(&mut parent, j);
            if there == here {
                continue;
            }
            match (cve_of.get(&here).cloned(), cve_of.get(&there).cloned()) {
                (None, there_cve) if is_cve(alias) => {
                    union(&mut parent, here, there);
                    let root = find(&mut parent, i);
                    cve_of.remove(&here);
                    cve_of.remove(&there);
                    if let Some(c) = there_cve {
                        cve_of.insert(root, c);
                    }
                }
                (here_cve, there_cve) => {
                    let name = |cve: Option<String>, at: usize| {
                        cve.unwrap_or_else(|| records[at].advisory.id.clone())
                    };
                    let mine = name(here_cve, i);
                    let theirs = name(there_cve, there);
                    refused.push(alias.clone());
                    warnings.push(warning(
                        FeedCode::AliasRefused,
                        &records[i].file,
                        "aliases",
                        format!(
                            "alias {alias} of {} would merge {mine} with {theirs}; alias ignored (a synced record joins an advisory only through its own id or a CVE id)",
                            records[i].advisory.id
                        ),
                    ));
                }
            }
        }
        for alias in refused {
            records[i].advisory.aliases.remove(&alias);
        }
    }
    let mut groups: BTreeMap<usize, Vec<Advisory>> = BTreeMap::new();
    for (i, r) in records.into_iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(r.advisory);
    }
    let mut out: Vec<Advisory> = groups.into_values().map(merge_group).collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    (out, warnings)
}

/// Whether CVE id `a` sorts before `b` (by year, then number, then text).
fn lower_cve(a: &str, b: &str) -> bool {
    let ka = cve_key(a).unwrap_or((u64::MAX, u64::MAX));
    let kb = cve_key(b).unwrap_or((u64::MAX, u64::MAX));
    ka.cmp(&kb).then_with(|| a.cmp(b)) == Ordering::Less
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[hi] = lo;
    }
}

/// Source priority: lower is preferred.
fn rank(s: Source) -> u8 {
    match s {
        Source::KubernetesOsv => 0,
        Source::KubernetesFeed => 1,
        Source::Program => 2,
        Source::GoVulnDb => 3,
    }
}

fn best_rank(a: &Advisory) -> u8 {
    a.sources.iter().map(|s| rank(*s)).min().unwrap_or(u8::MAX)
}

/// `CVE-YYYY-NNNN` → `(YYYY, NNNN)`.
fn cve_key(id: &str) -> Option<(u64, u64)> {
    let mut parts = id.split('-');
    let prefix = parts.next()?;
    if !prefix.eq_ignore_ascii_case("CVE") {
        return None;
    }
    let year = parts.next()?.parse().ok()?;
    let number = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((year, number))
}

fn is_cve(id: &str) -> bool {
    id.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("CVE-"))
}

/// The primary id: the lowest CVE id (numerically, then textually), else the lowest id.
fn primary(ids: &BTreeSet<String>) -> Option<&String> {
    let cves = ids.iter().filter(|i| is_cve(i));
    let lowest_cve = cves.min_by(|a, b| {
        let ka = cve_key(a).unwrap_or((u64::MAX, u64::MAX));
        let kb = cve_key(b).unwrap_or((u64::MAX, u64::MAX));
        ka.cmp(&kb).then_with(|| a.cmp(b))
    });
    lowest_cve.or_else(|| ids.iter().next())
}

fn merge_group(mut members: Vec<Advisory>) -> Advisory {
    // A total, input-order-independent order of the members.
    let mut keyed: Vec<((u8, String, String), Advisory)> = members
        .drain(..)
        .map(|a| {
            let tie = serde_json::to_string(&a).unwrap_or_default();
            ((best_rank(&a), a.id.clone(), tie), a)
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
    let members: Vec<Advisory> = keyed.into_iter().map(|(_, a)| a).collect();

    // Ids: one spelling per case-insensitive id (the lowest).
    let mut spellings: BTreeMap<String, String> = BTreeMap::new();
    for id in members.iter().flat_map(Advisory::ids) {
        let id = id.trim();
        if id.is_empty() {
            continue;
        }
        let e = spellings
            .entry(id.to_ascii_lowercase())
            .or_insert_with(|| id.to_string());
        if id < e.as_str() {
            *e = id.to_string();
        }
    }
    let ids: BTreeSet<String> = spellings.into_values().collect();
    let id = primary(&ids)
        .cloned()
        .or_else(|| members.first().map(|m| m.id.clone()))
        .unwrap_or_default();
    let mut merged = Advisory::new(id.clone());
    merged.aliases = ids.into_iter().filter(|i| *i != id).collect();

    // Exact duplicates removed with a set: a record with 100,000 entries made the old
    // pairwise check take a minute on every command.
    let mut seen: HashSet<&crate::model::Affected> = HashSet::new();
    for m in &members {
        for a in &m.affected {
            if seen.insert(a) {
                merged.affected.push(a.clone());
            }
        }
    }
    merged.cvss_v3 = members
        .iter()
        .filter_map(|m| m.cvss_v3.as_ref())
        .find(|v| base_score(v).is_some())
        .or_else(|| members.iter().find_map(|m| m.cvss_v3.as_ref()))
        .cloned();
    merged.issue = members.iter().find_map(|m| m.issue.clone());
    merged.summary = members.iter().find_map(|m| m.summary.clone());
    merged.published = pick_time(
        members.iter().filter_map(|m| m.published.as_deref()),
        Ordering::Less,
    );
    merged.modified = pick_time(
        members.iter().filter_map(|m| m.modified.as_deref()),
        Ordering::Greater,
    );
    merged.references = members
        .iter()
        .flat_map(|m| m.references.iter().cloned())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    merged.sources = members
        .iter()
        .flat_map(|m| m.sources.iter().copied())
        .collect();
    merged
}

/// The earliest (`want = Less`) or latest (`Greater`) of some RFC 3339 times: those that parse
/// are compared as instants (then textually), and win over those that do not, which are
/// compared textually.
fn pick_time<'a>(times: impl Iterator<Item = &'a str>, want: Ordering) -> Option<String> {
    let mut best: Option<(Option<(i64, u32)>, &str)> = None;
    for t in times {
        let cand = (parse_rfc3339(t), t);
        best = Some(match best {
            None => cand,
            Some(b) => {
                let ord = match (cand.0, b.0) {
                    (Some(x), Some(y)) => x.cmp(&y).then_with(|| cand.1.cmp(b.1)),
                    (Some(_), None) => want,
                    (None, Some(_)) => want.reverse(),
                    (None, None) => cand.1.cmp(b.1),
                };
                if ord == want {
                    cand
                } else {
                    b
                }
            }
        });
    }
    best.map(|(_, t)| t.to_string())
}

/// `YYYY-MM-DD[THH:MM:SS[.fraction](Z|±HH:MM)]` → (seconds since the Unix epoch, nanoseconds).
pub(crate) fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    fn num(s: &str, len: usize) -> Option<i64> {
        if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
    let s = s.trim();
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (s.get(..i)?, Some(s.get(i + 1..)?)),
        None => (s, None),
    };
    let y = num(date.get(0..4)?, 4)?;
    let m = num(date.get(5..7)?, 2)?;
    let d = num(date.get(8..10)?, 2)?;
    if date.len() != 10
        || date.as_bytes().get(4) != Some(&b'-')
        || date.as_bytes().get(7) != Some(&b'-')
    {
        return None;
    }
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // The calendar arithmetic of klts_core (one algorithm for every date in klts).
    let days = klts_core::lifecycle::Date {
        year: i32::try_from(y).ok()?,
        month: u32::try_from(m).ok()?,
        day: u32::try_from(d).ok()?,
    }
    .to_days();
    let (mut secs, mut nanos) = (days * 86_400, 0u32);
    if let Some(t) = time {
        let hh = num(t.get(0..2)?, 2)?;
        let mm = num(t.get(3..5)?, 2)?;
        let ss = num(t.get(6..8)?, 2)?;
        if t.as_bytes().get(2) != Some(&b':') || t.as_bytes().get(5) != Some(&b':') {
            return None;
        }
        if hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        let mut rest = t.get(8..)?;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let f = frac.get(..digits.min(9))?;
            nanos = format!("{f:0<9}").parse().ok()?;
            rest = frac.get(digits..)?;
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return None,
                };
                let oh = num(rest.get(1..3)?, 2)?;
                let om = num(rest.get(4..6)?, 2)?;
                if rest.len() != 6 || rest.as_bytes().get(3) != Some(&b':') {
                    return None;
                }
                sign * (oh * 3600 + om * 60)
            }
        };
        secs += hh * 3600 + mm * 60 + ss - offset;
    }
    Some((secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Affected, Ecosystem, Event, Package, Range, RangeKind};
    use proptest::prelude::*;

    fn adv(id: &str, aliases: &[&str], source: Source) -> Advisory {
        let mut a = Advisory::new(id);
        a.aliases = aliases.iter().map(|s| s.to_string()).collect();
        a.sources.insert(source);
        a
    }

    fn aff(name: &str, fixed: &str) -> Affected {
        Affected {
            package: Package {
                ecosystem: Ecosystem::Go,
                name: name.into(),
            },
            ranges: vec![Range {
                kind: RangeKind::Semver,
                events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.into())],
            }],
            versions: vec![],
            record: None,
        }
    }

    #[test]
    fn transitive_union_and_fields() {
        let mut go = adv(
            "GO-2021-0053",
            &["CVE-2021-3121", "GHSA-c3h9-896r-86jm"],
            Source::GoVulnDb,
        );
        go.affected = vec![aff("github.com/gogo/protobuf", "1.3.2")];
        go.published = Some("2021-04-14T20:04:52Z".into());
        go.modified = Some("0001-01-01T00:00:00Z".into());
        go.summary = Some("go".into());
        go.cvss_v3 = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into());
        go.references = vec!["https://z".into(), "https://a".into()];
        let mut feed = adv("cve-2021-3121", &[], Source::KubernetesFeed);
        feed.published = Some("2021-04-23T18:07:32Z".into());
        feed.modified = Some("2021-04-23T18:07:32+02:00".into());
        feed.summary = Some("feed".into());
        feed.issue = Some("https://github.com/kubernetes/kubernetes/issues/101435".into());
        feed.references = vec!["https://a".into()];
        let ghsa = adv("GHSA-C3H9-896R-86JM", &["GHSA-zzzz"], Source::GoVulnDb);
        let other = adv("CVE-2020-1", &[], Source::KubernetesOsv);
        let out = merge(vec![go, feed, ghsa, other]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].id, "CVE-2020-1");
        let m = &out[1];
        assert_eq!(m.id, "CVE-2021-3121");
        assert_eq!(
            m.aliases.iter().map(String::as_str).collect::<Vec<_>>(),
            vec!["GHSA-C3H9-896R-86JM", "GHSA-zzzz", "GO-2021-0053"]
        );
        assert_eq!(m.summary.as_deref(), Some("feed"));
        assert_eq!(
            m.issue.as_deref(),
            Some("https://github.com/kubernetes/kubernetes/issues/101435")
        );
        assert_eq!(
            m.cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")
        );
        assert_eq!(m.published.as_deref(), Some("2021-04-14T20:04:52Z"));
        // 18:07:32+02:00 is 16:07:32Z, still later than 0001-01-01.
        assert_eq!(m.modified.as_deref(), Some("2021-04-23T18:07:32+02:00"));
        assert_eq!(
            m.references,
            vec!["https://a".to_string(), "https://z".to_string()]
        );
        assert_eq!(m.affected.len(), 1);
        assert_eq!(m.sources.len(), 2);
    }

    #[test]
    fn primary_id_rules() {
        let out = merge(vec![adv(
            "GO-1",
            &["GHSA-1", "CVE-2017-999", "CVE-2017-1002101", "CVE-2018-1"],
            Source::GoVulnDb,
        )]);
        assert_eq!(out[0].id, "CVE-2017-999");
        let out = merge(vec![adv("GO-1", &["GHSA-1"], Source::GoVulnDb)]);
        assert_eq!(out[0].id, "GHSA-1");
        assert!(out[0].aliases.contains("GO-1"));
    }

    #[test]
    fn priority_and_duplicates() {
        let mut a = adv("CVE-1", &[], Source::GoVulnDb);
        a.affected = vec![aff("m", "1.0.0"), aff("m", "1.0.0")];
        a.cvss_v3 = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into());
        a.modified = Some("2020-01-01T00:00:00Z".into());
        let mut b = adv("CVE-1", &[], Source::KubernetesOsv);
        b.affected = vec![aff("k", "1.0.0"), aff("m", "1.0.0")];
        b.cvss_v3 = Some("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N".into());
        b.modified = Some("2020-01-01T00:00:00.5Z".into());
        let out = merge(vec![a, b]);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].cvss_v3.as_deref(),
            Some("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N")
        );
        let names: Vec<&str> = out[0]
            .affected
            .iter()
            .map(|a| a.package.name.as_str())
            .collect();
        assert_eq!(names, vec!["k", "m"]);
        assert_eq!(out[0].modified.as_deref(), Some("2020-01-01T00:00:00.5Z"));
        assert!(merge(vec![]).is_empty());
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(parse_rfc3339("1970-01-02"), Some((86_400, 0)));
        assert_eq!(
            parse_rfc3339("2000-03-01T00:00:00Z"),
            Some((951_868_800, 0))
        );
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00.25Z"),
            Some((0, 250_000_000))
        );
        assert!(parse_rfc3339("0001-01-01T00:00:00Z").is_some_and(|(s, _)| s < 0));
        for bad in [
            "",
            "2020",
            "2020-13-01",
            "2020-01-01T",
            "2020-01-01T00:00:00",
            "2020-01-01T00:00:00.Z",
            "é020-01-01",
            "2020-01-01T00:00:00+0100",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
        assert_eq!(
            pick_time(
                ["b", "2020-01-01T00:00:00Z", "a"].into_iter(),
                Ordering::Less
            )
            .as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
        assert_eq!(
            pick_time(["b", "a"].into_iter(), Ordering::Greater).as_deref(),
            Some("b")
        );
    }

    fn arb_advisory() -> impl Strategy<Value = Advisory> {
        let id = prop::sample::select(vec![
            "CVE-2021-3121",
            "cve-2021-3121",
            "GO-2021-0053",
            "GHSA-1",
            "CVE-2020-8554",
            "GO-2022-1",
            "CVE-2019-1",
        ]);
        (
            id.clone(),
            prop::collection::btree_set(id.prop_map(String::from), 0..3),
            prop::sample::select(vec![
                Source::KubernetesOsv,
                Source::KubernetesFeed,
                Source::GoVulnDb,
            ]),
            prop::option::of(prop::sample::select(vec![
                "2021-04-14T20:04:52Z",
                "2020-01-01T00:00:00Z",
                "junk",
            ])),
            prop::option::of(prop::sample::select(vec!["s1", "s2"])),
            prop::collection::vec(prop::sample::select(vec!["1.0.0", "1.2.0"]), 0..3),
        )
            .prop_map(|(id, aliases, source, date, summary, fixes)| {
                let mut a = Advisory::new(id);
                a.aliases = aliases;
                a.sources.insert(source);
                a.published = date.map(String::from);
                a.modified = date.map(String::from);
                a.summary = summary.map(String::from);
                a.affected = fixes.into_iter().map(|f| aff("m", f)).collect();
                a
            })
    }

    proptest! {
        /// With synced records mixed in: still order-independent, ids disjoint, and a synced
        /// record never puts two CVEs together that the curated records kept apart.
        #[test]
        fn prop_synced_records(advs in prop::collection::vec((arb_advisory(), any::<bool>()), 0..8), seed in any::<u64>()) {
            let records: Vec<Record> = advs
                .iter()
                .map(|(a, synced)| Record { advisory: a.clone(), file: "f".into(), synced: *synced })
                .collect();
            let mut shuffled = records.clone();
            let mut x = seed;
            for k in (1..shuffled.len()).rev() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(k, (x >> 33) as usize % (k + 1));
            }
            let (out, warnings) = merge_records(records.clone());
            let (again, warnings_again) = merge_records(shuffled);
            prop_assert_eq!(&out, &again);
            prop_assert_eq!(warnings.len(), warnings_again.len());
            let mut seen = std::collections::HashSet::new();
            for m in &out {
                for id in m.ids() {
                    prop_assert!(seen.insert(id.to_ascii_lowercase()), "{} twice", id);
                }
            }
            let curated = merge(records.iter().filter(|r| !r.synced).map(|r| r.advisory.clone()).collect());
            for m in &out {
                let cves: Vec<&str> = m.ids().filter(|i| is_cve(i)).collect();
                for a in &cves {
                    for b in &cves {
                        let ga = curated.iter().position(|c| c.is_named(a));
                        let gb = curated.iter().position(|c| c.is_named(b));
                        if let (Some(ga), Some(gb)) = (ga, gb) {
                            prop_assert_eq!(ga, gb, "{} and {} fused", a, b);
                        }
                    }
                }
            }
        }

        #[test]
        fn prop_order_independent(advs in prop::collection::vec(arb_advisory(), 0..8), seed in any::<u64>()) {
            let mut shuffled = advs.clone();
            let mut x = seed;
            for k in (1..shuffled.len()).rev() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(k, (x >> 33) as usize % (k + 1));
            }
            let a = merge(advs.clone());
            prop_assert_eq!(&a, &merge(shuffled));
            // Idempotent, ids disjoint, sorted.
            prop_assert_eq!(&merge(a.clone()), &a);
            let mut seen = std::collections::HashSet::new();
            for m in &a {
                prop_assert!(!m.aliases.contains(&m.id));
                for id in m.ids() {
                    prop_assert!(seen.insert(id.to_ascii_lowercase()), "{} twice", id);
                }
            }
            prop_assert!(a.windows(2).all(|w| w[0].id < w[1].id));
        }
    }
}
