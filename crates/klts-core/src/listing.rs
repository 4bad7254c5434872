//! The release listing behind `klts releases`: each release with its chain, and which release
//! is the latest of its minor line (by the LTS ordering of [`crate::version`]).

use crate::manifest::Manifest;
use crate::version::Version;
use serde::Serialize;
use std::collections::BTreeMap;

/// One row of the release listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReleaseSummary {
    /// Release name.
    pub name: String,
    /// `base_release`.
    pub base: String,
    /// The upstream root of the chain (empty when the chain is broken).
    pub root: String,
    /// The chain from the root: root first, then each release, this one last.
    pub chain: Vec<String>,
    /// `must`.
    pub must: bool,
    /// The release's own patches.
    pub patches: Vec<String>,
    /// Number of patches of the whole chain.
    pub chain_patches: usize,
    /// Minor line (`1.17`) when the name is a version.
    pub line: Option<String>,
    /// Whether this is the highest release of its minor line in the manifest.
    pub latest_in_line: bool,
    /// Why the chain cannot be resolved, if it cannot.
    pub error: Option<String>,
}

/// Summaries of every release, in manifest order.
pub fn summaries(m: &Manifest) -> Vec<ReleaseSummary> {
    let mut latest: BTreeMap<(u64, u64), Version> = BTreeMap::new();
    for r in &m.releases {
        if let Ok(v) = Version::parse(&r.name.value) {
            let line = v.line();
            let e = latest
                .entry((line.major, line.minor))
                .or_insert_with(|| v.clone());
            if v > *e {
                *e = v;
            }
        }
    }
    m.releases
        .iter()
        .map(|r| {
            let version = Version::parse(&r.name.value).ok();
            let latest_in_line = version.as_ref().is_some_and(|v| {
                let l = v.line();
                latest.get(&(l.major, l.minor)) == Some(v)
            });
            let (root, chain, chain_patches, error) = match m.chain(&r.name.value) {
                Ok(c) => {
                    let mut names = vec![c.root.clone()];
                    names.extend(c.releases.iter().map(|x| x.name.value.clone()));
                    let n = c.patch_names().count();
                    (c.root, names, n, None)
                }
                Err(e) => (String::new(), Vec::new(), 0, Some(e.to_string())),
            };
            ReleaseSummary {
                name: r.name.value.clone(),
                base: r.base_release.value.clone(),
                root,
                chain,
                must: r.must,
                patches: r.patches.iter().map(|p| p.value.clone()).collect(),
                chain_patches,
                line: version.map(|v| v.line().to_string()),
                latest_in_line,
                error,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn latest_per_line_uses_lts_ordering() {
        let m = Manifest::parse(
            "base: x\nreleases:\n\
  - {name: v1.17.17-lts.2, base_release: v1.17.17-ci, patches: [a]}\n\
  - {name: v1.17.17-lts.10, base_release: v1.17.17-ci}\n\
  - {name: v1.17.17-ci, base_release: v1.17.17, patches: [b, c]}\n\
  - {name: v1.16.15-lts.1, base_release: v1.16.15}\n",
            Path::new("releases.yml"),
        )
        .unwrap();
        let s = summaries(&m);
        let latest: Vec<_> = s
            .iter()
            .filter(|r| r.latest_in_line)
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(latest, ["v1.17.17-lts.10", "v1.16.15-lts.1"]);
        assert_eq!(s[0].chain, ["v1.17.17", "v1.17.17-ci", "v1.17.17-lts.2"]);
        assert_eq!(s[0].chain_patches, 3);
        assert_eq!(s[0].line.as_deref(), Some("1.17"));
    }
}
