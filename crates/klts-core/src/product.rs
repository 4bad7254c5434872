//! The products an LTS program maintains, and how a workspace says which one it is.
//!
//! The KLTS program keeps three products alive with the same `releases.yml` format:
//! Kubernetes, containerd and runc. Everything after materializing depends on which one a
//! workspace holds: which advisories concern it (its own, judged at its upstream version;
//! never another product's), which release calendar says when upstream supported a line, and
//! what `klts build`/`package`/`image` produce by default. Anything else is a **generic Go
//! project**: it has no calendar and no advisories of its own (only Go's and its modules'),
//! and klts says so instead of pretending it is Kubernetes.
//!
//! # How the product is decided
//!
//! In this order, the first that answers wins ([`resolve`]):
//!
//! 1. `product:` at the top of `releases.yml` (a klts key that the KLTS shell tooling
//!    ignores): `kubernetes`, `containerd`, `runc` or `generic`;
//! 2. `product:` in the workspace's `lifecycle.yml` (the older place for it);
//! 3. the `base:` URL, when it names a product's upstream repository
//!    (`https://github.com/containerd/containerd`, also `.git`, `git@github.com:` and
//!    `/v2`-less forms);
//! 4. the `module` line of the upstream tree's `go.mod` (`k8s.io/kubernetes`,
//!    `github.com/containerd/containerd[/v2]`, `github.com/opencontainers/runc`), when the
//!    caller could read one (it needs a mirror);
//! 5. otherwise a generic Go project.
//!
//! The answer keeps its reason ([`ProductChoice::source`]) so that reports can say why a
//! workspace is judged as containerd, e.g. `from the base URL`.

use std::fmt;

/// A product of the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    /// kubernetes/kubernetes.
    #[default]
    Kubernetes,
    /// containerd/containerd.
    Containerd,
    /// opencontainers/runc.
    Runc,
    /// Any other Go project: no calendar, no advisories of its own.
    Generic,
}

impl Product {
    /// Every product, built-in ones first.
    pub const ALL: [Product; 4] = [
        Product::Kubernetes,
        Product::Containerd,
        Product::Runc,
        Product::Generic,
    ];

    /// The lowercase name used in files, URLs and JSON (`containerd`).
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Kubernetes => "kubernetes",
            Product::Containerd => "containerd",
            Product::Runc => "runc",
            Product::Generic => "generic",
        }
    }

    /// The name as the project writes it, for titles (`Kubernetes`, `containerd`).
    pub fn display_name(self) -> &'static str {
        match self {
            Product::Kubernetes => "Kubernetes",
            Product::Containerd => "containerd",
            Product::Runc => "runc",
            Product::Generic => "Go project",
        }
    }

    /// Parse a product name (case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Product> {
        let s = s.trim();
        Product::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    /// The `help:` text for a name that is not a product.
    pub fn expected() -> &'static str {
        "use kubernetes, containerd, runc or generic (any other Go project)"
    }

    /// The upstream repository, as `host/owner/name`.
    pub fn repository(self) -> Option<&'static str> {
        match self {
            Product::Kubernetes => Some("github.com/kubernetes/kubernetes"),
            Product::Containerd => Some("github.com/containerd/containerd"),
            Product::Runc => Some("github.com/opencontainers/runc"),
            Product::Generic => None,
        }
    }

    /// The Go import path of the product's root package, which is also where a pre-modules
    /// tree must sit under `$GOPATH/src` to build.
    pub fn import_path(self) -> Option<&'static str> {
        match self {
            Product::Kubernetes => Some("k8s.io/kubernetes"),
            Product::Containerd => Some("github.com/containerd/containerd"),
            Product::Runc => Some("github.com/opencontainers/runc"),
            Product::Generic => None,
        }
    }

    /// Whether the Go module `path` is the product itself (any major version suffix:
    /// `github.com/containerd/containerd/v2`). Kubernetes is also published under
    /// `github.com/kubernetes/kubernetes` in some databases. Sub-modules that are released
    /// apart from the product (`github.com/containerd/containerd/api`) are not the product.
    pub fn is_self_module(self, path: &str) -> bool {
        let path = path.trim();
        let Some(own) = self.import_path() else {
            return false;
        };
        let bare = strip_major_suffix(path);
        bare == own || (self == Product::Kubernetes && bare == "github.com/kubernetes/kubernetes")
    }

    /// The built-in product whose module `path` is, if any.
    pub fn from_module_path(path: &str) -> Option<Product> {
        Product::ALL.into_iter().find(|p| p.is_self_module(path))
    }

    /// The built-in product whose upstream repository the `base:` URL names, if any:
    /// `https://github.com/containerd/containerd(.git)`, `git@github.com:containerd/containerd`,
    /// `ssh://git@github.com/…`. A local path or another host names none.
    pub fn from_base_url(base: &str) -> Option<Product> {
        let s = base.trim();
        let rest = if let Some(r) = s.strip_prefix("git@") {
            r.replacen(':', "/", 1)
        } else {
            let r = s
                .split_once("://")
                .map(|(_, r)| r)
                .unwrap_or_default()
                .to_string();
            // Drop user info (`git@`) of ssh:// URLs.
            match r.split_once('@') {
                Some((user, host)) if !user.contains('/') => host.to_string(),
                _ => r,
            }
        };
        let rest = rest.trim_end_matches('/');
        let rest = rest
            .strip_suffix(".git")
            .unwrap_or(rest)
            .to_ascii_lowercase();
        if rest.is_empty() {
            return None;
        }
        Product::ALL
            .into_iter()
            .find(|p| p.repository().is_some_and(|r| r == rest))
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `github.com/containerd/containerd/v2` → `github.com/containerd/containerd`.
fn strip_major_suffix(path: &str) -> &str {
    match path.rsplit_once("/v") {
        Some((head, major))
            if !major.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && !head.is_empty() =>
        {
            head
        }
        _ => path,
    }
}

/// Which product a workspace holds, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductChoice {
    /// The product.
    pub product: Product,
    /// Why: `product: in releases.yml:2`, `the base URL`, `the go.mod module line`, …
    pub source: String,
    /// Which rule answered ([`ProductBasis::Nothing`]: nothing named it, so it is generic).
    pub basis: ProductBasis,
}

