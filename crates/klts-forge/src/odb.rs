//! In-process access to git objects: reading through one long-running `git cat-file --batch`,
//! writing trees as loose objects, and editing a tree by path.
//!
//! This is what lets klts materialize a release without a working tree *and* without a full
//! index: a Kubernetes tree has ~25,000 entries, and every `git read-tree`/`git apply --cached`
//! on a full index reads and rewrites all of them. Instead, only the paths a patch touches go
//! through git (see [`crate::engine`]); the new tree is derived from the parent tree by
//! rewriting just the directories on the changed paths, byte-identical to what git writes.
//!
//! Hand-written rather than a git library (gix, git2): klts drives the real git CLI everywhere
//! else, and one `cat-file --batch` process plus loose-object writes is all the speed-up needs,
//! so a second implementation of the object store (and libgit2 or gix in the build) would not
//! pay for itself.

use crate::git::GitError;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

/// A 20-byte SHA-1 object id.
pub type Oid = [u8; 20];

/// Parse a 40-hex object id.
pub fn parse_oid(hex_str: &str) -> Option<Oid> {
    let bytes = hex::decode(hex_str.trim()).ok()?;
    bytes.try_into().ok()
}

/// Hex form of an object id.
pub fn oid_hex(oid: &Oid) -> String {
    hex::encode(oid)
}

/// One entry of a tree object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    /// The mode as written in the tree (`100644`, `100755`, `120000`, `160000`, `40000`).
    pub mode: String,
    /// The entry name (one path component).
    pub name: Vec<u8>,
    /// The object id.
    pub oid: Oid,
}

impl TreeEntry {
    /// Whether the entry is a subtree.
    pub fn is_tree(&self) -> bool {
        self.mode == "40000"
    }
}

/// Parse the body of a tree object.
pub fn parse_tree(body: &[u8]) -> Option<Vec<TreeEntry>> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let nul = rest.iter().position(|&b| b == 0)?;
        if nul < sp || rest.len() < nul + 21 {
            return None;
        }
        let mode = String::from_utf8(rest[..sp].to_vec()).ok()?;
        let name = rest[sp + 1..nul].to_vec();
        let oid: Oid = rest[nul + 1..nul + 21].try_into().ok()?;
        out.push(TreeEntry { mode, name, oid });
        rest = &rest[nul + 21..];
    }
    Some(out)
}

/// Git's tree order: by name, with subtrees compared as if their name ended in `/`.
fn tree_order(a: &TreeEntry, b: &TreeEntry) -> std::cmp::Ordering {
    let ka = a.name.iter().copied().chain(a.is_tree().then_some(b'/'));
    let kb = b.name.iter().copied().chain(b.is_tree().then_some(b'/'));
    ka.cmp(kb)
}

/// Serialize entries (sorted in git's order) as a tree body.
pub fn serialize_tree(entries: &mut [TreeEntry]) -> Vec<u8> {
    entries.sort_by(tree_order);
    let mut out = Vec::with_capacity(entries.len() * 40);
    for e in entries.iter() {
        out.extend_from_slice(e.mode.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&e.name);
        out.push(0);
        out.extend_from_slice(&e.oid);
    }
    out
}

/// A change to one path of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Set the path to a blob (or gitlink) with this mode.
    Set {
        /// Mode (`100644`, `100755`, `120000`, `160000`).
        mode: String,
        /// The object id.
        oid: Oid,
    },
    /// Remove the path.
    Delete,
}

/// Reads objects through `git cat-file --batch` and writes loose objects.
pub struct Odb {
    git_dir: PathBuf,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Parsed trees, shared: lookups walk them without copying.
    trees: TreeCache,
}

/// How much memory the parsed trees of one [`Odb`] may hold: 64 MiB (estimated), about ten
/// times the directories a Kubernetes release's patches touch. Without a bound, a
/// 10,000-commit mbox kept every intermediate tree it wrote, 6.7 GB in all.
pub const TREE_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Parsed trees by id, least recently used dropped first once over the byte budget.
struct TreeCache {
    map: HashMap<Oid, (Arc<Vec<TreeEntry>>, u64)>,
    /// Estimated bytes held (see [`tree_cost`]).
    bytes: usize,
    limit: usize,
    /// Use counter: the last use of each tree, for eviction order.
    tick: u64,
}

