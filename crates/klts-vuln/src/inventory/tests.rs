use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

/// A go.mod shaped like Kubernetes 1.20's: staging replaces, pinned versions, indirects.
const GO_MOD_1_20: &str = r#"// This is a generated file. Do not edit directly.
// Ensure you've carefully read
// https://git.k8s.io/community/contributors/devel/sig-architecture/vendor.md
// Run hack/pin-dependency.sh to change pinned dependency versions.
// Run hack/update-vendor.sh to update go.mod files and the vendor directory.

module k8s.io/kubernetes

go 1.15

require (
	github.com/Azure/azure-sdk-for-go v43.0.0+incompatible
	github.com/containerd/containerd v1.4.4 // indirect
	github.com/docker/docker v20.10.2+incompatible
	github.com/gogo/protobuf v1.3.2
	github.com/golang/protobuf v1.4.3
	github.com/opencontainers/runc v1.0.0-rc92
	golang.org/x/net v0.0.0-20201110031124-69a78807bb2b
	google.golang.org/grpc v1.27.1
	gopkg.in/yaml.v2 v2.2.8
	k8s.io/api v0.0.0
	k8s.io/apimachinery v0.0.0
	k8s.io/client-go v0.0.0
	k8s.io/klog/v2 v2.4.0
	"sigs.k8s.io/yaml" v1.2.0
)

replace (
	github.com/golang/protobuf => github.com/golang/protobuf v1.4.3
	google.golang.org/grpc v1.27.1 => google.golang.org/grpc v1.27.2 // pinned
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
	k8s.io/client-go => ./staging/src/k8s.io/client-go
)

replace golang.org/x/net => golang.org/x/net v0.0.0-20210224082022-3d97a244fca7

exclude github.com/example/broken v1.0.0
"#;

fn tree(files: &[(&str, &str)]) -> HashMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect()
}

fn read(files: &HashMap<String, Vec<u8>>) -> Inventory {
    let mut f = |p: &str| files.get(p).cloned();
    Inventory::read(&mut f).unwrap()
}

#[test]
fn go_mod_requires_replaces_and_directives() {
    let gm = parse_go_mod(GO_MOD_1_20);
    assert!(gm.warnings.is_empty(), "{:?}", gm.warnings);
    assert_eq!(gm.module.as_deref(), Some("k8s.io/kubernetes"));
    assert_eq!(gm.go.as_deref(), Some("1.15"));
    assert_eq!(gm.requires.len(), 14);
    let containerd = gm
        .requires
        .iter()
        .find(|r| r.path == "github.com/containerd/containerd")
        .unwrap();
    assert!(containerd.indirect);
    assert!(
        !gm.requires
            .iter()
            .find(|r| r.path == "github.com/gogo/protobuf")
            .unwrap()
            .indirect
    );
    assert!(gm
        .requires
        .iter()
        .any(|r| r.path == "sigs.k8s.io/yaml" && r.version == "v1.2.0"));
    assert_eq!(gm.replaces.len(), 6);
    assert_eq!(
        gm.replaces[1],
        Replace {
            old_path: "google.golang.org/grpc".into(),
            old_version: Some("v1.27.1".into()),
            new_path: "google.golang.org/grpc".into(),
            new_version: Some("v1.27.2".into()),
        }
    );
    assert_eq!(gm.replaces[2].new_path, "./staging/src/k8s.io/api");
    assert_eq!(gm.replaces[2].new_version, None);
    assert_eq!(gm.replacement_of("google.golang.org/grpc", "v1.27.0"), None);
}

