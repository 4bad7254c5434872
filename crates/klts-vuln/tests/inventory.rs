//! Inventories of whole (in-memory) Kubernetes release trees, one per era: Godeps (≤ 1.14),
//! go.mod with pinned replaces (1.15–1.17), go.mod with vendor/modules.txt and kube-cross
//! tagged by Kubernetes version (1.22-like), and .go-version with a toolchain directive
//! (1.30-like).

use klts_vuln::inventory::{
    GoToolchain, Inventory, ModuleOrigin, TreeFiles, TreeReadError, CROSS_VERSION, GODEPS_JSON,
    GO_MOD, GO_VERSION_FILE, SOURCE_GO_DIRECTIVE, VENDOR_MODULES_TXT,
};
use std::collections::BTreeMap;

/// A tree held in memory, recording which paths were asked for.
struct MemTree {
    files: BTreeMap<String, String>,
    asked: Vec<String>,
}

impl MemTree {
    fn new(files: &[(&str, &str)]) -> MemTree {
        MemTree {
            files: files
                .iter()
                .map(|(p, c)| (p.to_string(), c.to_string()))
                .collect(),
            asked: Vec::new(),
        }
    }
}

impl TreeFiles for MemTree {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, TreeReadError> {
        self.asked.push(path.to_string());
        Ok(self.files.get(path).map(|s| s.clone().into_bytes()))
    }
}

const GODEPS_1_13: &str = r#"{
	"ImportPath": "k8s.io/kubernetes",
	"GoVersion": "go1.11",
	"GodepVersion": "v80",
	"Packages": ["./..."],
	"Deps": [
		{"ImportPath": "github.com/docker/docker/api/types", "Comment": "docs-v1.12.0-rc4-2016-07-15-9510-ga9fbbdc8d", "Rev": "a9fbbdc8dd8794b20af358382ab780559bca589d"},
		{"ImportPath": "github.com/docker/docker/client", "Comment": "docs-v1.12.0-rc4-2016-07-15-9510-ga9fbbdc8d", "Rev": "a9fbbdc8dd8794b20af358382ab780559bca589d"},
		{"ImportPath": "github.com/gogo/protobuf/gogoproto", "Comment": "v0.4-3-gc0656ed", "Rev": "c0656edd0d9eab7c66d1eb0c568f9039345796f7"},
		{"ImportPath": "github.com/gogo/protobuf/proto", "Comment": "v0.4-3-gc0656ed", "Rev": "c0656edd0d9eab7c66d1eb0c568f9039345796f7"},
		{"ImportPath": "github.com/gogo/protobuf/sortkeys", "Comment": "v0.4-3-gc0656ed", "Rev": "c0656edd0d9eab7c66d1eb0c568f9039345796f7"},
		{"ImportPath": "github.com/opencontainers/runc/libcontainer", "Comment": "v1.0.0-rc5-46-g871ba2e5", "Rev": "871ba2e58e24314d1fab4517a80410191ba5ad01"},
		{"ImportPath": "golang.org/x/crypto/ssh", "Rev": "de0752318171da717af4ce24d0a2e8626afaeb11"},
		{"ImportPath": "google.golang.org/grpc", "Comment": "v1.13.0", "Rev": "168a6198bcb0ef175f7dacec0b8691fc141dc9b8"},
		{"ImportPath": "google.golang.org/grpc/codes", "Comment": "v1.13.0", "Rev": "168a6198bcb0ef175f7dacec0b8691fc141dc9b8"},
		{"ImportPath": "gopkg.in/yaml.v2", "Comment": "v2.2.1", "Rev": "5420a8b6744d3b0345ab293f6fcba19c978f1183"}
	]
}"#;

