//! Deterministic randomness and the contents of generated files.

use super::*;

/// SplitMix64: small, fast and good enough for generating test data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub(crate) fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---------------------------------------------------------------------------------------------
// file contents

/// Defines `fn $name() -> &'static [&'static str]` over a whitespace-separated list, split once.
macro_rules! word_list {
    ($name:ident, $text:expr) => {
        fn $name() -> &'static [&'static str] {
            static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
            LIST.get_or_init(|| $text.split_whitespace().collect())
        }
    };
}

word_list!(
    words,
    "\
    pod node volume service endpoint secret config cache informer lister client scheme codec \
    watch event quota admission auth token cert proxy iptables ipvs dns cgroup container \
    runtime image network storage csi scheduler priority preempt taint toleration affinity \
    label selector namespace deployment replica stateful daemon job cron garbage finalizer \
    webhook crd schema validation defaulting conversion metrics healthz leader election \
    lease rbac role binding audit encryption kms etcd handler filter request response \
    serializer protobuf json yaml util wait clock errors sets strings types fields labels \
    meta unstructured discovery dynamic rest transport flowcontrol retry portforward exec \
    attach logs stats summary probe prober lifecycle hook kuberuntime dockershim eviction \
    status server options app testing fake framework upgrade apps core batch policy \
    networking ingress endpointslice topology resource limit range hpa autoscaling cloud \
    route balancer firewall disk mount attacher detacher snapshot claim persistent \
    provisioner plugin registry generic tokenreview bootstrap kubeadm phases certs \
    kubeconfig manifest static mirror sandbox checkpoint device manager allocator cpuset \
    hugepages numa signal queue worker backoff throttle limiter buffer stream frame header \
    cookie session tls cipher x509 csr signer approver"
);

pub(crate) const K8S_HEADER: &str =
    "Licensed under the Apache License, Version 2.0 (the \"License\");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an \"AS IS\" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
";

pub(crate) const GO_IMPORTS: &[&str] = &[
    "context",
    "errors",
    "fmt",
    "io",
    "net/http",
    "os",
    "path/filepath",
    "sort",
    "strings",
    "sync",
    "time",
    "k8s.io/api/core/v1",
    "k8s.io/apimachinery/pkg/api/errors",
    "metav1 \"k8s.io/apimachinery/pkg/apis/meta/v1\"",
    "k8s.io/apimachinery/pkg/runtime",
    "k8s.io/apimachinery/pkg/util/sets",
    "k8s.io/apimachinery/pkg/util/wait",
    "k8s.io/client-go/kubernetes",
    "k8s.io/client-go/tools/cache",
    "k8s.io/klog",
];

pub(crate) const GO_TYPES: &[&str] = &[
    "string",
    "int",
    "int32",
    "int64",
    "bool",
    "[]string",
    "map[string]string",
    "*int64",
    "metav1.Time",
    "metav1.ObjectMeta",
    "time.Duration",
    "[]byte",
    "*v1.Pod",
    "v1.ResourceList",
];

word_list!(
    users,
    "\
    liggitt deads2k thockin smarterclayton lavalamp derekwaynecarr dims sttts caesarxuchao \
    msau42 saad-ali mtaufen yujuhong bsalamat ahg-g neolit123 fabriziopandini soltysh \
    justinsb cheftako"
);

pub(crate) fn word(r: &mut Rng) -> &'static str {
    r.pick(words())
}

pub(crate) fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// `PodVolumeCache`
pub(crate) fn camel(r: &mut Rng, words: usize) -> String {
    (0..words).map(|_| capitalize(word(r))).collect()
}

/// `podVolumeCache`
pub(crate) fn lower_camel(r: &mut Rng, words: usize) -> String {
    let mut s = word(r).to_string();
    for _ in 1..words {
        s.push_str(&capitalize(word(r)));
    }
    s
}

pub(crate) fn phrase(r: &mut Rng, words: usize) -> String {
    (0..words).map(|_| word(r)).collect::<Vec<_>>().join(" ")
}

