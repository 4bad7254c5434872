//! apt repositories: `pool/`, `dists/<suite>/main/binary-<arch>/Packages{,.gz,.xz}` with
//! `by-hash/SHA256/<hash>` copies, `Release`, `InRelease` and `Release.gpg`, plus the public key
//! as `klts.asc` and `klts.gpg`.
//!
//! Each `.deb` is read (ar archive → `control.tar{,.gz,.xz,.zst}` → `./control`) for its control
//! fields; versions are taken as written by the package writer. One suite per release (named
//! after it, e.g. `v1.17.17-lts.3`) and one per minor line (`v1.17`, every release of the line,
//! so the newest wins by default and `apt-get install kubeadm=<version>` pins).
//!
//! ## What old apt reads
//!
//! * **Indexes** are written uncompressed, gzip and xz. apt takes the first type of its
//!   `Acquire::CompressionTypes::Order` that `Release` lists; xz is the smallest (about 4 KB
//!   against 5 KB of gzip for 60 packages), gzip is for tools and mirrors that read nothing
//!   else, the plain file for humans and `curl`.
//! * **Hashes.** `Release` lists `MD5Sum` and `SHA256`, as `Packages` lists `MD5sum` and `SHA256`.
//!   apt verifies with the strongest hash both sides know, SHA256 here (Ubuntu 16.04's apt 1.2
//!   included; current apt refuses a `Release` whose only hashes are MD5 or SHA1). MD5 is kept
//!   for mirroring scripts that still compare it; SHA1 and SHA512 would add nothing an apt
//!   needs.
//! * **`Acquire-By-Hash: yes`.** Every index is also at `<its dir>/by-hash/SHA256/<sha256>` (a
//!   hard link, or a copy where links fail), and apt ≥ 1.1 fetches that name instead of
//!   `Packages.xz`. A client that read the previous `InRelease` just before a publish flipped the
//!   repository (see [`crate::publish`]) then still finds the indexes that `InRelease` names:
//!   the new generation keeps the previous generation's by-hash files (those its `Release`
//!   named, not older ones), so there is no 404 and no hash mismatch mid-update, for one
//!   generation. A client that is two publishes behind retries, as before.
//!
//! Hand-written because no maintained Rust crate writes apt repositories, and the format is a
//! few deb822 text files whose details (the hashes, by-hash, old apt) are the point of this
//! module; the tests hold it to `apt-ftparchive`'s output and to real `apt-get`.

// The repository writer needs OpenPGP, xz and zstd; the `sources.list` line does not, so the
// portal can have it without them.
#[cfg(feature = "repositories")]
mod repo;
#[cfg(feature = "repositories")]
pub use repo::*;

/// The `sources.list` line for one suite (deb822 one-line style with `signed-by`).
pub fn sources_line(url: &str, suite: &str, keyring: &str) -> String {
    format!(
        "deb [signed-by={keyring}] {} {suite} main",
        url.trim_end_matches('/')
    )
}
