//! A program: one portal for several products (Kubernetes, containerd, runc), one workspace
//! each.
//!
//! **URLs.** The main workspace's site stays at the root, exactly as a site alone: `/releases/…`,
//! `/api/v1/index.json`, … keep working and show it (Kubernetes in the real program). In a
//! program of more than one product, every product — the main one too — also lives under its
//! name: pages under `/<product>/…` (`/containerd/releases/v1.3.10-lts.1/`), API under
//! `/api/v1/<product>/…` (`/api/v1/containerd/status/1.3.10.json`). Each product's site is
//! built on its own ([`data::build`], its product decided by `Workspace::product`), with its
//! [`SiteData::base`] set to its prefix so that its links never leave it. Product names never
//! collide with the root's own paths (`lines`, `releases`, `api`, …): they are the built-in
//! product names.
//!
//! **One workspace per product.** Two workspaces maintaining the same product are an error
//! that names both: the portal cannot tell which one's releases to show. [`decide_products`]
//! says so before anything is built, from what the workspaces say without their mirrors;
//! [`Program::build`] again once built, when a local upstream's go.mod has been read.
//!
//! Routing is [`Program::render`]: the prefix picks the site, the rest goes to
//! [`pages::render`] unchanged, so the server and the static export answer alike.

use crate::data::{self, ProductLink, SiteConfig, SiteData};
use crate::pages::{self, Response};
use klts_core::Product;
use klts_vuln::db::Database;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The sites of a program.
#[derive(Clone, Debug)]
pub struct Program {
    /// The main workspace's site, at the root.
    pub main: Arc<SiteData>,
    /// Every product's site under its prefix, by product name (the main product's too); empty
    /// for a site alone.
    pub products: BTreeMap<String, Arc<SiteData>>,
}

/// The error for an `--also` directory without a manifest.
fn no_manifest(dir: &Path) -> String {
    format!(
        "{}: no {} here\nhelp: --also names the workspace directory of another product of the program",
        dir.display(),
        klts_forge::MANIFEST_FILE
    )
}

/// The product of each workspace of a program, main first; `Err` when two maintain the same
/// product (naming both) or a product's workspace cannot be read for its product.
pub fn decide_products(
    main: Option<&Path>,
    also: &[PathBuf],
    cache_dir: Option<&Path>,
) -> Result<Vec<Product>, String> {
    let mut seen: Vec<(String, Product)> = Vec::new();
    let main_product = data::workspace_product(main, cache_dir).product;
    seen.push((label(main), main_product));
    for dir in also {
        if !dir.join(klts_forge::MANIFEST_FILE).is_file() {
            return Err(no_manifest(dir));
        }
        let p = data::workspace_product(Some(dir), None).product;
        // A generic project may be a product whose upstream is not fetched yet (its go.mod
        // unread): the build decides ([`Program::build`] checks again).
        if let Some((other, _)) = seen.iter().find(|(_, q)| *q == p && p != Product::Generic) {
            return Err(twice(other, &dir.display().to_string(), p));
        }
        seen.push((label(Some(dir)), p));
    }
    Ok(seen.into_iter().map(|(_, p)| p).collect())
}

fn label(d: Option<&Path>) -> String {
    d.map_or_else(|| "(no workspace)".to_string(), |d| d.display().to_string())
}

/// The error for two workspaces of one product.
fn twice(a: &str, b: &str, p: Product) -> String {
    format!(
        "{a} and {b} both maintain {}: a program has one workspace per product\nhelp: keep one of them (`product:` in {} says what a workspace maintains)",
        p.as_str(),
        klts_forge::MANIFEST_FILE
    )
}

impl Program {
    /// A site alone: the root, no product prefixes.
    pub fn single(site: SiteData) -> Program {
        Program {
            main: Arc::new(site),
            products: BTreeMap::new(),
        }
    }