/// A file size: log-uniform between 250 bytes and 5 KB.
pub(crate) fn file_size(r: &mut Rng) -> usize {
    (250.0 * 20f64.powf(r.unit())) as usize
}

/// What a file is, from its name; decides its content and how it is edited.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Go,
    Shell,
    Yaml,
    Json,
    Markdown,
    Bazel,
    Owners,
    Text,
    Binary,
}

pub(crate) fn kind_of(path: &str) -> Kind {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match (name, ext) {
        ("BUILD" | "BUILD.bazel" | "WORKSPACE", _) | (_, "bzl") => Kind::Bazel,
        ("OWNERS" | "OWNERS_ALIASES", _) => Kind::Owners,
        (_, "go") => Kind::Go,
        (_, "sh") => Kind::Shell,
        (_, "yaml" | "yml" | "manifest") => Kind::Yaml,
        (_, "json") => Kind::Json,
        (_, "md") => Kind::Markdown,
        (_, "png" | "gz" | "bin" | "pb" | "ico" | "tar") => Kind::Binary,
        _ => Kind::Text,
    }
}

/// One entry of a tree: mode and content (shared between tree versions).
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) mode: &'static str,
    pub(crate) data: Rc<Vec<u8>>,
}

impl Entry {
    pub(crate) fn file(mode: &'static str, data: Vec<u8>) -> Entry {
        Entry {
            mode,
            data: Rc::new(data),
        }
    }
    /// Whether the generator may edit it line by line (text files, not symlinks).
    pub(crate) fn editable(&self, path: &str) -> bool {
        self.mode != "120000" && kind_of(path) != Kind::Binary
    }
}

/// A whole tree: path → entry.
pub(crate) type Tree = BTreeMap<String, Entry>;

/// One change of a commit: a new content for a path, or its deletion.
pub(crate) type Change = (String, Option<Entry>);

pub(crate) fn apply(tree: &mut Tree, changes: &[Change]) {
    for (path, entry) in changes {
        match entry {
            Some(e) => {
                tree.insert(path.clone(), e.clone());
            }
            None => {
                tree.remove(path);
            }
        }
    }
}

/// Go package name for a directory (`kube-apiserver` → `kubeapiserver`).
pub(crate) fn go_package(path: &str) -> String {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("main");
    let last = dir.rsplit('/').next().unwrap_or("main");
    let mut p: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if p.is_empty() || p.starts_with(|c: char| c.is_ascii_digit()) {
        p.insert_str(0, "pkg");
    }
    p
}

pub(crate) fn go_stmt(r: &mut Rng) -> String {
    let a = {
        let n = r.range(1, 2);
        lower_camel(r, n)
    };
    let b = lower_camel(r, 1);
    let c = {
        let n = r.range(1, 3);
        camel(r, n)
    };
    match r.below(9) {
        0 => format!("{a} := {b}.{c}()"),
        1 => format!(
            "if {a} == nil {{ return fmt.Errorf(\"{}: %v\", {b}) }}",
            phrase(r, 4)
        ),
        2 => format!(
            "klog.V({}).Infof(\"{} %q\", {a})",
            r.range(2, 5),
            phrase(r, 5)
        ),
        3 => format!("{a}.{c} = append({a}.{c}, {b})"),
        4 => format!("// {}", {
            let n = r.range(5, 10);
            phrase(r, n)
        }),
        5 => format!("defer {a}.{c}()"),
        6 => format!("{a}, err := {b}.{c}(ctx, metav1.GetOptions{{}})"),
        7 => format!("if err := {a}.{c}({b}); err != nil {{ return err }}"),
        _ => format!("{a}[\"{b}\"] = {}", r.below(10_000)),
    }
}