/// Estimated memory of a parsed tree: the entries, their heap parts and the map slot.
fn tree_cost(entries: &[TreeEntry]) -> usize {
    128 + entries
        .iter()
        .map(|e| std::mem::size_of::<TreeEntry>() + e.mode.len() + e.name.len())
        .sum::<usize>()
}

impl TreeCache {
    fn new(limit: usize) -> TreeCache {
        TreeCache {
            map: HashMap::new(),
            bytes: 0,
            limit,
            tick: 0,
        }
    }

    fn get(&mut self, oid: &Oid) -> Option<Arc<Vec<TreeEntry>>> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(oid).map(|(t, used)| {
            *used = tick;
            Arc::clone(t)
        })
    }

    fn insert(&mut self, oid: Oid, tree: Arc<Vec<TreeEntry>>) {
        self.tick += 1;
        let cost = tree_cost(&tree);
        if let Some((old, _)) = self.map.insert(oid, (tree, self.tick)) {
            self.bytes -= tree_cost(&old);
        }
        self.bytes += cost;
        if self.bytes > self.limit {
            self.evict();
        }
    }

    /// Drop the least recently used trees until a quarter of the budget is free: one sort
    /// per quarter-budget of insertions keeps the cost per insertion logarithmic.
    fn evict(&mut self) {
        let target = self.limit / 4 * 3;
        let mut by_age: Vec<(u64, Oid)> = self.map.iter().map(|(k, (_, t))| (*t, *k)).collect();
        by_age.sort_unstable();
        for (_, oid) in by_age {
            if self.bytes <= target {
                break;
            }
            if let Some((t, _)) = self.map.remove(&oid) {
                self.bytes -= tree_cost(&t);
            }
        }
    }
}

