//! Diagnostics: findings with a severity, a stable code and a position in the user's file.
//!
//! Modelled on cargo-deny: every check produces the same [`Diagnostic`] shape, and one renderer
//! (in the CLI) prints them as `file:line:col: severity[code]: message` plus an optional `help:`.
//!
//! Findings about structured documents without line positions (OSV records, JSON feeds) carry
//! a field path instead ([`Diagnostic::in_field`]): `f.json: warning[skipped-field]:
//! affected[2].ranges[0]: …`.
//!
//! Codes are typed: each domain has an enum of its checks that implements [`Code`]
//! ([`crate::lint::ManifestCode`] for `releases.yml`, `klts_forge::lint::WorkspaceCode` for
//! pins, patches and the mirror, `klts_vuln::triage::TriageCode` for `triage.yml`), so a code
//! cannot be misspelt at one call site and its kebab-case name, printed and matched by scripts,
//! is written once.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// How serious a finding is. Errors make `klts lint` exit non-zero; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing to do.
    Note,
    /// Probably a mistake or dead weight; the manifest still works.
    Warning,
    /// The manifest cannot produce the releases it describes.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A position in a text file: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A stable check code of one domain.
pub trait Code: Copy {
    /// The kebab-case name (`base-cycle`), stable across releases.
    fn as_str(self) -> &'static str;
}

/// Declares a domain's code enum: each variant with its kebab-case name and a doc line.
#[macro_export]
macro_rules! diagnostic_codes {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant,)+ }
        impl $name {
            /// Every code of the domain, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
        }
        impl $crate::diag::Code for $name {
            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::diag::Code::as_str(*self))
            }
        }
    };
}

/// One finding of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// A stable, kebab-case identifier of the check (`base-cycle`, `unused-patch`, …).
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The file the finding points into.
    pub file: PathBuf,
    /// Where in that file, when the finding has a position.
    pub location: Option<Location>,
    /// Where in a structured document (a JSON path such as `affected[2].ranges[0]`, `$` for the
    /// whole document), for inputs read as values that keep no line positions (OSV records,
    /// JSON feeds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new diagnostic without help text.
    pub fn new(
        severity: Severity,
        code: impl Code,
        file: impl Into<PathBuf>,
        location: Option<Location>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            code: code.as_str(),
            message: message.into(),
            file: file.into(),
            location,
            field: None,
            help: None,
        }
    }

    /// A diagnostic about one field of a structured document (see [`Diagnostic::field`]).
    pub fn in_field(
        severity: Severity,
        code: impl Code,
        file: impl Into<PathBuf>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            field: Some(field.into()),
            ..Diagnostic::new(severity, code, file, None, message)
        }
    }

    /// Attach a `help:` line saying what to do.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A diagnostic is also the error of a reader that gives up on a whole input (an OSV record
/// that is not a record): the same shape whether the input was skipped or partly read.
impl std::error::Error for Diagnostic {}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(loc) = self.location {
            write!(f, ":{loc}")?;
        }
        write!(f, ": {}[{}]: ", self.severity, self.code)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::diagnostic_codes! {
        enum TestCode {
            Bad => "bad-thing",
        }
    }

    #[test]
    fn positions_and_field_paths_render_in_one_shape() {
        assert_eq!(TestCode::ALL, [TestCode::Bad]);
        let at = Diagnostic::new(
            Severity::Error,
            TestCode::Bad,
            "releases.yml",
            Some(Location { line: 3, col: 5 }),
            "broken",
        )
        .with_help("mend it");
        assert_eq!(
            at.to_string(),
            "releases.yml:3:5: error[bad-thing]: broken\n  help: mend it"
        );
        let field = Diagnostic::in_field(
            Severity::Warning,
            TestCode::Bad,
            "f.json",
            "affected[2]",
            "dropped",
        );
        assert_eq!(
            field.to_string(),
            "f.json: warning[bad-thing]: affected[2]: dropped"
        );
        // A diagnostic without a field serializes as before (the lint's JSON output keeps its
        // shape); one with a field names it.
        let json = serde_json::to_value(&at).unwrap();
        assert!(json.get("field").is_none(), "{json}");
        let json = serde_json::to_value(&field).unwrap();
        assert_eq!(json["field"], "affected[2]");
        assert_eq!(json["code"], "bad-thing");
    }
}
