//! Small helpers shared by the YAML readers of this crate (the manifest, `lifecycle.yml`) and
//! of `klts-vuln` (`triage.yml`): the one loader every klts YAML file goes through
//! ([`load_str`]), positions and "found …" descriptions of `saphyr` nodes.
//!
//! **Nesting is bounded.** `saphyr`'s own `load_from_str` walks the event stream recursively,
//! one stack frame per nesting level, and the tree it builds is dropped recursively too: 20,000
//! nested `- ` (40 KB of text) overflow the stack and abort the process, which in `klts serve`
//! takes the portal down. [`load_str`] instead pulls events from the parser in a loop, counts
//! the open collections, and stops with an error at the first collection deeper than
//! [`MAX_YAML_DEPTH`], before anything that deep is built. Real files nest 4–6 levels.

use crate::diag::Location;
use saphyr::{MarkedYaml, Scalar, ScanError, YamlData, YamlLoader};
use saphyr_parser::{Event, Parser, SpannedEventReceiver};
use std::path::{Path, PathBuf};

/// The deepest nesting of lists and mappings klts accepts in a YAML file (a manifest nests 4
/// levels, `build:` 6). Deeper input is refused with an error naming its line and column.
pub const MAX_YAML_DEPTH: usize = 64;

/// Parse YAML text into documents, like `MarkedYaml::load_from_str`, but refusing collections
/// nested deeper than [`MAX_YAML_DEPTH`] (see the [module documentation](self)). The error is
/// a [`ScanError`] at the offending collection, so callers report it like any syntax error.
pub fn load_str(text: &str) -> Result<Vec<MarkedYaml<'_>>, ScanError> {
    load_str_with_limit(text, MAX_YAML_DEPTH)
}

fn load_str_with_limit(text: &str, max_depth: usize) -> Result<Vec<MarkedYaml<'_>>, ScanError> {
    let mut parser = Parser::new_from_str(text);
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    let mut depth = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next?;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > max_depth {
                    return Err(ScanError::new(
                        span.start,
                        format!(
                            "lists and mappings nested more than {max_depth} levels deep (klts's limit for a YAML file)"
                        ),
                    ));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        let end = event == Event::StreamEnd;
        loader.on_event(event, span);
        if let Some(e) = loader.error() {
            return Err(e.clone());
        }
        if end {
            break;
        }
    }
    Ok(loader.into_documents())
}

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
    /// The file is larger than klts reads (see [`read_limited`]).
    #[error("{}: the file is {size} bytes, over the limit of {limit} bytes for {what}\n  help: check that this is the right file; a real one is a few tens of KB", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What the file is (`a manifest`).
        what: &'static str,
        /// Its size in bytes (at least `limit + 1` when it could not be known up front).
        size: u64,
        /// The limit in bytes.
        limit: u64,
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
            YamlFileError::Io { .. } | YamlFileError::TooLarge { .. } => None,
            YamlFileError::Yaml { loc, .. } | YamlFileError::Schema { loc, .. } => Some(*loc),
        }
    }
}

/// Read a text file of at most `limit` bytes: a larger one is refused before it is read,
/// because parsed YAML takes about 40 times its size in memory (a 50 MB manifest took 1.8 GB).
pub fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<String, YamlFileError> {
    use std::io::Read;
    let io = |source| YamlFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let too_large = |size| YamlFileError::TooLarge {
        path: path.to_path_buf(),
        what,
        size,
        limit,
    };
    if let Ok(meta) = file.metadata() {
        if meta.is_file() && meta.len() > limit {
            return Err(too_large(meta.len()));
        }
    }
    // The file may grow, or not be a regular file: never read more than the limit.
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        YamlFileError::Schema {
            path: path.to_path_buf(),
            loc: text_location(good),
            message: format!(
                "{what} must be UTF-8 text; the byte here is not (save the file as UTF-8)"
            ),
        }
    })
}

/// The 1-based line and column just after `before` (columns count characters).
pub fn text_location(before: &[u8]) -> Location {
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Location {
        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
        col,
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

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr::LoadableYamlNode;

    #[test]
    fn same_documents_as_saphyr() {
        let text =
            "base: x\nreleases:\n  - name: a\n    patches: [p, q]\n    must: true\n---\n- 1\n";
        assert_eq!(
            load_str(text).unwrap(),
            MarkedYaml::load_from_str(text).unwrap()
        );
        assert!(load_str("").unwrap().is_empty());
        let e = load_str("a: [b").unwrap_err();
        assert_eq!(
            e.info(),
            MarkedYaml::load_from_str("a: [b").unwrap_err().info()
        );
    }

    /// 20,000 nested block lists used to overflow the stack inside saphyr (and abort the
    /// process); now they are an error at the first level past the limit.
    #[test]
    fn deep_block_nesting_is_an_error_not_a_crash() {
        let text = "- ".repeat(20_000) + "x\n";
        let e = load_str(&text).unwrap_err();
        assert_eq!(e.marker().line(), 1);
        assert_eq!(e.marker().col() + 1, 2 * MAX_YAML_DEPTH + 1);
        assert!(e.info().contains("64 levels"), "{}", e.info());
        // Mappings count too, on separate lines.
        let mut text = String::new();
        for i in 0..2_000 {
            text.push_str(&" ".repeat(i));
            text.push_str("k:\n");
        }
        let e = load_str(&text).unwrap_err();
        assert_eq!(e.marker().line(), MAX_YAML_DEPTH + 1);
        // Flow collections stop in the scanner or here, never in a crash.
        assert!(load_str(&("[".repeat(20_000) + &"]".repeat(20_000))).is_err());
        assert!(load_str(&("{a: ".repeat(200) + &"}".repeat(200))).is_err());
    }

    #[test]
    fn nesting_up_to_the_limit_loads() {
        let text = "- ".repeat(MAX_YAML_DEPTH) + "x\n";
        assert_eq!(load_str(&text).unwrap().len(), 1);
        assert!(load_str_with_limit(&text, MAX_YAML_DEPTH - 1).is_err());
    }
}
