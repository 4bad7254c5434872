//! Drives every target of `klts-fuzz` for a fixed budget on stable Rust: the seed inputs as
//! they are, then `KLTS_FUZZ_CASES` (default 2,000) proptest cases per target, half random
//! bytes, half structured mutations of the seeds. A panic is a parser bug: proptest shrinks
//! the input and prints it; add it to `fuzz/corpus/<target>/` once fixed.

use klts_fuzz::TARGETS;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::PathBuf;

/// Fragments that tend to reach the parsers' edge cases.
const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xa8",
    b"\xef\xbb\xbf",
    b" ",
    b"\t",
    b":",
    b": ",
    b"- ",
    b"---\n",
    b"&a",
    b"*a",
    b"!!str ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\u0000",
    b",",
    b"null",
    b"-1",
    b"18446744073709551616",
    b"99999999999999999999999",
    b"v",
    b".",
    b"-",
    b"+",
    b"0.0.0",
    b"v1.17.17-lts.3",
    b"-rc.0",
    b"-0.20200101000000-abcdef123456",
    b"+incompatible",
    b"From ",
    b"From 1234567890abcdef Mon Sep 17 00:00:00 2001\n",
    b"Subject: [PATCH 1/2] ",
    b"Author: ",
    b"=?UTF-8?q?",
    b"module ",
    b"require (\n",
    b")\n",
    b"replace ",
    b" => ",
    b"// indirect",
    b"# ",
    b"## explicit",
    b"go 1.",
    b"/*",
    b"*/",
    b"`",
];

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// The seed inputs of `target`, sorted by file name.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no seed inputs", dir.display());
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn cases() -> u32 {
    std::env::var("KLTS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, token: usize },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
    Splice { at: usize, seed: usize, from: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<usize>();
    prop_oneof![
        (pos, 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (pos, 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (pos, 1usize..32).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (pos, 1usize..64).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        pos.prop_map(|at| Mutation::Truncate { at }),
        (pos, any::<usize>(), pos).prop_map(|(at, seed, from)| Mutation::Splice { at, seed, from }),
    ]
}

/// Apply `mutations` to a copy of `seeds[base]`. Positions are taken modulo the length.
fn mutate(seeds: &[Vec<u8>], base: usize, mutations: &[Mutation]) -> Vec<u8> {
    let mut d = seeds[base % seeds.len()].clone();
    let at = |at: usize, len: usize| if len == 0 { 0 } else { at % (len + 1) };
    for m in mutations {
        match *m {
            Mutation::Flip { at: i, bit } => {
                if !d.is_empty() {
                    let i = i % d.len();
                    d[i] ^= 1 << bit;
                }
            }
            Mutation::Insert { at: i, token } => {
                let i = at(i, d.len());
                d.splice(i..i, TOKENS[token].iter().copied());
            }
            Mutation::Delete { at: i, len } => {
                let i = at(i, d.len());
                let end = (i + len).min(d.len());
                d.drain(i..end);
            }
            Mutation::Duplicate { at: i, len } => {
                let i = at(i, d.len());
                let end = (i + len).min(d.len());
                let copy: Vec<u8> = d[i..end].to_vec();
                d.splice(end..end, copy);
            }
            Mutation::Truncate { at: i } => {
                let i = at(i, d.len());
                d.truncate(i);
            }
            Mutation::Splice { at: i, seed, from } => {
                let other = &seeds[seed % seeds.len()];
                let from = at(from, other.len());
                let i = at(i, d.len());
                d.truncate(i);
                d.extend_from_slice(&other[from..]);
            }
        }
    }
    d
}

fn input(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        (any::<usize>(), proptest::collection::vec(mutation(), 1..8))
            .prop_map(move |(base, ms)| mutate(&seeds, base, &ms)),
    ]
}

fn run(target: &str, f: fn(&[u8])) {
    for seed in seeds(target) {
        f(&seed);
    }
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        // Failures are printed (shrunk); no regression files written into the source tree.
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&input(seeds(target)), |data| {
        f(&data);
        Ok(())
    });
    if let Err(e) = result {
        panic!("fuzz target {target}: {e}");
    }
}

fn target(name: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {name}"))
}

#[test]
fn every_target_has_a_test_and_seeds() {
    let tested = ["manifest", "version", "mbox", "osv", "gomod"];
    for (name, _) in TARGETS {
        assert!(tested.contains(name), "{name} has no test below");
        assert!(!seeds(name).is_empty());
    }
}

#[test]
fn fuzz_manifest() {
    run("manifest", target("manifest"));
}

#[test]
fn fuzz_version() {
    run("version", target("version"));
}

#[test]
fn fuzz_mbox() {
    run("mbox", target("mbox"));
}

#[test]
fn fuzz_osv() {
    run("osv", target("osv"));
}

#[test]
fn fuzz_gomod() {
    run("gomod", target("gomod"));
}