impl Odb {
    /// Start a reader on the repository at `git_dir`.
    pub fn open(git_dir: &Path) -> Result<Odb, GitError> {
        let mut child = Command::new("git")
            .arg("--git-dir")
            .arg(git_dir)
            .args(["cat-file", "--batch"])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(GitError::Spawn)?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| GitError::Spawn(std::io::Error::other("no stdin")))?;
        let stdout = BufReader::new(
            child
                .stdout
                .take()
                .ok_or_else(|| GitError::Spawn(std::io::Error::other("no stdout")))?,
        );
        Ok(Odb {
            git_dir: git_dir.to_path_buf(),
            child,
            stdin,
            stdout,
            trees: TreeCache::new(TREE_CACHE_BYTES),
        })
    }

    /// Bound the parsed trees kept in memory to about `bytes` (default [`TREE_CACHE_BYTES`]).
    pub fn limit_tree_cache(&mut self, bytes: usize) {
        self.trees.limit = bytes;
        if self.trees.bytes > bytes {
            self.trees.evict();
        }
    }

    /// Estimated bytes of parsed trees held in memory now.
    pub fn tree_cache_bytes(&self) -> usize {
        self.trees.bytes
    }

    fn broken(what: &str) -> GitError {
        GitError::Failed {
            args: "cat-file --batch".into(),
            status: "protocol error".into(),
            stderr: what.to_string(),
            stdout: String::new(),
        }
    }

    /// Read an object: its type and body. `Ok(None)` when it does not exist.
    pub fn read(&mut self, spec: &str) -> Result<Option<(String, Vec<u8>)>, GitError> {
        writeln!(self.stdin, "{spec}")
            .and_then(|_| self.stdin.flush())
            .map_err(GitError::Spawn)?;
        let mut header = String::new();
        self.stdout
            .read_line(&mut header)
            .map_err(GitError::Spawn)?;
        let header = header.trim_end();
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            return Ok(None);
        }
        let mut parts = header.split(' ');
        let (_oid, kind, size) = (parts.next(), parts.next(), parts.next());
        let (Some(kind), Some(size)) = (kind, size.and_then(|s| s.parse::<usize>().ok())) else {
            return Err(Self::broken(&format!("unexpected header `{header}`")));
        };
        let mut body = vec![0u8; size + 1];
        self.stdout.read_exact(&mut body).map_err(GitError::Spawn)?;
        body.pop(); // the trailing newline
        Ok(Some((kind.to_string(), body)))
    }

    /// The entries of a tree (cached).
    pub fn tree(&mut self, oid: &Oid) -> Result<Arc<Vec<TreeEntry>>, GitError> {
        if let Some(t) = self.trees.get(oid) {
            return Ok(t);
        }
        let (kind, body) = self
            .read(&oid_hex(oid))?
            .ok_or_else(|| Self::broken(&format!("tree {} missing", oid_hex(oid))))?;
        if kind != "tree" {
            return Err(Self::broken(&format!(
                "{} is a {kind}, not a tree",
                oid_hex(oid)
            )));
        }
        let entries = parse_tree(&body)
            .ok_or_else(|| Self::broken(&format!("tree {} is malformed", oid_hex(oid))))?;
        let entries = Arc::new(entries);
        self.trees.insert(*oid, Arc::clone(&entries));
        Ok(entries)
    }

    /// The tree of a commit.
    pub fn commit_tree(&mut self, commit: &str) -> Result<Oid, GitError> {
        let (kind, body) = self
            .read(commit)?
            .ok_or_else(|| Self::broken(&format!("commit {commit} missing")))?;
        if kind != "commit" {
            return Err(Self::broken(&format!("{commit} is a {kind}, not a commit")));
        }
        let line = body.split(|&b| b == b'\n').next().unwrap_or_default();
        std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.strip_prefix("tree "))
            .and_then(parse_oid)
            .ok_or_else(|| Self::broken(&format!("commit {commit} has no tree")))
    }

    /// The committer time of a commit (seconds since 1970, as `git show -s --format=%ct`
    /// prints it), read from the object without a process per commit. `Ok(None)` when the
    /// commit does not exist or has no parsable committer line.
    pub fn commit_time(&mut self, commit: &str) -> Result<Option<i64>, GitError> {
        match self.read(commit)? {
            Some((kind, body)) if kind == "commit" => Ok(parse_committer_time(&body)),
            _ => Ok(None),
        }
    }

    /// Look up `path` (slash-separated) in `tree`: its mode and oid.
    pub fn lookup(&mut self, tree: &Oid, path: &[u8]) -> Result<Option<TreeEntry>, GitError> {
        let mut current = *tree;
        let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
        for (i, part) in parts.iter().enumerate() {
            let entries = self.tree(&current)?;
            let Some(e) = entries.iter().find(|e| e.name == *part).cloned() else {
                return Ok(None);
            };
            if i + 1 == parts.len() {
                return Ok(Some(e));
            }
            if !e.is_tree() {
                return Ok(None);
            }
            current = e.oid;
        }
        Ok(None)
    }

    /// Write a tree object (as a loose object) and return its id.
    pub fn write_tree(&mut self, entries: &mut [TreeEntry]) -> Result<Oid, GitError> {
        let body = serialize_tree(entries);
        let oid = write_loose(&self.git_dir, "tree", &body).map_err(GitError::Spawn)?;
        self.trees.insert(oid, Arc::new(entries.to_vec()));
        Ok(oid)
    }

    /// Apply `changes` (path → change) to `tree` and return the new tree's id. Directories
    /// left empty disappear, as in git.
    pub fn edit_tree(
        &mut self,
        tree: &Oid,
        changes: &BTreeMap<Vec<u8>, Change>,
    ) -> Result<Oid, GitError> {
        let refs: Vec<(&[u8], &Change)> = changes.iter().map(|(k, v)| (k.as_slice(), v)).collect();
        Ok(self.edit(Some(*tree), &refs)?.unwrap_or(empty_tree_oid()))
    }

    fn edit(
        &mut self,
        tree: Option<Oid>,
        changes: &[(&[u8], &Change)],
    ) -> Result<Option<Oid>, GitError> {
        let mut entries = match tree {
            Some(t) => self.tree(&t)?.as_ref().clone(),
            None => Vec::new(),
        };
        // Group changes by their first component.
        let mut groups: BTreeMap<&[u8], Vec<(&[u8], &Change)>> = BTreeMap::new();
        let mut here: Vec<(&[u8], &Change)> = Vec::new();
        for &(path, change) in changes {
            match path.iter().position(|&b| b == b'/') {
                Some(i) => groups
                    .entry(&path[..i])
                    .or_default()
                    .push((&path[i + 1..], change)),
                None => here.push((path, change)),
            }
        }
        for (name, change) in here {
            entries.retain(|e| e.name != name);
            if let Change::Set { mode, oid } = change {
                entries.push(TreeEntry {
                    mode: mode.clone(),
                    name: name.to_vec(),
                    oid: *oid,
                });
            }
        }
        for (dir, sub) in groups {
            let existing = entries.iter().position(|e| e.name == dir && e.is_tree());
            let sub_tree = existing.map(|i| entries[i].oid);
            let new_sub = self.edit(sub_tree, &sub)?;
            if let Some(i) = existing {
                entries.remove(i);
            }
            // A file of the same name as the new directory is replaced by it.
            entries.retain(|e| e.name != dir);
            if let Some(oid) = new_sub {
                entries.push(TreeEntry {
                    mode: "40000".into(),
                    name: dir.to_vec(),
                    oid,
                });
            }
        }
        if entries.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.write_tree(&mut entries)?))
    }
}