#[test]
fn godeps_era_tree() {
    let mut tree = MemTree::new(&[(GODEPS_JSON, GODEPS_1_13), (CROSS_VERSION, "v1.11.13-1\n")]);
    let inv = Inventory::read(&mut tree).unwrap();
    assert_eq!(inv.sources, [GODEPS_JSON, CROSS_VERSION]);
    assert_eq!(inv.modules.len(), 6);
    assert_eq!(
        inv.effective_version("github.com/gogo/protobuf"),
        Some("v0.4.0")
    );
    assert_eq!(
        inv.effective_version("github.com/opencontainers/runc"),
        Some("v1.0.0-rc5")
    );
    assert_eq!(
        inv.effective_version("google.golang.org/grpc"),
        Some("v1.13.0")
    );
    assert_eq!(inv.effective_version("gopkg.in/yaml.v2"), Some("v2.2.1"));
    // `docs-v1.12.0-…` is not a release tag of the module: only the revision is known.
    assert_eq!(
        inv.effective_version("github.com/docker/docker"),
        Some("rev:a9fbbdc8dd8794b20af358382ab780559bca589d")
    );
    assert!(inv
        .module("golang.org/x/crypto")
        .unwrap()
        .version
        .starts_with("rev:"));
    assert!(inv
        .modules
        .values()
        .all(|m| m.origin == ModuleOrigin::Godeps && m.replaced_by.is_none()));
    assert_eq!(
        inv.warnings
            .iter()
            .filter(|w| w.to_string().contains("without a release tag"))
            .count(),
        2
    );
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.11.13".into(),
            source: CROSS_VERSION.into()
        })
    );
}

const GO_MOD_1_16: &str = r#"module k8s.io/kubernetes

go 1.13

require (
	github.com/gogo/protobuf v1.3.1
	github.com/opencontainers/runc v1.0.0-rc10
	k8s.io/api v0.0.0
	k8s.io/utils v0.0.0-20200324210504-a9aa75ae1b89
)

replace (
	github.com/gogo/protobuf => github.com/gogo/protobuf v1.3.1
	github.com/opencontainers/runc => github.com/opencontainers/runc v1.0.0-rc10
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/utils => k8s.io/utils v0.0.0-20200324210504-a9aa75ae1b89
)
"#;

#[test]
fn go_mod_with_pinned_replaces() {
    let mut tree = MemTree::new(&[(GO_MOD, GO_MOD_1_16), (CROSS_VERSION, "v1.13.15-1\n")]);
    let inv = Inventory::read(&mut tree).unwrap();
    assert!(!tree.asked.iter().any(|p| p == GODEPS_JSON));
    assert_eq!(inv.sources, [GO_MOD, CROSS_VERSION]);
    let gogo = inv.module("github.com/gogo/protobuf").unwrap();
    assert_eq!(
        gogo.replaced_by,
        Some(("github.com/gogo/protobuf".into(), "v1.3.1".into()))
    );
    assert_eq!(
        inv.effective_version("github.com/gogo/protobuf"),
        Some("v1.3.1")
    );
    assert_eq!(inv.effective_version("k8s.io/api"), Some("v0.0.0"));
    assert!(inv.module("k8s.io/api").unwrap().is_local_replace());
    assert_eq!(inv.go.as_ref().map(|g| g.version.as_str()), Some("1.13.15"));
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
}

const GO_MOD_1_22: &str = r#"module k8s.io/kubernetes

go 1.16

require (
	github.com/docker/docker v20.10.2+incompatible
	github.com/gogo/protobuf v1.3.2
	golang.org/x/crypto v0.0.0-20210220033148-5ea612d1eb83
	k8s.io/api v0.0.0
	k8s.io/apimachinery v0.0.0
)

require github.com/emicklei/go-restful v2.9.5+incompatible // indirect

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
)
"#;

const MODULES_TXT_1_22: &str = r#"# github.com/docker/docker v20.10.7+incompatible
## explicit
github.com/docker/docker/api/types
# github.com/emicklei/go-restful v2.9.5+incompatible
github.com/emicklei/go-restful
# github.com/gogo/protobuf v1.3.2
## explicit
github.com/gogo/protobuf/proto
# golang.org/x/crypto v0.0.0-20210220033148-5ea612d1eb83
## explicit
golang.org/x/crypto/ssh
# k8s.io/api v0.0.0 => ./staging/src/k8s.io/api
## explicit
k8s.io/api/core/v1
# k8s.io/apimachinery v0.0.0 => ./staging/src/k8s.io/apimachinery
## explicit
k8s.io/apimachinery/pkg/api/errors
# k8s.io/api => ./staging/src/k8s.io/api
# k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
"#;

