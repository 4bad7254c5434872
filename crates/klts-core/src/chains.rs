//! Every release's base chain, resolved once for the whole manifest.
//!
//! [`Manifest::chain`] answers for one release and costs the length of its chain. Code that
//! needs the chain status of *every* release (lint, the root tags to fetch, who uses a missing
//! tag) used to call it once per release: with a 5,000-release chain that is 12.5 million
//! steps, and `klts lint` took a minute. [`ChainIndex`] follows each `base_release` link once
//! in total (an iterative walk that marks what it has resolved), so building it is linear in
//! the number of releases, and each question afterwards is a lookup.
//!
//! As everywhere in the manifest, a name refers to the *first* release defined with it.

use crate::manifest::{ChainError, Manifest, Release};
use std::cell::Cell;
use std::collections::HashMap;

thread_local! {
    /// `base_release` links followed on this thread, by [`Manifest::chain`] and
    /// [`ChainIndex::new`]: what tests count to check that resolution stays linear.
    static LINKS: Cell<u64> = const { Cell::new(0) };
}

pub(crate) fn count_link() {
    LINKS.with(|c| c.set(c.get() + 1));
}

/// How many `base_release` links this thread has followed so far (for tests and benchmarks
/// that check the cost of chain resolution without timing it).
pub fn links_followed() -> u64 {
    LINKS.with(Cell::get)
}

/// How a release's base chain ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainStatus<'m> {
    /// The chain reaches an upstream ref.
    Rooted {
        /// The upstream ref (normally a tag) the chain starts from.
        root: &'m str,
        /// How many releases the chain holds, this one included (1: based on the root).
        length: usize,
    },
    /// The release is part of a cycle (see [`ChainIndex::cycle`]).
    InCycle(usize),
    /// The release is based, through other releases, on a cycle it is not part of.
    IntoCycle(usize),
}

/// The chain status of every release of a manifest. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct ChainIndex<'m> {
    manifest: &'m Manifest,
    /// Name → index of the first release with that name.
    first: HashMap<&'m str, usize>,
    /// By release index (only first-of-name entries are meaningful; the others copy them).
    status: Vec<ChainStatus<'m>>,
    /// The cycles, each as release indices in `base_release` order, starting from its member
    /// defined first in the file.
    cycles: Vec<Vec<usize>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    New,
    /// On the path being walked, at this position.
    OnPath(usize),
    Done,
}

impl<'m> ChainIndex<'m> {
    /// Resolve every release's chain: each `base_release` link is followed once.
    pub fn new(manifest: &'m Manifest) -> ChainIndex<'m> {
        let releases = &manifest.releases;
        let mut first: HashMap<&'m str, usize> = HashMap::with_capacity(releases.len());
        for (i, r) in releases.iter().enumerate() {
            first.entry(r.name.value.as_str()).or_insert(i);
        }
        let placeholder = ChainStatus::Rooted {
            root: "",
            length: 0,
        };
        let mut status = vec![placeholder; releases.len()];
        let mut mark = vec![Mark::New; releases.len()];
        let mut cycles: Vec<Vec<usize>> = Vec::new();
        let mut path: Vec<usize> = Vec::new();
        for start in 0..releases.len() {
            let start = first[releases[start].name.value.as_str()];
            if mark[start] != Mark::New {
                continue;
            }
            // Walk down the bases until a root, a resolved release, or the path itself.
            path.clear();
            let mut at = start;
            let tail = loop {
                count_link();
                mark[at] = Mark::OnPath(path.len());
                path.push(at);
                let Some(&next) = first.get(releases[at].base_release.value.as_str()) else {
                    break ChainStatus::Rooted {
                        root: releases[at].base_release.value.as_str(),
                        length: 0,
                    };
                };
                match mark[next] {
                    Mark::New => at = next,
                    Mark::Done => break status[next],
                    Mark::OnPath(pos) => {
                        let id = cycles.len();
                        let mut members = path[pos..].to_vec();
                        // Start the cycle at its member defined first in the file, so that
                        // it reads the same whichever release the walk started from.
                        if let Some(k) = (0..members.len()).min_by_key(|&k| members[k]) {
                            members.rotate_left(k);
                        }
                        for &m in &members {
                            status[m] = ChainStatus::InCycle(id);
                            mark[m] = Mark::Done;
                        }
                        cycles.push(members);
                        path.truncate(pos);
                        break ChainStatus::IntoCycle(id);
                    }
                }
            };
            // Resolve the path from its far end back to `start`.
            let mut below = tail;
            for &r in path.iter().rev() {
                below = match below {
                    ChainStatus::Rooted { root, length } => ChainStatus::Rooted {
                        root,
                        length: length + 1,
                    },
                    ChainStatus::InCycle(id) | ChainStatus::IntoCycle(id) => {
                        ChainStatus::IntoCycle(id)
                    }
                };
                status[r] = below;
                mark[r] = Mark::Done;
            }
        }
        for (i, r) in releases.iter().enumerate() {
            status[i] = status[first[r.name.value.as_str()]];
        }
        ChainIndex {
            manifest,
            first,
            status,
            cycles,
        }
    }

    /// The status of the release named `name`, `None` when no release has that name.
    pub fn status(&self, name: &str) -> Option<ChainStatus<'m>> {
        self.first.get(name).map(|&i| self.status[i])
    }

