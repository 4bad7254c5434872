//! Fuzz targets for the parsers that read files klts does not control: the manifest, version
//! strings, mboxes and `git mailinfo` output, OSV records and the JSON feed, and Go module
//! files (go.mod, vendor/modules.txt, Godeps.json, Go version strings).
//!
//! Every target is a function `fn(&[u8])` with the signature of a `cargo fuzz` target body. It
//! asserts that the parser never panics — a panic on any input is a bug of the library — and
//! cheap invariants (a parsed version prints back to itself, version order is a total order,
//! mbox messages are in-order slices of their input, …). A failed invariant panics.
//!
//! **How they run.** On stable Rust, `tests/fuzz.rs` drives every target with proptest:
//! random bytes, and structured mutations (byte flips, insertions of interesting tokens,
//! deletions, duplications, splices) of the seed inputs under `fuzz/corpus/<target>/`. The
//! number of cases per target is `KLTS_FUZZ_CASES` (default 2,000: well under a second per
//! target in a debug build), so that `cargo test --workspace` stays quick; `.ci/run` asks for
//! 20,000. No panic was found at 200,000 cases per target when the set was written.
//! For coverage-guided fuzzing with libFuzzer (nightly Rust and `cargo fuzz`), `fuzz/libfuzzer/`
//! holds `cargo fuzz` targets that call these same functions; it is a separate workspace so
//! that the normal build needs neither nightly nor libfuzzer.

use std::cmp::Ordering;
use std::path::Path;

/// A fuzz target: takes any bytes, panics only on a bug.
pub type Target = fn(&[u8]);

/// Every target by name (the name is also its corpus directory).
pub const TARGETS: &[(&str, Target)] = &[
    ("manifest", fuzz_manifest),
    ("version", fuzz_version),
    ("mbox", fuzz_mbox),
    ("osv", fuzz_osv),
    ("gomod", fuzz_gomod),
];

/// `releases.yml`: [`klts_core::manifest::Manifest::parse`], then the lookups and chains the
/// other commands use on it. Invariants: parsing is deterministic (same verdict, same releases,
/// same error message); every release is found by its name.
pub fn fuzz_manifest(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("releases.yml");
    let first = klts_core::manifest::Manifest::parse(&text, path);
    let second = klts_core::manifest::Manifest::parse(&text, path);
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            // (Not the whole Debug text: the indexes are hash maps, printed in any order.)
            assert_eq!(format!("{:?}", a.releases), format!("{:?}", b.releases));
            assert_eq!(format!("{:?}", a.patches), format!("{:?}", b.patches));
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("Manifest::parse is not deterministic"),
    }
    if let Ok(m) = first {
        for r in &m.releases {
            let found = m.release(&r.name.value);
            assert!(
                found.is_some(),
                "release {:?} not found by name",
                r.name.value
            );
            let _ = m.chain(&r.name.value);
            for p in &r.patches {
                let _ = m.resolve_patch(&p.value);
            }
        }
    }
}

/// Version strings: [`klts_core::version::Version::parse`] and the Go module versions of
/// [`klts_vuln::gover::GoVersion::parse`]. The input is split on `\n` into up to three
/// candidates. Invariants: a parsed version prints as text that parses back to it; the order
/// is total (reflexive, antisymmetric, transitive) and agrees with `==`.
pub fn fuzz_version(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.splitn(3, '\n').collect();
    let klts: Vec<_> = parts
        .iter()
        .filter_map(|s| klts_core::version::Version::parse(s).ok())
        .collect();
    for v in &klts {
        let shown = v.to_string();
        let back = klts_core::version::Version::parse(&shown)
            .unwrap_or_else(|e| panic!("{v:?} prints as {shown:?}, which does not parse: {e}"));
        assert_eq!(&back, v, "{shown:?} does not parse back to {v:?}");
    }
    check_total_order(&klts);
    let go: Vec<_> = parts
        .iter()
        .filter_map(|s| klts_vuln::gover::GoVersion::parse(s).ok())
        .collect();
    for v in &go {
        let shown = v.to_string();
        let back = klts_vuln::gover::GoVersion::parse(&shown)
            .unwrap_or_else(|e| panic!("{v:?} prints as {shown:?}, which does not parse: {e}"));
        assert_eq!(&back, v, "{shown:?} does not parse back to {v:?}");
    }
    check_total_order(&go);
}