#[test]
fn go_mod_and_vendor_tree() {
    let mut tree = MemTree::new(&[
        (GO_MOD, GO_MOD_1_22),
        (VENDOR_MODULES_TXT, MODULES_TXT_1_22),
        (CROSS_VERSION, "v1.22.0-go1.16.7-buster.0\n"),
    ]);
    let inv = Inventory::read(&mut tree).unwrap();
    assert_eq!(inv.sources, [GO_MOD, VENDOR_MODULES_TXT, CROSS_VERSION]);
    assert_eq!(inv.modules.len(), 6);
    // The vendored version wins, and the difference is reported.
    let docker = inv.module("github.com/docker/docker").unwrap();
    assert_eq!(docker.version, "v20.10.7+incompatible");
    assert_eq!(docker.origin, ModuleOrigin::VendorModulesTxt);
    assert_eq!(inv.warnings.len(), 1, "{:?}", inv.warnings);
    assert!(inv.warnings[0]
        .to_string()
        .contains("github.com/docker/docker"));
    assert_eq!(
        inv.effective_version("github.com/gogo/protobuf"),
        Some("v1.3.2")
    );
    assert_eq!(
        inv.effective_version("github.com/emicklei/go-restful"),
        Some("v2.9.5+incompatible")
    );
    let api = inv.module("k8s.io/apimachinery").unwrap();
    assert_eq!(
        api.replaced_by,
        Some(("./staging/src/k8s.io/apimachinery".into(), String::new()))
    );
    assert_eq!(inv.go.as_ref().unwrap().version, "1.16.7");
}

#[test]
fn go_version_file_tree_with_closure() {
    let files: BTreeMap<&str, &str> = [
        (GO_MOD, "module k8s.io/kubernetes\n\ngo 1.22.0\n\ntoolchain go1.22.4\n\nrequire github.com/gogo/protobuf v1.3.2\n"),
        (GO_VERSION_FILE, "1.22.5\n"),
        (CROSS_VERSION, "v1.30.0-go1.22.5-bullseye.0\n"),
    ]
    .into_iter()
    .collect();
    let mut read = |p: &str| files.get(p).map(|s| s.as_bytes().to_vec());
    let inv = Inventory::read(&mut read).unwrap();
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.22.5".into(),
            source: GO_VERSION_FILE.into()
        })
    );
    // The first Go version found ends the search.
    assert_eq!(inv.sources, [GO_MOD, GO_VERSION_FILE]);
    assert_eq!(
        inv.effective_version("github.com/gogo/protobuf"),
        Some("v1.3.2")
    );

    let json = serde_json::to_value(&inv).unwrap();
    assert_eq!(
        json["modules"]["github.com/gogo/protobuf"]["origin"],
        "go-mod"
    );
}

#[test]
fn go_directive_only() {
    let mut tree = MemTree::new(&[(GO_MOD, "module k8s.io/kubernetes\ngo 1.16\n")]);
    let inv = Inventory::read(&mut tree).unwrap();
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.16".into(),
            source: SOURCE_GO_DIRECTIVE.into()
        })
    );
    assert!(inv.modules.is_empty());
}

/// A file that cannot be read is an error, never an absent file (which would make every
/// module advisory `not-affected`).
#[test]
fn a_failed_read_is_an_error_not_an_absence() {
    struct Broken;
    impl TreeFiles for Broken {
        fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, TreeReadError> {
            if path == GO_MOD {
                Err(TreeReadError {
                    path: path.into(),
                    reason: "object missing".into(),
                })
            } else {
                Ok(None)
            }
        }
    }
    let err = Inventory::read(&mut Broken).unwrap_err();
    assert!(err.to_string().contains("go.mod"), "{err}");
}

/// The stdlib statuses read the Go version through the same rule as `klts build`: the
/// manifest's `build.go` wins over the tree's files (it used to be ignored here).
#[test]
fn the_manifest_build_go_wins_over_the_tree() {
    let explicit = klts_core::goversion::GoRelease::parse("go1.12.17").unwrap();
    let mut tree = MemTree::new(&[(GODEPS_JSON, GODEPS_1_13), (CROSS_VERSION, "v1.11.13-1\n")]);
    let inv = Inventory::read_with(&mut tree, Some(&explicit)).unwrap();
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.12.17".into(),
            source: klts_vuln::inventory::SOURCE_MANIFEST.into()
        })
    );
}
