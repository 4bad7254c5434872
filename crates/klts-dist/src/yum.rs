//! yum/dnf repositories, createrepo_c-compatible metadata signed with OpenPGP.
//!
//! Layout (one repository per suite: each release, and each minor line with all its releases):
//!
//! ```text
//! REPO/klts.asc                                  the public key (armored)
//! REPO/<suite>/Packages/<name>-<ver>-<rel>.<arch>.rpm   hard links to one copy per package
//! REPO/<suite>/repodata/<sha256>-primary.xml.gz, -filelists.xml.gz, -other.xml.gz
//! REPO/<suite>/repodata/repomd.xml, repomd.xml.asc (detached signature), repomd.xml.key
//! ```
//!
//! A `.repo` file points `baseurl=` at `URL/<suite>/` with `repo_gpgcheck=1` and
//! `gpgkey=URL/<suite>/repodata/repomd.xml.key` (the pkgs.k8s.io convention).
//!
//! ## What yum 3 (CentOS 7) reads
//!
//! The metadata is what `createrepo_c --no-database` writes for the same rpms, byte for byte
//! before compression (the tests compare with createrepo_c and convert it with `sqliterepo_c`):
//! `repomd.xml` with `<revision>` and one `<data>` per type — `primary`, `filelists`, `other`,
//! each with a sha256 `checksum` and `open-checksum`, `location`, `timestamp`, `size` and
//! `open-size` — and gzip-compressed XML in the `common`/`rpm`, `filelists` and `other`
//! namespaces. Nothing yum 3 does not know: no zchunk, no zstd, no `updateinfo`/`group`/
//! `modules`. There are no `*_db` sqlite files: yum 3 builds its sqlite cache from the XML
//! itself (yum-metadata-parser, the converter `sqliterepo_c` descends from), as it does for
//! any repository made with `--no-database`, and dnf never reads them. `time file` is the
//! publish date, not the rpm's mtime, so republishing does not change it.
//!
//! Each generation also keeps the `repodata/` files the previous generation's `repomd.xml`
//! names (as `createrepo_c --retain-old-md 1` does), so a client that fetched `repomd.xml`
//! just before a publish flipped the repository does not get a 404 for its `primary.xml.gz`.
//!
//! Hand-written (over the `rpm` crate's header reader) because there is no createrepo in Rust
//! and binding `libcreaterepo_c` would add a C library and its dependencies for three small
//! XML files that the tests compare with `createrepo_c`'s byte for byte.

// The repository writer needs rpm and OpenPGP; the `.repo` file does not, so the portal can
// have it without them.
#[cfg(feature = "repositories")]
mod repo;
#[cfg(feature = "repositories")]
pub use repo::*;

/// How long yum/dnf may keep this repository's metadata before asking again: a new LTS
/// release is seen by `dnf upgrade` within this time, without `--refresh` (dnf's default is 48
/// hours).
pub const METADATA_EXPIRE: &str = "6h";

/// A `.repo` file section for one suite.
pub fn repo_file(url: &str, suite: &str) -> String {
    let base = format!("{}/{suite}/", url.trim_end_matches('/'));
    let id = format!("klts-{}", suite.replace('.', "_"));
    format!(
        "[{id}]\nname=KLTS {suite}\nbaseurl={base}\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey={base}repodata/repomd.xml.key\nmetadata_expire={METADATA_EXPIRE}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_files_expire_their_metadata() {
        let r = repo_file("https://p.example/yum/", "v1.17");
        assert!(r.starts_with("[klts-v1_17]\n"), "{r}");
        assert!(
            r.contains("\nbaseurl=https://p.example/yum/v1.17/\n"),
            "{r}"
        );
        assert!(r.contains("\nmetadata_expire=6h\n"), "{r}");
    }
}