/// Order laws on every pair and triple of `items`.
fn check_total_order<T: Ord + std::fmt::Debug>(items: &[T]) {
    for a in items {
        assert_eq!(a.cmp(a), Ordering::Equal, "{a:?} is not equal to itself");
        for b in items {
            let ab = a.cmp(b);
            assert_eq!(
                ab,
                b.cmp(a).reverse(),
                "{a:?} vs {b:?} is not antisymmetric"
            );
            assert_eq!(
                ab == Ordering::Equal,
                a == b,
                "{a:?} vs {b:?}: cmp disagrees with =="
            );
            for c in items {
                if ab != Ordering::Greater && b.cmp(c) != Ordering::Greater {
                    assert_ne!(
                        a.cmp(c),
                        Ordering::Greater,
                        "{a:?} <= {b:?} <= {c:?} but {a:?} > {c:?}"
                    );
                }
            }
        }
    }
}

/// Patch files: [`klts_forge::mbox::split`] on the bytes and [`klts_forge::mbox::MailInfo::parse`]
/// on the text. Invariants: messages are non-empty, in order, non-overlapping slices of the
/// input; mailinfo fields are single lines.
pub fn fuzz_mbox(data: &[u8]) {
    let messages = klts_forge::mbox::split(data);
    let base = data.as_ptr() as usize;
    let mut end = 0usize;
    for m in &messages {
        let start = m.raw.as_ptr() as usize - base;
        assert!(!m.raw.is_empty(), "an empty message");
        assert!(start >= end, "messages overlap or are out of order");
        end = start + m.raw.len();
        assert!(end <= data.len(), "a message past the end of the input");
    }
    let info = klts_forge::mbox::MailInfo::parse(&String::from_utf8_lossy(data));
    for field in [&info.author, &info.email, &info.subject, &info.date] {
        assert!(
            !field.contains('\n'),
            "a mailinfo field spans lines: {field:?}"
        );
    }
}

/// Advisory files: [`klts_vuln::osv::parse_record`] and the JSON feed
/// ([`klts_vuln::feed::parse_feed`]). Invariant: an accepted record has a non-empty id.
pub fn fuzz_osv(data: &[u8]) {
    use klts_vuln::model::Source;
    for source in [Source::KubernetesOsv, Source::GoVulnDb] {
        if let Ok((advisory, _warnings)) = klts_vuln::osv::parse_record(data, "fuzz.json", source) {
            assert!(!advisory.id.trim().is_empty(), "an advisory without an id");
        }
    }
    if let Ok((advisories, _warnings)) = klts_vuln::feed::parse_feed(data, "feed.json") {
        for a in &advisories {
            assert!(!a.id.trim().is_empty(), "a feed advisory without an id");
        }
    }
}

/// Go module files: [`klts_vuln::inventory::parse_go_mod`], `parse_modules_txt`,
/// `parse_godeps`, and the Go version readers. Invariant: parsing is deterministic.
pub fn fuzz_gomod(data: &[u8]) {
    use klts_vuln::inventory as inv;
    let text = String::from_utf8_lossy(data);
    assert_eq!(inv::parse_go_mod(&text), inv::parse_go_mod(&text));
    let _ = inv::parse_modules_txt(&text);
    let _ = inv::parse_godeps(data);
    let _ = klts_forge::toolchain::parse_go_version_file(&text);
    let _ = klts_forge::toolchain::parse_cross_version(&text);
    for line in text.lines().take(8) {
        let _ = klts_core::goversion::GoRelease::parse(line);
        let _ = inv::module_root(line);
    }
}