pub(crate) fn go_file(r: &mut Rng, path: &str, target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    if path.starts_with("vendor/") {
        s.push_str("// Copyright 2017 The Go Authors. All rights reserved.\n");
        s.push_str("// Use of this source code is governed by a BSD-style\n");
        s.push_str("// license that can be found in the LICENSE file.\n\n");
    } else {
        let _ = write!(
            s,
            "/*\nCopyright {} The Kubernetes Authors.\n\n",
            2014 + r.below(6)
        );
        s.push_str(K8S_HEADER);
        s.push_str("*/\n\n");
    }
    if path.ends_with("zz_generated.deepcopy.go") {
        s.push_str("// Code generated by deepcopy-gen. DO NOT EDIT.\n\n");
    }
    let _ = writeln!(s, "package {}\n", go_package(path));
    s.push_str("import (\n");
    for _ in 0..r.range(1, 5) {
        let imp = r.pick(GO_IMPORTS);
        if imp.contains(' ') {
            let _ = writeln!(s, "\t{imp}");
        } else {
            let _ = writeln!(s, "\t\"{imp}\"");
        }
    }
    s.push_str(")\n");
    while s.len() < target {
        s.push('\n');
        match r.below(4) {
            0 => {
                let t = {
                    let n = r.range(1, 3);
                    camel(r, n)
                };
                let _ = writeln!(s, "// {t} {}.", {
                    let n = r.range(4, 10);
                    phrase(r, n)
                });
                let _ = writeln!(s, "type {t} struct {{");
                for _ in 0..r.range(2, 7) {
                    let f = {
                        let n = r.range(1, 2);
                        lower_camel(r, n)
                    };
                    let ty = r.pick(GO_TYPES);
                    let _ = writeln!(s, "\t{} {ty} `json:\"{f},omitempty\"`", capitalize(&f));
                }
                s.push_str("}\n");
            }
            1 => {
                let n = {
                    let n = r.range(1, 3);
                    camel(r, n)
                };
                let a = lower_camel(r, 1);
                let t = camel(r, 2);
                let _ = writeln!(s, "// {n} {}.", {
                    let n = r.range(4, 10);
                    phrase(r, n)
                });
                let _ = writeln!(s, "func {n}({a} *{t}, name string) error {{");
                for _ in 0..r.range(2, 8) {
                    let _ = writeln!(s, "\t{}", go_stmt(r));
                }
                s.push_str("\treturn nil\n}\n");
            }
            2 => {
                let recv = word(r).chars().next().unwrap_or('x');
                let t = camel(r, 2);
                let m = {
                    let n = r.range(1, 2);
                    camel(r, n)
                };
                let t2 = camel(r, 1);
                let _ = writeln!(
                    s,
                    "func ({recv} *{t}) {m}(ctx context.Context) (*{t2}, error) {{"
                );
                for _ in 0..r.range(2, 8) {
                    let _ = writeln!(s, "\t{}", go_stmt(r));
                }
                let _ = writeln!(s, "\treturn &{t2}{{}}, nil\n}}");
            }
            _ => {
                s.push_str("const (\n");
                for _ in 0..r.range(2, 6) {
                    let _ = writeln!(s, "\t{} = \"{}\"", camel(r, 2), lower_camel(r, 2));
                }
                s.push_str(")\n");
            }
        }
    }
    s
}

pub(crate) fn shell_stmt(r: &mut Rng) -> String {
    match r.below(5) {
        0 => format!("kube::log::status \"{}\"", phrase(r, 5)),
        1 => format!(
            "local {}=\"${{{}:-{}}}\"",
            word(r),
            word(r).to_ascii_uppercase(),
            word(r)
        ),
        2 => format!("\"${{KUBE_ROOT}}/hack/{}.sh\" \"$@\"", word(r)),
        3 => format!("# {}", phrase(r, 7)),
        _ => format!(
            "kube::util::{}_{} \"${{{}}}\"",
            word(r),
            word(r),
            word(r).to_ascii_uppercase()
        ),
    }
}

