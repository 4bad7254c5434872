//! The upstream repository, its patch commits and the LTS workspace.

use super::*;

/// One file of a patch: the commit range it is exported from.
pub(crate) struct PatchFile {
    pub(crate) rel_path: String,
    pub(crate) from: u32,
    pub(crate) to: u32,
}

/// One patch name of the manifest.
pub(crate) struct PatchEntry {
    pub(crate) name: String,
    pub(crate) catalog: bool,
    pub(crate) files: Vec<PatchFile>,
    pub(crate) commits: usize,
}

/// One release of the manifest.
pub(crate) struct ReleaseSpec {
    pub(crate) name: String,
    pub(crate) base_release: String,
    pub(crate) root_tag: String,
    pub(crate) must: bool,
    /// Indexes into the patch entries: this release's own patches.
    pub(crate) patches: Vec<usize>,
    /// Workspace-relative patch files of the whole chain, root first (what the baseline applies).
    pub(crate) chain_files: Vec<String>,
}

pub(crate) struct Generated {
    pub(crate) entries: Vec<PatchEntry>,
    pub(crate) releases: Vec<ReleaseSpec>,
    pub(crate) root_tags: Vec<String>,
    pub(crate) marks: HashMap<u32, String>,
    pub(crate) tmp_refs: Vec<String>,
    pub(crate) upstream_commits: usize,
}

word_list!(
    build_topics,
    "\
    go-version bazel e2e-image cross-build debs etcd-image golang-sh test-flake kind \
    verify-scripts gcr-mirror rpms"
);

word_list!(
    cves,
    "\
    CVE-2019-11253 CVE-2019-11254 CVE-2020-8552 CVE-2020-8555 CVE-2020-8557 CVE-2020-8558 \
    CVE-2020-8559 CVE-2020-8563 CVE-2020-8564 CVE-2020-8565 CVE-2020-8566 CVE-2021-25735 \
    CVE-2021-25737 CVE-2021-25741 CVE-2021-3121 CVE-2022-3162 CVE-2022-3294 CVE-2023-2431 \
    CVE-2023-2727 CVE-2023-2728"
);

/// Paths a build fix touches, and paths a CVE fix touches.
pub(crate) const BUILD_PREFIXES: &[&str] =
    &["build/", "hack/", "cluster/", "test/e2e/", "Makefile"];
pub(crate) const CVE_PREFIXES: &[&str] = &[
    "pkg/",
    "staging/src/k8s.io/apiserver/",
    "staging/src/k8s.io/client-go/",
    "staging/src/k8s.io/apimachinery/",
    "vendor/golang.org/x/",
    "plugin/",
];