#[test]
fn inventory_from_go_mod() {
    let inv = read(&tree(&[(GO_MOD, GO_MOD_1_20)]));
    assert_eq!(inv.sources, vec![GO_MOD.to_string()]);
    let gogo = inv.module("github.com/gogo/protobuf").unwrap();
    assert_eq!(gogo.version, "v1.3.2");
    assert_eq!(gogo.origin, ModuleOrigin::GoMod);
    assert_eq!(gogo.replaced_by, None);
    assert_eq!(
        inv.effective_version("github.com/gogo/protobuf"),
        Some("v1.3.2")
    );

    let api = inv.module("k8s.io/api").unwrap();
    assert_eq!(api.version, "v0.0.0");
    assert_eq!(
        api.replaced_by,
        Some(("./staging/src/k8s.io/api".into(), String::new()))
    );
    assert!(api.is_local_replace());
    assert_eq!(inv.effective_version("k8s.io/api"), Some("v0.0.0"));

    assert_eq!(
        inv.effective_version("google.golang.org/grpc"),
        Some("v1.27.2")
    );
    assert_eq!(
        inv.effective_version("golang.org/x/net"),
        Some("v0.0.0-20210224082022-3d97a244fca7")
    );
    assert_eq!(inv.effective_version("github.com/example/absent"), None);
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.15".into(),
            source: SOURCE_GO_DIRECTIVE.into()
        })
    );
}

#[test]
fn toolchain_directive_beats_go_directive() {
    let inv = read(&tree(&[(
        GO_MOD,
        "module k8s.io/kubernetes\n\ngo 1.22.0\n\ntoolchain go1.22.5\n",
    )]));
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.22.5".into(),
            source: SOURCE_TOOLCHAIN.into()
        })
    );
    let inv = read(&tree(&[(GO_MOD, "module m\ngo 1.21\ntoolchain default\n")]));
    assert_eq!(inv.go_version(), Some("1.21"));
}

const MODULES_TXT: &str = "\
# github.com/gogo/protobuf v1.3.1
## explicit
github.com/gogo/protobuf/gogoproto
github.com/gogo/protobuf/proto
# github.com/golang/protobuf v1.4.3 => github.com/golang/protobuf v1.4.3
## explicit; go 1.9
github.com/golang/protobuf/proto
# golang.org/x/net v0.0.0-20201110031124-69a78807bb2b => golang.org/x/net v0.0.0-20210224082022-3d97a244fca7
golang.org/x/net/http2
# gopkg.in/yaml.v2 v2.2.8
gopkg.in/yaml.v2
# k8s.io/api v0.0.0 => ./staging/src/k8s.io/api
## explicit
k8s.io/api/core/v1
# github.com/vendored/only v0.3.0
# k8s.io/api => ./staging/src/k8s.io/api
# k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
";

#[test]
fn modules_txt_lines() {
    let mt = parse_modules_txt(MODULES_TXT);
    assert!(mt.warnings.is_empty(), "{:?}", mt.warnings);
    assert_eq!(mt.modules.len(), 8);
    assert_eq!(
        mt.modules[0],
        VendoredModule {
            path: "github.com/gogo/protobuf".into(),
            version: Some("v1.3.1".into()),
            replacement: None,
            explicit: true,
        }
    );
    assert!(mt.modules[1].explicit);
    assert!(!mt.modules[2].explicit);
    assert_eq!(
        mt.modules[4].replacement,
        Some(("./staging/src/k8s.io/api".into(), None))
    );
    assert_eq!(mt.modules[6].version, None);
    assert!(!parse_modules_txt("# a b c d\n").warnings.is_empty());
}

#[test]
fn vendor_versions_win_over_go_mod() {
    let inv = read(&tree(&[
        (GO_MOD, GO_MOD_1_20),
        (VENDOR_MODULES_TXT, MODULES_TXT),
    ]));
    assert_eq!(
        inv.sources,
        vec![GO_MOD.to_string(), VENDOR_MODULES_TXT.to_string()]
    );
    let gogo = inv.module("github.com/gogo/protobuf").unwrap();
    assert_eq!(gogo.version, "v1.3.1");
    assert_eq!(gogo.origin, ModuleOrigin::VendorModulesTxt);
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.to_string().contains("github.com/gogo/protobuf")
            && w.to_string().contains("v1.3.1")));
    // Only in modules.txt.
    assert_eq!(
        inv.effective_version("github.com/vendored/only"),
        Some("v0.3.0")
    );
    // Only in go.mod: kept.
    assert_eq!(
        inv.module("github.com/docker/docker").unwrap().origin,
        ModuleOrigin::GoMod
    );
    assert_eq!(
        inv.effective_version("golang.org/x/net"),
        Some("v0.0.0-20210224082022-3d97a244fca7")
    );
    assert!(inv
        .module("k8s.io/apimachinery")
        .unwrap()
        .is_local_replace());
    // go.mod's replacement of grpc is not in modules.txt: the vendored module is unreplaced.
    assert_eq!(
        inv.effective_version("google.golang.org/grpc"),
        Some("v1.27.2")
    );
}