/// The rule of [`resolve`] that decided a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductBasis {
    /// `product:` in `releases.yml`.
    Manifest,
    /// `product:` in `lifecycle.yml`.
    Lifecycle,
    /// The `base:` URL.
    BaseUrl,
    /// The upstream `go.mod`.
    GoMod,
    /// An explicit choice of the caller (`--product`), or a default where there is no
    /// workspace.
    Caller,
    /// Nothing named it: a generic Go project until something does.
    Nothing,
}

/// What [`resolve`] looks at; every field is optional.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProductHints<'a> {
    /// `product:` of `releases.yml`, already validated, with its line.
    pub manifest: Option<(Product, usize)>,
    /// `product:` of `lifecycle.yml`, as written.
    pub lifecycle: Option<&'a str>,
    /// The manifest's `base:`.
    pub base: Option<&'a str>,
    /// The `module` path of the upstream tree's `go.mod`, when one could be read.
    pub go_module: Option<&'a str>,
}

/// Decide the product from what a workspace says (see the module docs for the order).
/// A `lifecycle.yml` naming an unknown product is a generic project by that name's will:
/// it keeps its own calendar from that file, and no advisory is its own.
pub fn resolve(h: ProductHints<'_>) -> ProductChoice {
    let choice = |product, source: String, basis| ProductChoice {
        product,
        source,
        basis,
    };
    if let Some((p, line)) = h.manifest {
        return choice(
            p,
            format!("`product:` in releases.yml line {line}"),
            ProductBasis::Manifest,
        );
    }
    if let Some(name) = h.lifecycle.map(str::trim).filter(|n| !n.is_empty()) {
        return choice(
            Product::parse(name).unwrap_or(Product::Generic),
            "`product:` in lifecycle.yml".into(),
            ProductBasis::Lifecycle,
        );
    }
    if let Some(p) = h.base.and_then(Product::from_base_url) {
        return choice(p, "the base URL".into(), ProductBasis::BaseUrl);
    }
    if let Some(m) = h.go_module {
        return match Product::from_module_path(m) {
            Some(p) => choice(
                p,
                format!("the upstream go.mod (module {m})"),
                ProductBasis::GoMod,
            ),
            None => choice(
                Product::Generic,
                format!("the upstream go.mod (module {m} is not a built-in product)"),
                ProductBasis::GoMod,
            ),
        };
    }
    choice(
        Product::Generic,
        "nothing names it (no `product:`, the base is not a known repository, no go.mod read)"
            .into(),
        ProductBasis::Nothing,
    )
}

