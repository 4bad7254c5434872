//! `klts site build OUT`: every path of [`pages::all_paths`], rendered by [`pages::render`]
//! exactly as the server answers it, written as files: pages as `<path>/index.html`, JSON,
//! SVG and CSS under their own names, plus a `404.html` per language (`zh/404.html`).
//!
//! A program of several products ([`write_program`]) writes the root site as a site alone
//! does, and each product's tree under its prefix: `OUT/<product>/…` for pages,
//! `OUT/api/v1/<product>/…` for the API — the files the server answers those URLs with.
//!
//! The site is written into a temporary directory next to `OUT` and renamed into place, so a
//! web server never serves a half-written site: an existing build is renamed away, the new one
//! renamed in, the old one deleted. A directory that is neither empty nor a previous build
//! (marked by a `.klts-site` file) is never replaced.

use crate::data::SiteData;
use crate::pages;
use crate::program::Program;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The file marking a directory as a site build (so it may be replaced by the next one).
pub const MARKER: &str = ".klts-site";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The file (relative to the site root) a path is written to; `None` when the path cannot be
/// a file safely (a segment that decodes to `.`, `..`, or holds a separator).
pub fn file_for(path: &str) -> Option<PathBuf> {
    let rel = path.strip_prefix('/')?;
    let mut out = PathBuf::new();
    let (dirs, file) = match rel.strip_suffix('/') {
        Some(dir) => (dir, None),
        None if rel.is_empty() => ("", None),
        None => match rel.rsplit_once('/') {
            Some((d, f)) => (d, Some(f)),
            None => ("", Some(rel)),
        },
    };
    for seg in dirs.split('/').filter(|s| !s.is_empty()).chain(file) {
        let decoded = pages::percent_decode(seg, false)?;
        if decoded.is_empty()
            || decoded == "."
            || decoded == ".."
            || decoded.contains(['/', '\\', '\0'])
        {
            return None;
        }
        let p = Path::new(&decoded);
        if p.components().count() != 1
            || !matches!(p.components().next(), Some(Component::Normal(_)))
        {
            return None;
        }
        out.push(decoded);
    }
    if file.is_none() {
        out.push("index.html");
    }
    Some(out)
}

/// Write the site into `out` (replacing a previous build); the number of files written.
pub fn write_site(site: &SiteData, out: &Path) -> io::Result<usize> {
    write_program(&Program::single(site.clone()), out)
}

/// Write every site of the program into `out` (replacing a previous build); the number of
/// files written.
pub fn write_program(program: &Program, out: &Path) -> io::Result<usize> {
    let name = out
        .file_name()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a directory name", out.display()),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    check_replaceable(out)?;

    let unique = format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let tmp = parent.join(format!(".{name}.new-{unique}"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir(&tmp)?;
    let written = match write_into(program, &tmp) {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };

    if out.exists() {
        let old = parent.join(format!(".{name}.old-{unique}"));
        if let Err(e) = std::fs::rename(out, &old) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        if let Err(e) = std::fs::rename(&tmp, out) {
            // Put the previous build back.
            let _ = std::fs::rename(&old, out);
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!("could not delete the previous build {}: {e}", old.display());
        }
    } else if let Err(e) = std::fs::rename(&tmp, out) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    Ok(written)
}

/// `out` may be replaced when it does not exist, is an empty directory, or is a previous build.
fn check_replaceable(out: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is not a directory; refusing to replace it",
                out.display()
            ),
        ));
    }
    if out.join(MARKER).is_file() || std::fs::read_dir(out)?.next().is_none() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} is not empty and is not a site build (no {MARKER} file); refusing to replace it",
            out.display()
        ),
    ))
}

fn write_file(root: &Path, rel: &Path, body: &[u8]) -> io::Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, body)
}

fn write_into(program: &Program, root: &Path) -> io::Result<usize> {
    let mut n = 0;
    for path in program.all_paths() {
        let Some(rel) = file_for(&path) else {
            tracing::warn!("not writing {path}: it cannot be a file name");
            continue;
        };
        let response = program.render(&path, "");
        if response.status != 200 {
            return Err(io::Error::other(format!(
                "{path} rendered with status {}",
                response.status
            )));
        }
        write_file(root, &rel, &response.body)?;
        n += 1;
    }
    // klts.io's old addresses: a static host cannot answer 301, so a page that says where the
    // content moved and goes there (meta refresh; canonical link for search engines).
    // Aliases of advisories (GHSA-…, GO-…): a page that goes to the advisory.
    let aliases: Vec<(String, String)> = program
        .sites()
        .flat_map(|s| pages::advisory_aliases(s))
        .collect();
    for (alias, to) in aliases {
        let Some(rel) = file_for(&alias) else {
            continue;
        };
        if root.join(&rel).exists() {
            continue;
        }
        write_file(root, &rel, pages::moved_page(&to).as_bytes())?;
        n += 1;
    }
    for (old, new) in program.legacy_paths() {
        let Some(rel) = file_for(&old) else {
            continue;
        };
        write_file(root, &rel, pages::moved_page(&new).as_bytes())?;
        n += 1;
    }
    // One 404 page per language (`404.html`, `zh/404.html`): static hosts that serve a
    // directory's own 404 page answer readers in their language.
    for lang in pages::Lang::ALL {
        let rel = Path::new(lang.prefix().trim_start_matches('/')).join("404.html");
        write_file(
            root,
            &rel,
            &pages::not_found_page_in(&program.main, lang).body,
        )?;
        n += 1;
    }
    std::fs::write(
        root.join(MARKER),
        "A site built by `klts site build`; the next build replaces this directory.\n",
    )?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_files() {
        assert_eq!(file_for("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            file_for("/releases/"),
            Some(PathBuf::from("releases/index.html"))
        );
        assert_eq!(
            file_for("/releases/v1.17.17-lts.3/"),
            Some(PathBuf::from("releases/v1.17.17-lts.3/index.html"))
        );
        assert_eq!(
            file_for("/api/v1/lines/1.17.json"),
            Some(PathBuf::from("api/v1/lines/1.17.json"))
        );
        assert_eq!(
            file_for("/lifecycle.svg"),
            Some(PathBuf::from("lifecycle.svg"))
        );
        assert_eq!(file_for("/a/%2E%2E/"), None);
        assert_eq!(file_for("/a/x%2Fy.json"), None);
        assert_eq!(file_for("/a//b/"), Some(PathBuf::from("a/b/index.html")));
        assert_eq!(file_for("relative"), None);
    }

    #[test]
    fn refuses_to_replace_foreign_directories_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join("home");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
        assert!(check_replaceable(&foreign).is_err());
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(check_replaceable(&file).is_err());
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(check_replaceable(&empty).is_ok());
        assert!(check_replaceable(&dir.path().join("missing")).is_ok());
        std::fs::write(foreign.join(MARKER), "").unwrap();
        assert!(check_replaceable(&foreign).is_ok());
    }
}