    /// The upstream ref `name`'s chain starts from, or why it has none (the same error
    /// [`Manifest::chain`] gives, without listing the chain).
    pub fn root(&self, name: &str) -> Result<&'m str, ChainError> {
        match self.status(name) {
            None => Err(ChainError::UnknownRelease(name.to_string())),
            Some(ChainStatus::Rooted { root, .. }) => Ok(root),
            Some(ChainStatus::InCycle(_) | ChainStatus::IntoCycle(_)) => Err(ChainError::Cycle(
                // The full path is what `Manifest::chain` reports; build it only on demand.
                self.manifest
                    .chain(name)
                    .err()
                    .and_then(|e| match e {
                        ChainError::Cycle(names) => Some(names),
                        ChainError::UnknownRelease(_) => None,
                    })
                    .unwrap_or_default(),
            )),
        }
    }

    /// The members of cycle `id`, in `base_release` order, starting from the one defined
    /// first in the file.
    pub fn cycle(&self, id: usize) -> Vec<&'m Release> {
        self.cycles
            .get(id)
            .map(|c| c.iter().map(|&i| &self.manifest.releases[i]).collect())
            .unwrap_or_default()
    }

    /// How many cycles the manifest has.
    pub fn cycle_count(&self) -> usize {
        self.cycles.len()
    }

    /// The distinct upstream roots of the chains of `releases` (those that have one), sorted.
    pub fn roots_of<'a>(
        &self,
        releases: impl IntoIterator<Item = &'a Release>,
    ) -> std::collections::BTreeSet<String> {
        releases
            .into_iter()
            .filter_map(|r| match self.status(&r.name.value) {
                Some(ChainStatus::Rooted { root, .. }) => Some(root.to_string()),
                _ => None,
            })
            .collect()
    }
}

impl Manifest {
    /// Every release's chain status, resolved at once (see [`ChainIndex`]).
    pub fn chain_index(&self) -> ChainIndex<'_> {
        ChainIndex::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::Path;

    fn manifest(releases: &[(&str, &str)]) -> Manifest {
        let mut src = String::from("base: up\nreleases:\n");
        for (name, base) in releases {
            src.push_str(&format!("  - {{name: {name}, base_release: {base}}}\n"));
        }
        Manifest::parse(&src, Path::new("releases.yml")).unwrap()
    }

    #[test]
    fn roots_cycles_and_tails() {
        let m = manifest(&[
            ("t", "b"),
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("x", "v1"),
            ("y", "x"),
        ]);
        let idx = m.chain_index();
        assert_eq!(idx.cycle_count(), 1);
        let names: Vec<&str> = idx.cycle(0).iter().map(|r| r.name.value.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(idx.status("t"), Some(ChainStatus::IntoCycle(0)));
        assert_eq!(idx.status("c"), Some(ChainStatus::InCycle(0)));
        assert_eq!(
            idx.status("y"),
            Some(ChainStatus::Rooted {
                root: "v1",
                length: 2
            })
        );
        assert_eq!(idx.root("x"), Ok("v1"));
        assert!(
            matches!(idx.root("t"), Err(ChainError::Cycle(p)) if p == ["t", "b", "c", "a", "b"])
        );
        assert_eq!(idx.root("zz"), Err(ChainError::UnknownRelease("zz".into())));
        assert_eq!(
            idx.roots_of(&m.releases).into_iter().collect::<Vec<_>>(),
            ["v1"]
        );
    }

    /// A 3,000-release chain is resolved in a few thousand steps, however it is ordered;
    /// asking `Manifest::chain` for every release took 4.5 million (and a cycle check per
    /// step on top).
    #[test]
    fn resolution_is_linear() {
        let n = 3_000;
        let names: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
        let mut rel: Vec<(&str, &str)> = Vec::new();
        for i in 0..n {
            rel.push((&names[i], if i == 0 { "v1" } else { &names[i - 1] }));
        }
        rel.reverse();
        let m = manifest(&rel);
        let before = links_followed();
        let idx = m.chain_index();
        assert!(links_followed() - before <= 2 * n as u64);
        assert_eq!(
            idx.status(&names[n - 1]),
            Some(ChainStatus::Rooted {
                root: "v1",
                length: n
            })
        );
        // One chain costs its length, not its square.
        let before = links_followed();
        assert_eq!(m.chain(&names[n - 1]).unwrap().releases.len(), n);
        assert!(links_followed() - before <= n as u64 + 1);
    }

    proptest! {
        /// The index agrees with `Manifest::chain` on every release of any small manifest.
        #[test]
        fn agrees_with_chain(edges in prop::collection::vec((0usize..8, 0usize..10), 0..10)) {
            let names: Vec<String> = (0..10).map(|i| if i < 8 { format!("r{i}") } else { format!("v{i}") }).collect();
            // Names are unique in a manifest (the parser refuses a duplicate).
            let mut seen = std::collections::HashSet::new();
            let rel: Vec<(&str, &str)> = edges
                .iter()
                .filter(|&&(a, _)| seen.insert(a))
                .map(|&(a, b)| (names[a].as_str(), names[b].as_str()))
                .collect();
            let m = manifest(&rel);
            let idx = m.chain_index();
            for r in &m.releases {
                let chain = m.chain(&r.name.value);
                match (idx.status(&r.name.value), &chain) {
                    (Some(ChainStatus::Rooted { root, length }), Ok(c)) => {
                        prop_assert_eq!(root, c.root.as_str());
                        prop_assert_eq!(length, c.releases.len());
                    }
                    (Some(ChainStatus::InCycle(id)), Err(ChainError::Cycle(path))) => {
                        // The chain of a cycle member goes round exactly its cycle.
                        prop_assert_eq!(path.len(), idx.cycle(id).len() + 1);
                    }
                    (Some(ChainStatus::IntoCycle(id)), Err(ChainError::Cycle(path))) => {
                        prop_assert!(path.len() > idx.cycle(id).len() + 1);
                    }
                    (s, c) => prop_assert!(false, "{:?} vs {:?}", s, c),
                }
                prop_assert_eq!(idx.root(&r.name.value).map(str::to_string), chain.map(|c| c.root));
            }
        }
    }
}