pub(crate) fn shell_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    s.push_str("#!/usr/bin/env bash\n\n");
    let _ = writeln!(
        s,
        "# Copyright {} The Kubernetes Authors.",
        2014 + r.below(6)
    );
    s.push_str("#\n# Licensed under the Apache License, Version 2.0 (the \"License\").\n\n");
    s.push_str("set -o errexit\nset -o nounset\nset -o pipefail\n\n");
    s.push_str("KUBE_ROOT=$(dirname \"${BASH_SOURCE[0]}\")/..\n");
    s.push_str("source \"${KUBE_ROOT}/hack/lib/init.sh\"\n");
    while s.len() < target {
        let _ = writeln!(
            s,
            "\nfunction kube::{}::{}() {{",
            word(r),
            lower_camel(r, 2)
        );
        for _ in 0..r.range(2, 8) {
            let _ = writeln!(s, "  {}", shell_stmt(r));
        }
        s.push_str("}\n");
    }
    s
}

pub(crate) fn yaml_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    let _ = writeln!(s, "apiVersion: {}/v1", word(r));
    let _ = writeln!(s, "kind: {}", camel(r, 1));
    let _ = writeln!(
        s,
        "metadata:\n  name: {}-{}\n  namespace: kube-system",
        word(r),
        word(r)
    );
    let _ = writeln!(s, "  labels:\n    k8s-app: {}\nspec:", word(r));
    while s.len() < target {
        let _ = writeln!(s, "  {}{}:", word(r), r.below(100));
        for _ in 0..r.range(1, 4) {
            let _ = writeln!(
                s,
                "    {}: {}-{}",
                lower_camel(r, 2),
                word(r),
                r.below(1000)
            );
        }
    }
    s
}

pub(crate) fn json_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    s.push_str("{\n  \"swagger\": \"2.0\",\n  \"definitions\": {\n");
    while s.len() < target {
        let _ = writeln!(
            s,
            "    \"io.k8s.api.{}.v1.{}\": {{\"description\": \"{}\", \"type\": \"object\"}},",
            word(r),
            camel(r, 2),
            phrase(r, 6)
        );
    }
    s.push_str("    \"end\": {}\n  }\n}\n");
    s
}

pub(crate) fn markdown_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    let _ = writeln!(s, "# {}\n", capitalize(&phrase(r, 3)));
    while s.len() < target {
        if r.chance(20) {
            let _ = writeln!(s, "## {}\n", capitalize(&phrase(r, 3)));
        }
        let _ = writeln!(
            s,
            "{}.\n",
            capitalize(&{
                let n = r.range(8, 25);
                phrase(r, n)
            })
        );
    }
    s
}

pub(crate) fn bazel_file(r: &mut Rng, path: &str, target: usize) -> String {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut s = String::with_capacity(target + 512);
    s.push_str("package(default_visibility = [\"//visibility:public\"])\n\n");
    s.push_str("load(\n    \"@io_bazel_rules_go//go:def.bzl\",\n    \"go_library\",\n    \"go_test\",\n)\n\n");
    s.push_str("go_library(\n    name = \"go_default_library\",\n    srcs = [\n");
    for _ in 0..r.range(1, 6) {
        let _ = writeln!(s, "        \"{}.go\",", word(r));
    }
    let _ = writeln!(
        s,
        "    ],\n    importpath = \"k8s.io/kubernetes/{dir}\",\n    deps = ["
    );
    while s.len() < target / 2 {
        let _ = writeln!(
            s,
            "        \"//vendor/k8s.io/{}/{}:go_default_library\",",
            word(r),
            word(r)
        );
    }
    s.push_str(
        "    ],\n)\n\nfilegroup(\n    name = \"package-srcs\",\n    srcs = glob([\"**\"]),\n",
    );
    s.push_str("    tags = [\"automanaged\"],\n    visibility = [\"//visibility:private\"],\n)\n");
    s
}

