//! `klts site build` and `klts serve`: arguments over `klts-site`.

use crate::{Failure, HiArgs};
use clap::Args;
use klts_site::data::SiteConfig;
use klts_site::program::Program;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct PortalArgs {
    /// Base URL of the apt/yum repositories shown in install instructions.
    #[arg(long, value_name = "URL", default_value = "https://packages.klts.io")]
    package_url: String,
    /// Image repository shown in `kubeadm config images pull --image-repository`.
    #[arg(
        long,
        value_name = "REPO",
        default_value = "ghcr.io/klts-io/kubernetes-lts"
    )]
    image_repository: String,
    /// Describe another day (YYYY-MM-DD) [default: today].
    #[arg(long, value_name = "DATE")]
    date: Option<klts_core::lifecycle::Date>,
    /// Years of LTS after community end of life [default: 3, or lifecycle.yml's].
    #[arg(long, value_name = "N")]
    lts_years: Option<u32>,
    /// The workspace of another product of the program (containerd, runc), shown under
    /// `/<product>/` and `/api/v1/<product>/` (repeatable; one workspace per product).
    #[arg(long = "also", value_name = "DIR")]
    also: Vec<std::path::PathBuf>,
}

impl PortalArgs {
    fn config(&self, offline: bool, today: klts_core::lifecycle::Date) -> SiteConfig {
        SiteConfig {
            package_url: self.package_url.clone(),
            image_repository: self.image_repository.clone(),
            date: self.date.unwrap_or(today),
            lts_years: self.lts_years,
            offline,
        }
    }
}

/// The advisory database (snapshot + synced feeds), shared by the site's builds.
fn database(hi: &HiArgs) -> Result<Arc<klts_vuln::db::Database>, Failure> {
    crate::vulns::database(hi).map(Arc::new)
}

/// `klts site build OUT`.
pub fn run_build(
    hi: &HiArgs,
    out: &std::path::Path,
    portal: &PortalArgs,
    offline: bool,
) -> Result<u8, Failure> {
    // Two workspaces of one product: said before anything is built.
    check_products(hi, portal)?;
    let db = database(hi)?;
    let program = Program::build(
        Some(&hi.workspace),
        &portal.also,
        hi.cache_dir.as_deref(),
        db,
        &portal.config(offline, hi.today()),
    )
    .map_err(|message| Failure { code: 2, message })?;
    let mut problems = false;
    for site in program.workspaces() {
        for e in &site.errors {
            eprintln!("{} (shown on the {} pages)", e.diagnostic, e.scope);
        }
        // Why releases are "not yet verified" on the pages: the operator's detail, not public.
        for e in &site.operator_problems {
            eprintln!("{} (not shown on the pages)", e.diagnostic);
        }
        problems |= !site.errors.is_empty() || !site.operator_problems.is_empty();
    }
    let files = klts_site::export::write_program(&program, out).map_err(|e| Failure {
        code: 2,
        message: format!("{}: {e}", out.display()),
    })?;
    let counts: Vec<String> = program
        .workspaces()
        .map(|site| {
            let what = format!(
                "{} lines, {} releases, {} advisories",
                site.lines.len(),
                site.releases.len(),
                site.advisories.len()
            );
            if program.products.is_empty() {
                what
            } else {
                format!("{}: {what}", site.product_kind.as_str())
            }
        })
        .collect();
    outln!(
        "wrote {files} files to {} ({})",
        out.display(),
        counts.join("; ")
    );
    Ok(u8::from(problems))
}

/// `--also` workspaces must each maintain another product (exit 2 naming both otherwise).
fn check_products(hi: &HiArgs, portal: &PortalArgs) -> Result<(), Failure> {
    if portal.also.is_empty() {
        return Ok(());
    }
    klts_site::program::decide_products(Some(&hi.workspace), &portal.also, hi.cache_dir.as_deref())
        .map(|_| ())
        .map_err(|message| Failure { code: 2, message })
}

/// `klts serve`.
pub fn run_serve(hi: &HiArgs, addr: SocketAddr, portal: &PortalArgs) -> Result<u8, Failure> {
    check_products(hi, portal)?;
    let db = database(hi)?;
    let workspace = hi
        .workspace
        .join(klts_forge::MANIFEST_FILE)
        .is_file()
        .then(|| hi.workspace.clone());
    let config = klts_site::server::ServerConfig {
        addr,
        workspace: workspace.or_else(|| Some(hi.workspace.clone())),
        also: portal.also.clone(),
        cache_dir: hi.cache_dir.clone(),
        site: portal.config(true, hi.today()),
        poll: std::time::Duration::from_secs(1),
        limits: klts_site::server::Limits::default(),
        // The day moves on while the server runs, unless --date fixes it.
        today: portal
            .date
            .is_none()
            .then_some(klts_core::lifecycle::Date::today as fn() -> _),
    };
    klts_site::server::run_blocking(config, db).map_err(|e| Failure {
        code: 2,
        message: format!("cannot serve on {addr}: {e}"),
    })?;
    Ok(0)
}