    /// A program of `main` (at the root) and `others`; `Err` names a product shown twice.
    pub fn new(main: SiteData, others: Vec<SiteData>) -> Result<Program, String> {
        if others.is_empty() {
            return Ok(Program::single(main));
        }
        let mut sites: BTreeMap<String, SiteData> = BTreeMap::new();
        for s in std::iter::once(main.clone()).chain(others) {
            let name = s.product_kind.as_str().to_string();
            if sites.contains_key(&name) {
                return Err(format!(
                    "two workspaces maintain {name}: a program has one workspace per product"
                ));
            }
            sites.insert(name, s);
        }
        let links: Vec<ProductLink> = sites
            .iter()
            .map(|(name, s)| ProductLink {
                name: name.clone(),
                display_name: s.product_kind.display_name().to_string(),
                href: format!("/{name}/"),
                api: format!("/api/v1/{name}/index.json"),
            })
            .collect();
        let mut main = main;
        main.products = links.clone();
        let products = sites
            .into_iter()
            .map(|(name, mut s)| {
                s.base = format!("/{name}");
                s.products = links.clone();
                (name, Arc::new(s))
            })
            .collect();
        Ok(Program {
            main: Arc::new(main),
            products,
        })
    }

    /// Build every workspace's site: `main` at the root, each of `also` under its product.
    /// `cache_dir` is the main workspace's; the others use their own default cache.
    pub fn build(
        main: Option<&Path>,
        also: &[PathBuf],
        cache_dir: Option<&Path>,
        db: Arc<Database>,
        config: &SiteConfig,
    ) -> Result<Program, String> {
        if also.is_empty() {
            return Ok(Program::single(data::build(main, cache_dir, db, config)));
        }
        // The products are decided by the builds themselves (the CLI checks them once before
        // starting: [`decide_products`]); only a missing manifest is refused before building.
        for dir in also {
            if !dir.join(klts_forge::MANIFEST_FILE).is_file() {
                return Err(no_manifest(dir));
            }
        }
        let main_site = data::build(main, cache_dir, db.clone(), config);
        let mut others = Vec::new();
        // Checked again once built: a workspace whose upstream was not fetched yet only knows
        // its product from the upstream's go.mod after the build.
        let mut seen = vec![(label(main), main_site.product_kind)];
        for dir in also {
            let site = data::build(Some(dir), None, db.clone(), config);
            if let Some((other, _)) = seen.iter().find(|(_, p)| *p == site.product_kind) {
                return Err(twice(other, &dir.display().to_string(), site.product_kind));
            }
            seen.push((label(Some(dir)), site.product_kind));
            others.push(site);
        }
        Program::new(main_site, others)
    }

    /// One site per workspace: the root's, then the other products' (the main product's
    /// prefixed copy left out): what to report errors and counts of.
    pub fn workspaces(&self) -> impl Iterator<Item = &Arc<SiteData>> {
        let main = self.main.product_kind;
        std::iter::once(&self.main).chain(
            self.products
                .values()
                .filter(move |s| s.product_kind != main),
        )
    }

    /// Every site: the root first, then each product's, by name.
    pub fn sites(&self) -> impl Iterator<Item = &Arc<SiteData>> {
        std::iter::once(&self.main).chain(self.products.values())
    }