pub(crate) fn candidates(tree: &Tree, prefixes: &[&str]) -> Vec<String> {
    let c: Vec<String> = tree
        .iter()
        .filter(|(p, e)| e.editable(p) && prefixes.iter().any(|x| p.starts_with(x)))
        .map(|(p, _)| p.clone())
        .collect();
    if c.len() >= 10 {
        c
    } else {
        tree.iter()
            .filter(|(p, e)| e.editable(p))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    None,
    Add,
    Delete,
    Rename,
}

/// The changes of one patch commit: edits of 1–3 files, sometimes a new file next to them,
/// and the `special` operation.
pub(crate) fn patch_commit(
    r: &mut Rng,
    tree: &Tree,
    pool: &[String],
    special: Special,
) -> Vec<Change> {
    let mut used = BTreeSet::new();
    let mut changes: Vec<Change> = Vec::new();
    let n = r.range(1, 3);
    for p in pick_files(r, tree, pool, n, &mut used) {
        let hunks = r.range(1, 2);
        let e = modify_text(r, &p, &tree[&p].data, hunks);
        changes.push((p, Some(e)));
    }
    if special == Special::Add || r.chance(25) {
        if let Some((first, _)) = changes.first() {
            let dir = first
                .rsplit_once('/')
                .map(|(d, _)| d)
                .unwrap_or("")
                .to_string();
            let ext = first
                .rsplit_once('.')
                .map(|(_, e)| e)
                .filter(|e| !e.contains('/'))
                .unwrap_or("md");
            loop {
                let path = join(&dir, &format!("{}_{}.{ext}", word(r), word(r)));
                if !tree.contains_key(&path) && !used.contains(&path) {
                    let e = gen_file(r, &path);
                    changes.push((path, Some(e)));
                    break;
                }
            }
        }
    }
    match special {
        Special::Delete => {
            for p in pick_files(r, tree, pool, 1, &mut used) {
                changes.push((p, None));
            }
        }
        Special::Rename => {
            // Rename a Go file (not a BUILD or OWNERS file) within its package.
            let go: Vec<String> = pool
                .iter()
                .filter(|p| p.ends_with(".go"))
                .cloned()
                .collect();
            let go = if go.is_empty() { pool } else { &go[..] };
            for p in pick_files(r, tree, go, 1, &mut used) {
                let new = renamed(r, &p, tree);
                let e = modify_text(r, &p, &tree[&p].data, 1);
                changes.push((p, None));
                changes.push((new, Some(e)));
            }
        }
        _ => {}
    }
    changes
}

pub(crate) fn patch_message(r: &mut Rng, subject: &str, author: &str) -> String {
    let mut body = String::new();
    let words = r.range(20, 60);
    let mut line = String::new();
    for _ in 0..words {
        if line.len() > 64 {
            body.push_str(&line);
            body.push('\n');
            line.clear();
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word(r));
    }
    body.push_str(&line);
    format!(
        "{subject}\n\n{}\n\nCherry-picked from kubernetes/kubernetes#{}.\n\nSigned-off-by: {author}\n",
        capitalize(&body),
        70_000 + r.below(30_000)
    )
}

/// Write the upstream (all lines, branches, tags) and the patch commits, in one fast-import
/// stream; returns what the workspace needs.
pub(crate) fn generate(files: usize, upstream: &Path) -> Generated {
    let mut c = git();
    c.args(["init", "-q", "--bare", "-b", "master"])
        .arg(upstream);
    check(c);
    let mut c = git_dir(upstream);
    c.args(["config", "gc.auto", "0"]);
    check(c);
    let marks_file = upstream.join("bench-marks");
    let mut g = Generator {
        imp: Importer::start(upstream, &marks_file),
        r: Rng::new(0x6b6c_7473_2d62_656e), // "klts-ben"
        files,
        entries: Vec::new(),
    };

    let mut master = initial_tree(&mut g.r, files);
    let all: Vec<Change> = master
        .iter()
        .map(|(p, e)| (p.clone(), Some(e.clone())))
        .collect();
    let mut master_tip = g.imp.commit(
        "refs/heads/master",
        None,
        UPSTREAM_AUTHORS[0],
        "Kubernetes v1.10 development\n",
        &all,
    );
    drop(all);

    let mut releases_by_line: Vec<[ReleaseSpec; 2]> = Vec::new();
    let mut root_tags = Vec::new();
    let mut tmp_refs = Vec::new();
    for (li, &(minor, last)) in LINES.iter().enumerate() {
        if li > 0 {
            master_tip = g.advance_master(&mut master, master_tip, li, minor);
        }
        g.imp.tag(&format!("v1.{minor}.0"), master_tip);
        let (rel, tag_commit) = g.release_branch(&master, master_tip, minor, last);
        let tag = format!("v1.{minor}.{last}");
        let tmp_ref = format!("refs/heads/bench-tmp/release-1.{minor}");
        releases_by_line.push(g.line_patches(li, minor, &tag, &tmp_ref, rel, tag_commit));
        root_tags.push(tag);
        tmp_refs.push(tmp_ref);
    }
    let patch_commits: usize = g.entries.iter().map(|e| e.commits).sum();
    let upstream_commits = g.imp.finish() - patch_commits;

    let marks = fs::read_to_string(&marks_file)
        .expect("read fast-import marks")
        .lines()
        .filter_map(|l| {
            let (m, sha) = l.strip_prefix(':')?.split_once(' ')?;
            Some((m.parse().ok()?, sha.to_string()))
        })
        .collect();
    fs::remove_file(&marks_file).ok();

    // Manifest order: newest line first, each -lts before its -ci (as KLTS's releases.yml).
    let releases = releases_by_line.into_iter().rev().flatten().collect();
    Generated {
        entries: g.entries,
        releases,
        root_tags,
        marks,
        tmp_refs,
        upstream_commits,
    }
}

/// State of the generation: the fast-import stream, the randomness, the patches so far.
pub(crate) struct Generator {
    pub(crate) imp: Importer,
    pub(crate) r: Rng,
    pub(crate) files: usize,
    pub(crate) entries: Vec<PatchEntry>,
}

impl Generator {
    /// `master` → the next minor: ~300 changed files, in three commits. Returns the new tip.
    pub(crate) fn advance_master(
        &mut self,
        master: &mut Tree,
        mut tip: u32,
        li: usize,
        minor: u32,
    ) -> u32 {
        let r = &mut self.r;
        let changes = evolve(r, master, self.files, minor);
        for (k, chunk) in changes.chunks(changes.len().div_ceil(3)).enumerate() {
            let pr = 60_000 + li * 100 + k;
            let msg = format!("Merge pull request #{pr}: {}\n", phrase(r, 6));
            let author = r.pick(UPSTREAM_AUTHORS);
            tip = self
                .imp
                .commit("refs/heads/master", Some(tip), author, &msg, chunk);
            apply(master, chunk);
        }
        tip
    }

    /// `release-1.X`: four cherry-pick commits from the branch point, tagged as patch releases
    /// up to `v1.X.<last>`. Returns the tree and commit of that last tag.
    pub(crate) fn release_branch(
        &mut self,
        master: &Tree,
        from: u32,
        minor: u32,
        last: u32,
    ) -> (Tree, u32) {
        let r = &mut self.r;
        let branch = format!("refs/heads/release-1.{minor}");
        let mut tree = master.clone();
        let mut tip = from;
        let pool = candidates(&tree, &["pkg/", "staging/", "cmd/"]);
        for k in 1..=4u32 {
            let mut used = BTreeSet::new();
            let mut changes = Vec::new();
            for p in pick_files(r, &tree, &pool, (self.files / 1000).max(3), &mut used) {
                let e = modify_text(r, &p, &tree[&p].data, 1);
                changes.push((p, Some(e)));
            }
            let patch = (last * k).div_ceil(4);
            let msg = format!("Release commit for Kubernetes v1.{minor}.{patch}\n");
            tip = self
                .imp
                .commit(&branch, Some(tip), UPSTREAM_AUTHORS[0], &msg, &changes);
            apply(&mut tree, &changes);
            self.imp.tag(&format!("v1.{minor}.{patch}"), tip);
        }
        (tree, tip)
    }

    /// The two releases of line `li` and their patches: commits on the throwaway branch
    /// `tmp_ref` starting at `tag` (tree `tree`, commit `tip`) — the `-ci` patches, then the
    /// `-lts` patches, each starting where the previous one ended. Returns `[lts, ci]`.
    pub(crate) fn line_patches(
        &mut self,
        li: usize,
        minor: u32,
        tag: &str,
        tmp_ref: &str,
        mut tree: Tree,
        mut tip: u32,
    ) -> [ReleaseSpec; 2] {
        let n_ci = 2 + li % 3;
        let n_lts = 3 + (2 * li + 1) % 3;
        let build_pool = candidates(&tree, BUILD_PREFIXES);
        let cve_pool = candidates(&tree, CVE_PREFIXES);
        let mut ci_patches = Vec::new();
        let mut lts_patches = Vec::new();
        for j in 0..n_ci + n_lts {
            let is_ci = j < n_ci;
            let k = if is_ci { j } else { j - n_ci };
            let (name, topic) = if is_ci {
                let t = build_topics()[(li + k) % build_topics().len()];
                (
                    format!("build-fix-{t}.1.{minor}"),
                    format!("build: fix {t} on release-1.{minor}"),
                )
            } else {
                let cve = cves()[(2 * li + k) % cves().len()];
                (
                    format!("{cve}.1.{minor}"),
                    format!("Fix {cve}: {}", phrase(&mut self.r, 5)),
                )
            };
            // The last -lts patch of each line has two commits, exported as two files of one
            // catalog entry.
            let split = !is_ci && k == n_lts - 1;
            let commits = if split {
                2
            } else {
                match self.r.below(100) {
                    0..=64 => 1,
                    65..=89 => 2,
                    _ => 3,
                }
            };
            let catalog = split || self.entries.len().is_multiple_of(2);
            let author = PATCH_AUTHORS[(li + j) % PATCH_AUTHORS.len()];
            let pool = if is_ci { &build_pool } else { &cve_pool };
            let start = tip;
            let mut ends = Vec::new();
            for c in 0..commits {
                // Per line: the first build fix adds a file, the first CVE fix deletes one,
                // the second renames one (besides random additions).
                let special = match (is_ci, k, c) {
                    (true, 0, 0) => Special::Add,
                    (false, 0, 0) => Special::Delete,
                    (false, 1, 0) => Special::Rename,
                    _ => Special::None,
                };
                let changes = patch_commit(&mut self.r, &tree, pool, special);
                let subject = if commits > 1 {
                    format!("{topic} ({}/{commits})", c + 1)
                } else {
                    topic.clone()
                };
                let msg = patch_message(&mut self.r, &subject, author);
                tip = self.imp.commit(tmp_ref, Some(tip), author, &msg, &changes);
                apply(&mut tree, &changes);
                ends.push(tip);
            }
            let file = |suffix: &str, from, to| PatchFile {
                rel_path: format!("patches/{name}{suffix}.patch"),
                from,
                to,
            };
            let files = if split {
                vec![file("-1", start, ends[0]), file("-2", ends[0], tip)]
            } else {
                vec![file("", start, tip)]
            };
            let index = self.entries.len();
            self.entries.push(PatchEntry {
                name,
                catalog,
                files,
                commits,
            });
            if is_ci {
                ci_patches.push(index);
            } else {
                lts_patches.push(index);
            }
        }

        let files_of = |idx: &[usize]| -> Vec<String> {
            idx.iter()
                .flat_map(|&i| self.entries[i].files.iter().map(|f| f.rel_path.clone()))
                .collect()
        };
        let ci_name = format!("{tag}-ci");
        let mut lts_chain = files_of(&ci_patches);
        lts_chain.extend(files_of(&lts_patches));
        let lts = ReleaseSpec {
            name: format!("{tag}-lts.1"),
            base_release: ci_name.clone(),
            root_tag: tag.to_string(),
            must: true,
            chain_files: lts_chain,
            patches: lts_patches,
        };
        let ci = ReleaseSpec {
            name: ci_name,
            base_release: tag.to_string(),
            root_tag: tag.to_string(),
            must: true,
            chain_files: files_of(&ci_patches),
            patches: ci_patches,
        };
        [lts, ci]
    }
}

/// Export the patches with `git format-patch`, write `releases.yml`, and delete the throwaway
/// branches from the upstream.
pub(crate) fn write_workspace(gen: &Generated, upstream: &Path, ws: &Path) -> Workspace {
    fs::create_dir_all(ws.join("patches")).expect("create workspace");
    for entry in &gen.entries {
        for f in &entry.files {
            let range = format!("{}..{}", gen.marks[&f.from], gen.marks[&f.to]);
            let mut c = git_dir(upstream);
            c.args(["format-patch", "--stdout", "-M", "--binary", &range]);
            let mbox = check(c);
            assert!(mbox.starts_with("From "), "empty patch for {range}");
            fs::write(ws.join(&f.rel_path), mbox).expect("write patch");
        }
    }
    for r in &gen.tmp_refs {
        let mut c = git_dir(upstream);
        c.args(["update-ref", "-d", r]);
        check(c);
    }

    let mut y = String::new();
    let _ = writeln!(y, "# Generated by crates/klts/benches/verify.rs");
    let _ = writeln!(y, "base: {}", yaml_quote(&upstream.to_string_lossy()));
    y.push_str("releases:\n");
    for rel in &gen.releases {
        let _ = writeln!(y, "  - name: {}", rel.name);
        let _ = writeln!(y, "    base_release: {}", rel.base_release);
        let _ = writeln!(y, "    must: {}", rel.must);
        y.push_str("    patches:\n");
        for &i in &rel.patches {
            let _ = writeln!(y, "      - {}", gen.entries[i].name);
        }
    }
    y.push_str("patches:\n");
    for e in gen.entries.iter().filter(|e| e.catalog) {
        let _ = writeln!(y, "  - name: {}", e.name);
        y.push_str("    patch:\n");
        for f in &e.files {
            let _ = writeln!(y, "      - {}", f.rel_path);
        }
    }
    fs::write(ws.join("releases.yml"), y).expect("write releases.yml");

    Workspace {
        releases: gen
            .releases
            .iter()
            .map(|r| BaselineRelease {
                name: r.name.clone(),
                root_tag: r.root_tag.clone(),
                must: r.must,
                chain_files: r.chain_files.iter().map(|f| ws.join(f)).collect(),
            })
            .collect(),
        entries: gen
            .entries
            .iter()
            .map(|e| EntrySummary {
                catalog: e.catalog,
                files: e.files.iter().map(|f| f.rel_path.clone()).collect(),
                commits: e.commits,
            })
            .collect(),
    }
}

pub(crate) fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Smallest and largest file count of the root tags' trees.
pub(crate) fn tree_sizes(upstream: &Path, tags: &[String]) -> (usize, usize) {
    let counts: Vec<usize> = tags
        .iter()
        .map(|t| {
            let mut c = git_dir(upstream);
            c.args(["ls-tree", "-r", "--name-only", t]);
            check(c).lines().count()
        })
        .collect();
    (
        *counts.iter().min().unwrap_or(&0),
        *counts.iter().max().unwrap_or(&0),
    )
}