const GODEPS: &str = r#"{
	"ImportPath": "k8s.io/kubernetes",
	"GoVersion": "go1.12",
	"GodepVersion": "v80",
	"Packages": ["github.com/onsi/ginkgo/ginkgo", "./..."],
	"Deps": [
		{"ImportPath": "bitbucket.org/bertimus9/systemstat", "Rev": "6edb7bbfe4cd"},
		{"ImportPath": "bitbucket.org/ww/goautoneg", "Comment": "null-5", "Rev": "'75cd24fc2f2c2a2088577d12123ddee5f54e0675'"},
		{"ImportPath": "cloud.google.com/go/compute/metadata", "Comment": "v0.1.0-115-g3b1ae45", "Rev": "3b1ae45394a234c385be014e9a488f2bb6eef821"},
		{"ImportPath": "github.com/coreos/etcd/clientv3", "Comment": "v3.3.10", "Rev": "27fc7e2296f506182f58ce846e48f36b34fe6842"},
		{"ImportPath": "github.com/coreos/etcd/etcdserver", "Comment": "v3.3.10", "Rev": "27fc7e2296f506182f58ce846e48f36b34fe6842"},
		{"ImportPath": "github.com/gogo/protobuf/gogoproto", "Comment": "v0.4-3-gc0656ed", "Rev": "c0656edd0d9eab7c66d1eb0c568f9039345796f7"},
		{"ImportPath": "github.com/gogo/protobuf/proto", "Comment": "v0.4-3-gc0656ed", "Rev": "c0656edd0d9eab7c66d1eb0c568f9039345796f7"},
		{"ImportPath": "github.com/golang/glog", "Rev": "44145f04b68cf362d9c4df2182967c2275eaefed"},
		{"ImportPath": "golang.org/x/net/http2", "Rev": "0ed95abb35c445290478a5348a7b38bb154135fd"},
		{"ImportPath": "gopkg.in/square/go-jose.v2/jwt", "Comment": "v2.1.6-4-g89060de", "Rev": "89060dee6a84df9a4dae49f676f0c755037834f1"},
		{"ImportPath": "gopkg.in/yaml.v2", "Comment": "v2.2.1", "Rev": "5420a8b6744d3b0345ab293f6fcba19c978f1183"},
		{"ImportPath": "k8s.io/utils/exec", "Rev": "c2654d5206da6b7b6ace12841e8f359bb89b443c"},
		{"ImportPath": "k8s.io/klog", "Comment": "v0.3.0", "Rev": "8e90cee79f823779174776412c13478955131846"},
		{"ImportPath": "github.com/docker/distribution/reference", "Comment": "v2.6.0-rc.1-209-gedc3ab2", "Rev": "edc3ab29cdff8694dd6feb85cfeb4b5f1b38ed9c"},
		{"ImportPath": "github.com/json-iterator/go", "Comment": "1.1.5", "Rev": "1624edc4454b8682399def8740d46db5e4362ba4"}
	]
}"#;