pub(crate) fn owners_file(r: &mut Rng) -> String {
    let mut s = String::from("# See the OWNERS docs at https://go.k8s.io/owners\n\napprovers:\n");
    for _ in 0..r.range(2, 5) {
        let _ = writeln!(s, "- {}", r.pick(users()));
    }
    s.push_str("reviewers:\n");
    for _ in 0..r.range(2, 6) {
        let _ = writeln!(s, "- {}", r.pick(users()));
    }
    s
}

pub(crate) fn text_file(r: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 128);
    while s.len() < target {
        let _ = writeln!(
            s,
            "{}: {}\n\t$(MAKE) -C {} {}",
            word(r),
            word(r),
            word(r),
            phrase(r, 3)
        );
    }
    s
}

pub(crate) fn binary_file(r: &mut Rng, path: &str) -> Vec<u8> {
    let len = r.range(1024, 16 * 1024);
    let mut v: Vec<u8> = if path.ends_with(".png") {
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()
    } else if path.ends_with(".gz") {
        vec![0x1f, 0x8b, 0x08, 0x00]
    } else {
        vec![0u8; 4]
    };
    while v.len() < len {
        v.extend_from_slice(&r.next().to_le_bytes());
    }
    v
}

/// New content for `path`.
pub(crate) fn gen_file(r: &mut Rng, path: &str) -> Entry {
    let target = file_size(r);
    let kind = kind_of(path);
    let text = match kind {
        Kind::Go => go_file(r, path, target),
        Kind::Shell => shell_file(r, target),
        Kind::Yaml => yaml_file(r, target),
        Kind::Json => json_file(r, target),
        Kind::Markdown => markdown_file(r, target),
        Kind::Bazel => bazel_file(r, path, target),
        Kind::Owners => owners_file(r),
        Kind::Text => text_file(r, target),
        Kind::Binary => return Entry::file("100644", binary_file(r, path)),
    };
    let mode = if kind == Kind::Shell {
        "100755"
    } else {
        "100644"
    };
    Entry::file(mode, text.into_bytes())
}

/// A line that fits in a file of this kind, for edits.
pub(crate) fn edit_line(r: &mut Rng, kind: Kind) -> String {
    match kind {
        Kind::Go => format!("\t{}", go_stmt(r)),
        Kind::Shell => format!("  {}", shell_stmt(r)),
        Kind::Yaml => format!("    {}: {}-{}", lower_camel(r, 2), word(r), r.below(1000)),
        Kind::Json => format!("    \"{}\": \"{}\",", lower_camel(r, 2), phrase(r, 4)),
        Kind::Markdown => format!(
            "{}.",
            capitalize(&{
                let n = r.range(6, 14);
                phrase(r, n)
            })
        ),
        Kind::Bazel => format!(
            "        \"//pkg/{}/{}:go_default_library\",",
            word(r),
            word(r)
        ),
        Kind::Owners => format!("- {}", r.pick(users())),
        Kind::Text | Kind::Binary => format!("# {}", phrase(r, 6)),
    }
}

/// Edit a text file the way a real change does: `hunks` places where a line is replaced,
/// lines are inserted, or a line is removed.
pub(crate) fn modify_text(r: &mut Rng, path: &str, data: &[u8], hunks: usize) -> Entry {
    let kind = kind_of(path);
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..hunks {
        // Below the license header when the file is long enough, never on line 0 (shebangs,
        // comment openers).
        let lo = if lines.len() > 40 { 18 } else { 1 };
        let i = lo + r.below(lines.len().max(lo + 1) - lo);
        match r.below(4) {
            0 if i < lines.len() => lines[i] = edit_line(r, kind),
            1 if lines.len() > 12 && i < lines.len() => {
                lines.remove(i);
            }
            _ => {
                for k in 0..r.range(1, 4) {
                    let at = (i + k).min(lines.len());
                    lines.insert(at, edit_line(r, kind));
                }
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    let mode = if kind == Kind::Shell {
        "100755"
    } else {
        "100644"
    };
    Entry::file(mode, out.into_bytes())
}
