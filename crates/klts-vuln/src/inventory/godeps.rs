//! `Godeps/Godeps.json` (Kubernetes ≤ 1.14, before Go modules): import paths mapped to module
//! roots, versions from the tag in `Comment` or `rev:<sha>`.

use super::{warn, InventoryCode, GODEPS_JSON};
use klts_core::diag::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One dependency of Godeps.json.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GodepsDep {
    /// The package import path (`github.com/gogo/protobuf/proto`).
    pub import_path: String,
    /// `git describe` of the pinned revision (`v1.0.0`, `v0.4-3-gc0656ed`), when recorded.
    pub comment: Option<String>,
    /// The pinned revision.
    pub rev: Option<String>,
}

/// What klts reads of Godeps/Godeps.json.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Godeps {
    /// The project's import path (`k8s.io/kubernetes`).
    pub import_path: Option<String>,
    /// `GoVersion` (`go1.12`): the Go version godep recorded.
    pub go_version: Option<String>,
    /// The dependencies, in file order.
    pub deps: Vec<GodepsDep>,
    /// What could not be understood.
    pub warnings: Vec<Diagnostic>,
}

/// Parse Godeps/Godeps.json.
pub fn parse_godeps(bytes: &[u8]) -> Godeps {
    let mut gd = Godeps::default();
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            gd.warnings.push(warn(
                InventoryCode::Malformed,
                GODEPS_JSON,
                None,
                format!("invalid JSON: {e}"),
            ));
            return gd;
        }
    };
    let str_field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    gd.import_path = str_field(&doc, "ImportPath");
    gd.go_version = str_field(&doc, "GoVersion");
    match doc.get("Deps") {
        Some(Value::Array(deps)) => {
            for (i, dep) in deps.iter().enumerate() {
                match str_field(dep, "ImportPath") {
                    Some(import_path) => gd.deps.push(GodepsDep {
                        import_path: import_path.trim().to_string(),
                        comment: str_field(dep, "Comment"),
                        rev: str_field(dep, "Rev"),
                    }),
                    None => gd.warnings.push(warn(
                        InventoryCode::Malformed,
                        GODEPS_JSON,
                        None,
                        format!("Deps[{i}] has no ImportPath"),
                    )),
                }
            }
        }
        Some(_) => gd.warnings.push(warn(
            InventoryCode::Malformed,
            GODEPS_JSON,
            None,
            "`Deps` is not an array",
        )),
        None => gd.warnings.push(warn(
            InventoryCode::Malformed,
            GODEPS_JSON,
            None,
            "no `Deps`",
        )),
    }
    gd
}

/// A revision without the quotes some Godeps.json files carry (`'75cd24fc…'`).
pub(super) fn clean_rev(rev: &str) -> &str {
    rev.trim().trim_matches(|c| c == '\'' || c == '"').trim()
}

/// The number of leading path elements that make the module root, for a host.
fn root_elements(elems: &[&str]) -> usize {
    let host = elems.first().copied().unwrap_or("");
    match host {
        "github.com" | "bitbucket.org" | "gitlab.com" | "honnef.co" | "gonum.org" => 3,
        "golang.org" if elems.get(1) == Some(&"x") => 3,
        "gopkg.in" => {
            // gopkg.in/yaml.v2, gopkg.in/square/go-jose.v2
            match elems.get(1) {
                Some(e) if has_gopkg_version(e) => 2,
                _ => 3,
            }
        }
        // Single-element module roots.
        "go.opencensus.io" | "go4.org" | "go.starlark.net" | "gotest.tools" => 1,
        // k8s.io, sigs.k8s.io, go.etcd.io, go.uber.org, google.golang.org, cloud.google.com/go
        // (one module in the Godeps era), vbom.ml/util, and other vanity hosts.
        _ => 2,
    }
}

/// Whether a gopkg.in element carries its version (`yaml.v2`).
fn has_gopkg_version(elem: &str) -> bool {
    elem.rsplit_once(".v").is_some_and(|(name, v)| {
        !name.is_empty() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether a path element is a major version suffix (`v2`, `v22`).
fn is_major_suffix(elem: &str) -> bool {
    elem.strip_prefix('v').is_some_and(|n| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && n.parse::<u64>().is_ok_and(|n| n >= 2)
    })
}

/// The module root of a package import path: `github.com/gogo/protobuf/proto` →
/// `github.com/gogo/protobuf`. Three elements for github.com and golang.org/x, two for gopkg.in
/// (`gopkg.in/yaml.v2`; three with a user: `gopkg.in/square/go-jose.v2`), k8s.io, sigs.k8s.io,
/// google.golang.org, go.etcd.io, go.uber.org, `cloud.google.com/go` and other hosts, plus a
/// major version suffix (`/v2`) when one follows.
pub fn module_root(import_path: &str) -> String {
    let elems: Vec<&str> = import_path
        .trim()
        .split('/')
        .filter(|e| !e.is_empty())
        .collect();
    let mut n = root_elements(&elems).min(elems.len());
    if elems.first() != Some(&"gopkg.in") && elems.get(n).is_some_and(|e| is_major_suffix(e)) {
        n += 1;
    }
    elems[..n].join("/")
}

/// The module version of a Godeps `Comment` (`git describe` output), when it names a release
/// tag: `v1.0.0` → `v1.0.0`, `1.2.0` → `v1.2.0`, `v1.0.0-5-gabc1234` → `v1.0.0` (the tag the
/// revision descends from), `v0.4-3-gc0656ed` → `v0.4.0` (missing minor/patch padded with 0).
/// `None` for anything else (`null-5`, branch names).
pub fn godeps_version(comment: Option<&str>) -> Option<String> {
    let c = comment?.trim().trim_matches(|c| c == '\'' || c == '"');
    let tag = strip_describe_suffix(c);
    normalize_tag(tag)
}

/// `tag-N-gHEX` → `tag`.
fn strip_describe_suffix(s: &str) -> &str {
    let mut parts = s.rsplitn(3, '-');
    let (Some(g), Some(n), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return s;
    };
    let is_hash = g
        .strip_prefix('g')
        .is_some_and(|h| h.len() >= 4 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    let is_count = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    if is_hash && is_count && !tag.is_empty() {
        tag
    } else {
        s
    }
}

/// `v1.2`, `1.2.0`, `v3.1.0-beta` → `v1.2.0`, `v1.2.0`, `v3.1.0-beta`; `None` when not a
/// semantic version tag.
fn normalize_tag(tag: &str) -> Option<String> {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let split = t.find(['-', '+']).unwrap_or(t.len());
    let (core, rest) = t.split_at(split);
    let nums: Vec<&str> = core.split('.').collect();
    if nums.is_empty()
        || nums.len() > 3
        || nums
            .iter()
            .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if rest.len() == 1
        || !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'+'))
    {
        return None;
    }
    let mut out = format!("v{}", nums.join("."));
    for _ in nums.len()..3 {
        out.push_str(".0");
    }
    out.push_str(rest);
    Some(out)
}