#[test]
fn godeps_modules_and_versions() {
    let inv = read(&tree(&[
        (GODEPS_JSON, GODEPS),
        (CROSS_VERSION, "v1.12.5-1\n"),
    ]));
    assert_eq!(
        inv.sources,
        vec![GODEPS_JSON.to_string(), CROSS_VERSION.to_string()]
    );
    let gogo = inv.module("github.com/gogo/protobuf").unwrap();
    assert_eq!(gogo.version, "v0.4.0");
    assert_eq!(gogo.origin, ModuleOrigin::Godeps);
    assert_eq!(
        inv.effective_version("github.com/coreos/etcd"),
        Some("v3.3.10")
    );
    assert_eq!(inv.effective_version("cloud.google.com/go"), Some("v0.1.0"));
    assert_eq!(
        inv.effective_version("gopkg.in/square/go-jose.v2"),
        Some("v2.1.6")
    );
    assert_eq!(inv.effective_version("gopkg.in/yaml.v2"), Some("v2.2.1"));
    assert_eq!(
        inv.effective_version("github.com/json-iterator/go"),
        Some("v1.1.5")
    );
    assert_eq!(inv.effective_version("k8s.io/klog"), Some("v0.3.0"));
    assert_eq!(
        inv.effective_version("github.com/docker/distribution"),
        Some("v2.6.0-rc.1")
    );
    assert_eq!(
        inv.effective_version("golang.org/x/net"),
        Some("rev:0ed95abb35c445290478a5348a7b38bb154135fd")
    );
    assert_eq!(
        inv.effective_version("bitbucket.org/ww/goautoneg"),
        Some("rev:75cd24fc2f2c2a2088577d12123ddee5f54e0675")
    );
    assert_eq!(
        inv.module("k8s.io/utils").unwrap().version,
        "rev:c2654d5206da6b7b6ace12841e8f359bb89b443c"
    );
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.to_string().contains("golang.org/x/net") && w.to_string().contains("revision")));
    assert!(!inv
        .warnings
        .iter()
        .any(|w| w.to_string().contains("github.com/gogo/protobuf")));
    assert_eq!(inv.modules.len(), 13);
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.12.5".into(),
            source: CROSS_VERSION.into()
        })
    );
}

#[test]
fn godeps_tagged_gogo_and_go_version_fallback() {
    let json = r#"{"ImportPath":"k8s.io/kubernetes","GoVersion":"go1.10","Deps":[
        {"ImportPath":"github.com/gogo/protobuf/proto","Comment":"v1.0.0","Rev":"1adfc126b41513cc696b209667c8656ea7aac67c"},
        {"ImportPath":"github.com/gogo/protobuf/sortkeys","Comment":"v1.0.0","Rev":"1adfc126b41513cc696b209667c8656ea7aac67c"},
        {"ImportPath":"k8s.io/kubernetes/pkg/api","Rev":"x"}]}"#;
    let inv = read(&tree(&[(GODEPS_JSON, json)]));
    assert_eq!(inv.modules.len(), 1);
    assert_eq!(
        inv.effective_version("github.com/gogo/protobuf"),
        Some("v1.0.0")
    );
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.10".into(),
            source: SOURCE_GODEPS.into()
        })
    );
}

#[test]
fn godeps_conflicting_pins_warn() {
    let json = r#"{"Deps":[
        {"ImportPath":"github.com/a/b/c","Comment":"v1.0.0","Rev":"aaaa"},
        {"ImportPath":"github.com/a/b/d","Comment":"v1.1.0","Rev":"bbbb"}]}"#;
    let inv = read(&tree(&[(GODEPS_JSON, json)]));
    assert_eq!(inv.effective_version("github.com/a/b"), Some("v1.0.0"));
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.to_string().contains("different versions")));
    let inv = read(&tree(&[(GODEPS_JSON, "{not json")]));
    assert!(inv.modules.is_empty());
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.to_string().contains("invalid JSON")));
}

#[test]
fn go_mod_present_ignores_godeps() {
    let mut asked = Vec::new();
    let mut f = |p: &str| {
        asked.push(p.to_string());
        match p {
            GO_MOD => Some(b"module k8s.io/kubernetes\ngo 1.12\n".to_vec()),
            GODEPS_JSON => Some(GODEPS.as_bytes().to_vec()),
            _ => None,
        }
    };
    let inv = Inventory::read(&mut f).unwrap();
    assert!(inv.modules.is_empty());
    assert!(!asked.iter().any(|p| p == GODEPS_JSON));
    assert_eq!(inv.sources, vec![GO_MOD.to_string()]);
}