    /// The site a path belongs to and the path inside it (`/containerd/releases/` →
    /// containerd's site and `/releases/`; `/api/v1/runc/index.json` → runc's and
    /// `/api/v1/index.json`). Anything else is the root's.
    pub fn site_for<'a>(&'a self, path: &str) -> (&'a SiteData, String) {
        let cut = path.find(['?', '#']).unwrap_or(path.len());
        let (p, tail) = path.split_at(cut);
        let rel = p.strip_prefix('/').unwrap_or(p);
        fn split(s: &str) -> (&str, &str) {
            s.split_once('/').unwrap_or((s, ""))
        }
        let (first, rest) = split(rel);
        if let Some(site) = self.products.get(first) {
            return (site, format!("/{rest}{tail}"));
        }
        if first == "api" {
            if let Some(after) = rest.strip_prefix("v1/") {
                let (name, rest) = split(after);
                if let Some(site) = self.products.get(name) {
                    return (site, format!("/api/v1/{rest}{tail}"));
                }
            }
        }
        (&self.main, path.to_string())
    }

    /// Render `path` with `query` ([`pages::render`] on the site the path belongs to).
    /// The language prefix comes first (`/zh/containerd/releases/`), then the product's.
    pub fn render(&self, path: &str, query: &str) -> Response {
        let (lang, rest) = pages::Lang::of_path(path);
        let (site, inner) = self.site_for(rest);
        pages::render_in(site, lang, &inner, query)
    }

    /// Where one of klts.io's old addresses (its documentation site: `/docs/kubernetes/
    /// releases/v1.17/v1.17.17-lts.1/`, `/docs/kubernetes/patches/cve-2021-3121/`,
    /// `/docs/install/`, also under `/zh/`) lives in this portal, for a permanent redirect.
    /// `None` for any other path, and for a product the program does not show. Every segment
    /// is checked against the name rule before it becomes part of a path.
    /// klts.io's Chinese addresses (`/zh/docs/…`) go to the Chinese pages (`/zh/releases/…`).
    pub fn legacy_target(&self, path: &str) -> Option<String> {
        let (lang, rel) = pages::Lang::of_path(path);
        let rel = rel.strip_prefix("/docs")?;
        let segs: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        let ok = |s: &str| klts_core::names::check(klts_core::names::NameKind::Release, s).is_ok();
        if !segs.iter().all(|s| ok(s)) {
            return None;
        }
        let prefix = |product: &str| -> Option<String> {
            if self.main.product_kind.as_str() == product {
                Some(String::new())
            } else {
                self.products
                    .contains_key(product)
                    .then(|| format!("/{product}"))
            }
        };
        let target = match segs.as_slice() {
            [] | ["kubernetes"] | ["Intro"] => Some("/".into()),
            ["install"] | ["install-with-script"] => Some("/releases/".into()),
            [product] => prefix(product).map(|p| format!("{p}/")),
            [product, "releases"] => prefix(product).map(|p| format!("{p}/releases/")),
            [product, "releases", line] => {
                let line = line.strip_prefix('v').unwrap_or(line);
                prefix(product).map(|p| format!("{p}/lines/{line}/"))
            }
            [product, "releases", _, release] => {
                prefix(product).map(|p| format!("{p}/releases/{release}/"))
            }
            [product, "patches"] => prefix(product).map(|p| format!("{p}/advisories/")),
            [product, "patches", id] => {
                prefix(product).map(|p| format!("{p}/advisories/{}/", id.to_ascii_uppercase()))
            }
            _ => None,
        };
        target.map(|t| format!("{}{t}", lang.prefix()))
    }

    /// The old klts.io addresses the static build answers with a redirect page: every
    /// release, line and CVE advisory of every product, and the index pages, in every language
    /// (klts.io had them under `/zh/` too).
    pub fn legacy_paths(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut add = |old: String| {
            for lang in pages::Lang::ALL {
                let old = format!("{}{old}", lang.prefix());
                if let Some(new) = self.legacy_target(&old) {
                    out.push((old, new));
                }
            }
        };
        add("/docs/".into());
        add("/docs/install/".into());
        for site in self.workspaces() {
            let p = site.product_kind.as_str();
            add(format!("/docs/{p}/"));
            add(format!("/docs/{p}/releases/"));
            add(format!("/docs/{p}/patches/"));
            for l in &site.lines {
                add(format!("/docs/{p}/releases/v{}/", l.line));
            }
            for r in &site.releases {
                if let Ok(v) = klts_core::Version::parse(&r.name) {
                    add(format!("/docs/{p}/releases/v{}/{}/", v.line(), r.name));
                }
            }
            for a in &site.advisories {
                if a.advisory.id.starts_with("CVE-") {
                    add(format!(
                        "/docs/{p}/patches/{}/",
                        a.advisory.id.to_ascii_lowercase()
                    ));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Every path the static build writes: the root's, then each product's under its prefix.
    pub fn all_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = self.sites().flat_map(|s| pages::all_paths(s)).collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(product: Product) -> SiteData {
        let db = Arc::new(Database::default());
        let mut s = data::build(
            None,
            None,
            db,
            &SiteConfig::on(klts_core::lifecycle::Date::today()),
        );
        s.product_kind = product;
        s
    }

    #[test]
    fn klts_io_addresses_move_to_their_pages() {
        let p = Program::new(site(Product::Kubernetes), vec![site(Product::Containerd)]).unwrap();
        let t = |path: &str| p.legacy_target(path);
        assert_eq!(
            t("/docs/kubernetes/releases/v1.17/v1.17.17-lts.1/").as_deref(),
            Some("/releases/v1.17.17-lts.1/")
        );
        assert_eq!(
            t("/zh/docs/kubernetes/releases/v1.17/").as_deref(),
            Some("/zh/lines/1.17/")
        );
        assert_eq!(
            t("/docs/kubernetes/patches/cve-2021-3121/").as_deref(),
            Some("/advisories/CVE-2021-3121/")
        );
        assert_eq!(
            t("/docs/containerd/releases/v1.3/v1.3.10-lts.1/").as_deref(),
            Some("/containerd/releases/v1.3.10-lts.1/")
        );
        assert_eq!(t("/docs/install/").as_deref(), Some("/releases/"));
        // A product the program does not show, hostile segments, other paths: no redirect.
        assert_eq!(t("/docs/runc/releases/"), None);
        assert_eq!(t("/docs/kubernetes/patches/..%2F..%2Fetc/"), None);
        assert_eq!(t("/docs/kubernetes/patches/a/b/c/"), None);
        assert_eq!(t("/releases/"), None);
        let all = p.legacy_paths();
        assert!(all
            .iter()
            .any(|(old, _)| old == "/docs/kubernetes/releases/v1.17/"));
        assert!(all
            .iter()
            .all(|(old, new)| t(old).as_deref() == Some(new.as_str())));
    }

    #[test]
    fn paths_pick_their_product() {
        let p = Program::new(
            site(Product::Kubernetes),
            vec![site(Product::Containerd), site(Product::Runc)],
        )
        .unwrap();
        let route = |path: &str| {
            let (s, inner) = p.site_for(path);
            (s.base.clone(), inner)
        };
        let r = |base: &str, inner: &str| (base.to_string(), inner.to_string());
        assert_eq!(route("/releases/x/"), r("", "/releases/x/"));
        assert_eq!(route("/containerd"), r("/containerd", "/"));
        assert_eq!(route("/containerd/"), r("/containerd", "/"));
        assert_eq!(
            route("/runc/advisories/?q=a/b"),
            r("/runc", "/advisories/?q=a/b")
        );
        assert_eq!(route("/kubernetes/lines/"), r("/kubernetes", "/lines/"));
        assert_eq!(
            route("/api/v1/containerd/status/1.4.3.json"),
            r("/containerd", "/api/v1/status/1.4.3.json")
        );
        assert_eq!(route("/api/v1/runc"), r("/runc", "/api/v1/"));
        assert_eq!(route("/api/v1/index.json"), r("", "/api/v1/index.json"));
        // Not a product: the root's, whose routing says 404.
        assert_eq!(route("/docker/"), r("", "/docker/"));
        assert_eq!(
            route("/api/v1/docker/x.json"),
            r("", "/api/v1/docker/x.json")
        );
        assert_eq!(route("/x?containerd/"), r("", "/x?containerd/"));
        assert_eq!(p.render("/api/v1/containerd/nothing.json", "").status, 404);
        assert!(p
            .render("/api/v1/containerd/nothing.json", "")
            .text()
            .contains("no such API path: /api/v1/containerd/nothing.json"));
        // One workspace per product.
        let e = Program::new(site(Product::Runc), vec![site(Product::Runc)]).unwrap_err();
        assert!(e.contains("runc"), "{e}");
        // A site alone has no prefixes.
        assert!(Program::single(site(Product::Kubernetes))
            .products
            .is_empty());
    }
}
