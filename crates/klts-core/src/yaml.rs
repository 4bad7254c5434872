//! Small helpers shared by the YAML readers of this crate (the manifest, `lifecycle.yml`) and
//! of `klts-vuln` (`triage.yml`): positions and "found …" descriptions of `saphyr` nodes.

use crate::diag::Location;
use saphyr::{MarkedYaml, Scalar, YamlData};
use std::path::{Path, PathBuf};

/// Why a YAML file of the workspace (`releases.yml`, `lifecycle.yml`) could not be used. The
/// message always starts with `file:line:col` when there is a position.
#[derive(Debug, thiserror::Error)]
pub enum YamlFileError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML.
    #[error("{}:{loc}: invalid YAML: {message}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// Where the parser stopped.
        loc: Location,
        /// The parser's message.
        message: String,
    },
    /// Valid YAML, but not the expected shape, or an invalid value.
    #[error("{}:{loc}: {message}", path.display())]
    Schema {
        /// The file.
        path: PathBuf,
        /// Where the offending value starts.
        loc: Location,
        /// What was expected and what was found.
        message: String,
    },
}

impl YamlFileError {
    /// The position of the error in the file, if it has one.
    pub fn location(&self) -> Option<Location> {
        match self {
            YamlFileError::Io { .. } => None,
            YamlFileError::Yaml { loc, .. } | YamlFileError::Schema { loc, .. } => Some(*loc),
        }
    }
}

/// Where a node starts, 1-based line and column.
pub fn loc(node: &MarkedYaml<'_>) -> Location {
    Location {
        line: node.span.start.line(),
        col: node.span.start.col() + 1,
    }
}

/// A short description of a node for "expected X, found Y" messages.
pub fn describe(node: &MarkedYaml<'_>) -> String {
    match &node.data {
        YamlData::Value(Scalar::Null) => "nothing (null)".into(),
        YamlData::Value(Scalar::Boolean(b)) => format!("the boolean `{b}`"),
        YamlData::Value(Scalar::Integer(i)) => format!("the number `{i}`"),
        YamlData::Value(Scalar::FloatingPoint(f)) => format!("the number `{f}`"),
        YamlData::Value(Scalar::String(s)) => format!("the string `{s}`"),
        YamlData::Representation(s, _, _) => format!("`{s}`"),
        YamlData::Sequence(_) => "a list".into(),
        YamlData::Mapping(_) => "a mapping".into(),
        YamlData::Tagged(..) => "a tagged value".into(),
        YamlData::Alias(_) => "an alias".into(),
        YamlData::BadValue => "an invalid value".into(),
    }
}

/// The text of a string scalar (trimmed), `None` for anything else.
pub fn scalar(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.trim().to_string()),
        YamlData::Representation(s, _, _) => Some(s.trim().to_string()),
        _ => None,
    }
}

/// The items of a list node; a null node (`key:` with nothing after it) is an empty list, as
/// the KLTS tooling reads it. Anything else is a schema error naming `what`.
pub fn sequence<'a, 'y>(
    path: &Path,
    node: &'a MarkedYaml<'y>,
    what: &str,
) -> Result<&'a [MarkedYaml<'y>], YamlFileError> {
    match &node.data {
        YamlData::Sequence(items) => Ok(items),
        YamlData::Value(Scalar::Null) => Ok(&[]),
        _ => Err(YamlFileError::Schema {
            path: path.to_path_buf(),
            loc: loc(node),
            message: format!("expected a list for `{what}`, found {}", describe(node)),
        }),
    }
}