#[test]
fn module_roots() {
    for (import, root) in [
        ("github.com/gogo/protobuf/proto", "github.com/gogo/protobuf"),
        ("github.com/gogo/protobuf", "github.com/gogo/protobuf"),
        (
            "github.com/coreos/go-systemd/v22/dbus",
            "github.com/coreos/go-systemd/v22",
        ),
        (
            "github.com/aws/aws-sdk-go/private/signer/v4",
            "github.com/aws/aws-sdk-go",
        ),
        ("golang.org/x/net/http2/hpack", "golang.org/x/net"),
        ("gopkg.in/yaml.v2", "gopkg.in/yaml.v2"),
        (
            "gopkg.in/square/go-jose.v2/jwt",
            "gopkg.in/square/go-jose.v2",
        ),
        (
            "gopkg.in/natefinch/lumberjack.v2",
            "gopkg.in/natefinch/lumberjack.v2",
        ),
        ("k8s.io/utils/exec", "k8s.io/utils"),
        ("k8s.io/klog/v2", "k8s.io/klog/v2"),
        ("sigs.k8s.io/yaml", "sigs.k8s.io/yaml"),
        (
            "sigs.k8s.io/structured-merge-diff/v4/fieldpath",
            "sigs.k8s.io/structured-merge-diff/v4",
        ),
        (
            "google.golang.org/grpc/credentials",
            "google.golang.org/grpc",
        ),
        (
            "cloud.google.com/go/compute/metadata",
            "cloud.google.com/go",
        ),
        ("go.etcd.io/etcd/clientv3", "go.etcd.io/etcd"),
        ("go.uber.org/zap/zapcore", "go.uber.org/zap"),
        ("go.opencensus.io/trace", "go.opencensus.io"),
        ("vbom.ml/util/sortorder", "vbom.ml/util"),
        ("bitbucket.org/ww/goautoneg", "bitbucket.org/ww/goautoneg"),
        ("github.com/short", "github.com/short"),
        ("", ""),
    ] {
        assert_eq!(module_root(import), root, "{import}");
    }
}

#[test]
fn godeps_comment_versions() {
    for (comment, version) in [
        (Some("v1.0.0"), Some("v1.0.0")),
        (Some("1.2.0"), Some("v1.2.0")),
        (Some("v0.4-3-gc0656ed"), Some("v0.4.0")),
        (Some("v1.0.0-5-gabc1234"), Some("v1.0.0")),
        (Some("v3.1.0-beta-24-g8316b90"), Some("v3.1.0-beta")),
        (Some("v4-12-g593d645"), Some("v4.0.0")),
        (Some("v1.0.0-rc1"), Some("v1.0.0-rc1")),
        (Some("null-5"), None),
        (Some("release-1.2"), None),
        (Some("v1.2.3.4"), None),
        (Some(""), None),
        (None, None),
    ] {
        assert_eq!(godeps_version(comment).as_deref(), version, "{comment:?}");
    }
}

#[test]
fn go_version_preference() {
    let gm = "module k8s.io/kubernetes\ngo 1.22.0\ntoolchain go1.22.3\n";
    let all = tree(&[
        (GO_MOD, gm),
        (GO_VERSION_FILE, "1.22.5\n"),
        (CROSS_VERSION, "v1.29.0-go1.22.4-bullseye.0\n"),
    ]);
    let inv = read(&all);
    assert_eq!(
        inv.go,
        Some(GoToolchain {
            version: "1.22.5".into(),
            source: GO_VERSION_FILE.into()
        })
    );
    let no_go_version = tree(&[
        (GO_MOD, gm),
        (CROSS_VERSION, "v1.29.0-go1.22.4-bullseye.0\n"),
    ]);
    assert_eq!(read(&no_go_version).go.unwrap().source, CROSS_VERSION);
    // A broken .go-version falls through, with a warning.
    let broken = tree(&[(GO_MOD, gm), (GO_VERSION_FILE, "garbage")]);
    let inv = read(&broken);
    assert_eq!(inv.go.as_ref().unwrap().source, SOURCE_TOOLCHAIN);
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.file == std::path::Path::new(GO_VERSION_FILE) && w.code == "not-a-go-version"));
    assert_eq!(
        inv.sources,
        vec![GO_MOD.to_string(), GO_VERSION_FILE.to_string()]
    );
}

#[test]
fn empty_tree() {
    let inv = read(&HashMap::new());
    assert!(inv.modules.is_empty());
    assert_eq!(inv.go, None);
    assert!(inv.sources.is_empty());
    assert_eq!(inv.warnings.len(), 1);
    assert_eq!(inv.warnings[0].code, "no-module-files");
}

