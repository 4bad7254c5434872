//! The Go version as text, over [`klts_core::goversion`] and [`klts_forge::toolchain`].

/// A Go version as klts reports it (`1.21.5`, `1.16`, `1.21rc2`) from `go1.21.5`, `1.21.5`,
/// `v1.21.5`; `None` when it is not one. The parser is
/// [`klts_core::goversion::GoRelease::parse`].
pub fn normalize_go_version(s: &str) -> Option<String> {
    klts_core::goversion::GoRelease::parse(s)
        .ok()
        .map(|v| v.to_string())
}

/// The Go version of `.go-version`, as text ([`klts_forge::toolchain::parse_go_version_file`]).
pub fn parse_go_version_file(text: &str) -> Option<String> {
    klts_forge::toolchain::parse_go_version_file(text).map(|v| v.to_string())
}

/// The Go version of `build/build-image/cross/VERSION`, as text
/// ([`klts_forge::toolchain::parse_cross_version`]).
pub fn parse_cross_version(text: &str) -> Option<String> {
    klts_forge::toolchain::parse_cross_version(text).map(|v| v.to_string())
}