impl Drop for Odb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The committer time in a commit object's header: the seconds of
/// `committer <name> <<email>> <seconds> <zone>` (the header ends at the first empty line).
pub fn parse_committer_time(body: &[u8]) -> Option<i64> {
    body.split(|&b| b == b'\n')
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(b"committer "))
        .and_then(|l| {
            // The name may hold anything but `>`: the time follows the last `>`.
            let at = l.iter().rposition(|&b| b == b'>')?;
            let rest = std::str::from_utf8(&l[at + 1..]).ok()?;
            rest.split_whitespace().next()?.parse::<i64>().ok()
        })
}

/// The committer times of `commits` in the repository `git_dir` (one `git cat-file --batch`
/// for all of them): the time of each commit that exists, by commit. The one reader of
/// commit times for the CLI's generated documents (VEX, OSV).
pub fn commit_times<'a>(
    git_dir: &Path,
    commits: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, i64>, GitError> {
    let mut odb = Odb::open(git_dir)?;
    let mut times = BTreeMap::new();
    for c in commits {
        if let Some(t) = odb.commit_time(c)? {
            times.insert(c.to_string(), t);
        }
    }
    Ok(times)
}

/// The id of the empty tree.
pub fn empty_tree_oid() -> Oid {
    object_id("tree", b"")
}

/// The id git gives an object of `kind` with `body`.
pub fn object_id(kind: &str, body: &[u8]) -> Oid {
    let mut h = Sha1::new();
    h.update(format!("{kind} {}\0", body.len()).as_bytes());
    h.update(body);
    h.finalize().into()
}