#[test]
fn go_mod_oddities() {
    let gm = parse_go_mod(
        "module \"example.com/m\"\nrequire example.com/a v1.0.0 // indirect; for tests\nrequire (\n\texample.com/b v1.0.0\n)\nrequire ()\nfrobnicate x\nreplace example.com/a\nreplace a => b\nrequire (\n",
    );
    assert_eq!(gm.module.as_deref(), Some("example.com/m"));
    assert_eq!(gm.requires.len(), 2);
    assert!(gm.requires[0].indirect);
    assert_eq!(gm.warnings.len(), 4, "{:?}", gm.warnings);
    // Each names go.mod and its line: `frobnicate x` (7), the two bad replaces (8, 9), and
    // the block left open at the end (10).
    let at: Vec<(String, Option<usize>, &str)> = gm
        .warnings
        .iter()
        .map(|w| {
            (
                w.file.display().to_string(),
                w.location.map(|l| l.line),
                w.code,
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("go.mod".to_string(), Some(7), "malformed"),
            ("go.mod".to_string(), Some(8), "malformed"),
            ("go.mod".to_string(), Some(9), "malformed"),
            ("go.mod".to_string(), Some(10), "malformed"),
        ]
    );
    assert!(
        gm.warnings[0]
            .to_string()
            .starts_with("go.mod:7:1: warning[malformed]: unknown directive"),
        "{}",
        gm.warnings[0]
    );
}

#[test]
fn crlf_and_bom() {
    let gm = parse_go_mod("\u{feff}module m\r\n\r\nrequire (\r\n\tgithub.com/gogo/protobuf v1.3.2 // indirect\r\n)\r\n");
    assert!(gm.warnings.is_empty(), "{:?}", gm.warnings);
    assert_eq!(gm.module.as_deref(), Some("m"));
    assert!(gm.requires[0].indirect);
    let mt = parse_modules_txt("\u{feff}# github.com/gogo/protobuf v1.3.2\r\n## explicit\r\n");
    assert_eq!(mt.modules[0].version.as_deref(), Some("v1.3.2"));
    assert!(mt.modules[0].explicit);
}

#[test]
fn serialize_origin_kebab_case() {
    assert_eq!(
        serde_json::to_string(&ModuleOrigin::VendorModulesTxt).unwrap(),
        "\"vendor-modules-txt\""
    );
    assert_eq!(
        serde_json::to_string(&ModuleOrigin::GoMod).unwrap(),
        "\"go-mod\""
    );
    assert_eq!(
        serde_json::to_string(&ModuleOrigin::Godeps).unwrap(),
        "\"godeps\""
    );
}

proptest! {
    #[test]
    fn parsers_never_panic(s in "\\PC{0,400}") {
        let _ = parse_go_mod(&s);
        let _ = parse_modules_txt(&s);
        let _ = parse_godeps(s.as_bytes());
        let _ = godeps_version(Some(&s));
        let _ = module_root(&s);
    }

    #[test]
    fn go_mod_like_input_never_panics(
        s in "(module|go|toolchain|require|replace|exclude|\\(|\\)|=>|//|indirect|\"|`|v1\\.2\\.3|\\./x|k8s\\.io/api|github\\.com/a/b|#|##|explicit|;| |\t|\n|-|g[0-9a-f]{7}){0,60}"
    ) {
        let files = tree(&[(GO_MOD, s.as_str()), (VENDOR_MODULES_TXT, s.as_str()), (CROSS_VERSION, s.as_str()), (GO_VERSION_FILE, s.as_str())]);
        let _ = read(&files);
        let files = tree(&[(GODEPS_JSON, s.as_str())]);
        let _ = read(&files);
    }

    #[test]
    fn godeps_like_input_never_panics(
        comment in "(v|[0-9]|\\.|-|g|[a-f]|null|'|\"){0,20}",
        path in "([a-z.]{0,8}/){0,5}[a-z.]{0,8}",
    ) {
        let json = serde_json::json!({"ImportPath": "k8s.io/kubernetes", "Deps": [{"ImportPath": path, "Comment": comment, "Rev": comment}]});
        let _ = read(&tree(&[(GODEPS_JSON, json.to_string().as_str())]));
    }
}