/// The `module` path of a `go.mod` text: the first `module` directive, quotes removed.
/// `None` when there is none or it is not a plausible module path.
pub fn go_mod_module(text: &str) -> Option<&str> {
    for line in text.lines().take(10_000) {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("module") {
            if !rest.starts_with([' ', '\t', '"']) {
                continue;
            }
            let path = rest.trim().trim_matches('"').trim();
            let ok = !path.is_empty()
                && path.len() <= 512
                && path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~/+".contains(&b));
            return ok.then_some(path);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Product::ALL {
            assert_eq!(Product::parse(p.as_str()), Some(p));
            assert_eq!(Product::parse(&p.as_str().to_uppercase()), Some(p));
        }
        assert_eq!(Product::parse("docker"), None);
    }

    #[test]
    fn base_urls_name_products() {
        let k = Product::from_base_url;
        assert_eq!(
            k("https://github.com/kubernetes/kubernetes"),
            Some(Product::Kubernetes)
        );
        assert_eq!(
            k("https://github.com/containerd/containerd.git"),
            Some(Product::Containerd)
        );
        assert_eq!(
            k("git@github.com:opencontainers/runc.git"),
            Some(Product::Runc)
        );
        assert_eq!(
            k("ssh://git@github.com/containerd/containerd/"),
            Some(Product::Containerd)
        );
        assert_eq!(k("../upstream"), None);
        assert_eq!(k("/srv/git/containerd"), None);
        assert_eq!(k("https://github.com/containerd/containerd-lts"), None);
        assert_eq!(
            k("https://example.com/github.com/containerd/containerd"),
            None
        );
    }

    #[test]
    fn module_paths_name_products() {
        assert_eq!(
            Product::from_module_path("github.com/containerd/containerd/v2"),
            Some(Product::Containerd)
        );
        assert_eq!(
            Product::from_module_path("k8s.io/kubernetes"),
            Some(Product::Kubernetes)
        );
        assert_eq!(
            Product::from_module_path("github.com/kubernetes/kubernetes"),
            Some(Product::Kubernetes)
        );
        assert_eq!(
            Product::from_module_path("github.com/containerd/containerd/api"),
            None
        );
        assert_eq!(Product::from_module_path("k8s.io/client-go"), None);
        assert_eq!(Product::from_module_path("example.com/toy"), None);
    }

    #[test]
    fn go_mod_module_lines() {
        assert_eq!(
            go_mod_module("// c\nmodule github.com/containerd/containerd/v2 // x\n\ngo 1.22\n"),
            Some("github.com/containerd/containerd/v2")
        );
        assert_eq!(
            go_mod_module("module \"k8s.io/kubernetes\"\n"),
            Some("k8s.io/kubernetes")
        );
        assert_eq!(go_mod_module("modulefoo x\n"), None);
        assert_eq!(go_mod_module("module a b\n"), None);
        assert_eq!(go_mod_module("go 1.13\n"), None);
    }

    #[test]
    fn resolution_order() {
        let base = Some("https://github.com/containerd/containerd");
        let r = resolve(ProductHints {
            manifest: Some((Product::Runc, 3)),
            lifecycle: Some("kubernetes"),
            base,
            go_module: Some("k8s.io/kubernetes"),
        });
        assert_eq!(r.product, Product::Runc);
        assert!(r.source.contains("line 3"), "{}", r.source);
        let r = resolve(ProductHints {
            base,
            go_module: Some("k8s.io/kubernetes"),
            ..Default::default()
        });
        assert_eq!(r.product, Product::Containerd);
        let r = resolve(ProductHints {
            base: Some("../up"),
            go_module: Some("example.com/toy"),
            ..Default::default()
        });
        assert_eq!(r.product, Product::Generic);
        assert!(r.source.contains("example.com/toy"));
        assert_eq!(resolve(ProductHints::default()).product, Product::Generic);
        assert_eq!(
            resolve(ProductHints::default()).basis,
            ProductBasis::Nothing
        );
        let r = resolve(ProductHints {
            lifecycle: Some("Containerd"),
            ..Default::default()
        });
        assert_eq!(r.product, Product::Containerd);
    }

    proptest::proptest! {
        #[test]
        fn detection_never_panics(s in "\\PC{0,200}") {
            let _ = Product::from_base_url(&s);
            let _ = Product::from_module_path(&s);
            let _ = go_mod_module(&s);
            let _ = Product::parse(&s);
        }
    }
}