/// Write a loose object (zlib-compressed `<kind> <len>\0<body>`) unless it already exists.
pub fn write_loose(git_dir: &Path, kind: &str, body: &[u8]) -> std::io::Result<Oid> {
    let oid = object_id(kind, body);
    let hex = oid_hex(&oid);
    let dir = git_dir.join("objects").join(&hex[..2]);
    let path = dir.join(&hex[2..]);
    if path.exists() {
        return Ok(oid);
    }
    std::fs::create_dir_all(&dir)?;
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::none());
    enc.write_all(format!("{kind} {}\0", body.len()).as_bytes())?;
    enc.write_all(body)?;
    let data = enc.finish()?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-obj-")
        .tempfile_in(&dir)?;
    tmp.write_all(&data)?;
    match tmp.persist_noclobber(&path) {
        Ok(_) => {}
        // Another worker wrote the same object first: same content, nothing to do.
        Err(e) if path.exists() => drop(e),
        Err(e) => return Err(e.error),
    }
    Ok(oid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parsed-tree cache stays within its budget however many trees go through it, and
    /// keeps the ones in use (a 10,000-commit mbox used to keep every tree: 6.7 GB).
    #[test]
    fn tree_cache_is_bounded_and_keeps_recent_trees() {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("git")
            .args(["init", "--bare", "-q"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(ok.success());
        let mut odb = Odb::open(dir.path()).unwrap();
        let limit = 64 * 1024;
        odb.limit_tree_cache(limit);
        let hot = odb
            .write_tree(&mut [TreeEntry {
                mode: "100644".into(),
                name: b"hot".to_vec(),
                oid: [7; 20],
            }])
            .unwrap();
        let tree = |i: u32| -> Vec<TreeEntry> {
            (0..20u8)
                .map(|k| {
                    let mut oid = [k; 20];
                    oid[..4].copy_from_slice(&i.to_be_bytes());
                    TreeEntry {
                        mode: "100644".into(),
                        name: format!("file-{k}").into_bytes(),
                        oid,
                    }
                })
                .collect()
        };
        for i in 0..2_000u32 {
            odb.write_tree(&mut tree(i)).unwrap();
            assert!(
                odb.tree_cache_bytes() <= limit,
                "{}",
                odb.tree_cache_bytes()
            );
            // In use: never evicted.
            assert!(odb.trees.get(&hot).is_some(), "evicted at {i}");
        }
        assert!(odb.tree_cache_bytes() > limit / 2);
        // An evicted tree is read back from git.
        let first = odb.write_tree(&mut tree(0)).unwrap();
        odb.limit_tree_cache(0);
        assert_eq!(odb.tree(&first).unwrap().len(), 20);
    }

    #[test]
    fn committer_time_is_read_from_the_object() {
        let body = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1600000000 +0200\ncommitter Odd > Name <c@x> 1700000000 -0500\n\ncommitter X <x@x> 5 +0000\n";
        assert_eq!(parse_committer_time(body), Some(1_700_000_000));
        // Only the header counts, and a missing or broken line is None, not a panic.
        assert_eq!(
            parse_committer_time(b"tree x\n\ncommitter X <x@x> 5 +0000\n"),
            None
        );
        assert_eq!(
            parse_committer_time(b"committer X <x@x> soon +0000\n"),
            None
        );
        assert_eq!(parse_committer_time(b"committer no email 5\n"), None);
    }

    /// The same answer as `git show -s --format=%ct`, for several commits through one reader.
    #[test]
    fn commit_times_match_git() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str], date: &str| {
            let o = Command::new("git")
                .args(["-c", "user.name=T", "-c", "user.email=t@x", "-C"])
                .arg(dir.path())
                .args(args)
                .env("GIT_AUTHOR_DATE", date)
                .env("GIT_COMMITTER_DATE", date)
                .output()
                .unwrap();
            assert!(o.status.success(), "{o:?}");
            String::from_utf8(o.stdout).unwrap().trim().to_string()
        };
        git(&["init", "-q"], "");
        git(
            &["commit", "-q", "--allow-empty", "-m", "a"],
            "@1600000000 +0000",
        );
        let a = git(&["rev-parse", "HEAD"], "");
        git(
            &["commit", "-q", "--allow-empty", "-m", "b"],
            "@1700000000 +0100",
        );
        let b = git(&["rev-parse", "HEAD"], "");
        let times = commit_times(
            &dir.path().join(".git"),
            [
                a.as_str(),
                b.as_str(),
                "0000000000000000000000000000000000000001",
            ],
        )
        .unwrap();
        assert_eq!(times.len(), 2);
        for c in [&a, &b] {
            let shown: i64 = git(&["show", "-s", "--format=%ct", c], "").parse().unwrap();
            assert_eq!(times[c.as_str()], shown);
        }
        assert_eq!(times[a.as_str()], 1_600_000_000);
    }

    #[test]
    fn empty_tree_has_the_well_known_id() {
        assert_eq!(
            oid_hex(&empty_tree_oid()),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn tree_order_puts_dirs_after_dotted_files() {
        let e = |name: &str, tree: bool| TreeEntry {
            mode: if tree {
                "40000".into()
            } else {
                "100644".into()
            },
            name: name.as_bytes().to_vec(),
            oid: [0; 20],
        };
        let mut v = vec![
            e("a", true),
            e("a.go", false),
            e("a-b", false),
            e("b", false),
        ];
        let body = serialize_tree(&mut v);
        let names: Vec<_> = parse_tree(&body)
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8(e.name).unwrap())
            .collect();
        // "a-b" < "a.go" < "a/" (since '-' < '.' < '/')
        assert_eq!(names, ["a-b", "a.go", "a", "b"]);
    }

    #[test]
    fn malformed_tree_is_none() {
        assert_eq!(parse_tree(b"100644 name"), None);
        assert_eq!(parse_tree(b""), Some(vec![]));
    }
}
