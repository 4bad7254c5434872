//! `lifecycle.yml`: a workspace's corrections, additions and support decisions.

use super::*;

/// A parsed `lifecycle.yml`: lifecycle facts and policy settings of a workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifecycleFile {
    /// `product`: which product the lines describe (`kubernetes` when absent).
    pub product: Option<String>,
    /// `lts_years`: years of LTS support after community end of life.
    pub lts_years: Option<u32>,
    /// `lines`: facts that correct or extend the calendar, in file order.
    pub lines: Vec<LineFacts>,
    /// `support`: the program's own support decision per line, in file order.
    pub support: Vec<LineSupport>,
}

/// The program's decision for one line (`support:` in `lifecycle.yml`): how long it is
/// supported, whatever `community_eol + lts_years` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineSupport {
    /// The line.
    pub line: MinorLine,
    /// The last day of support.
    pub until: SupportUntil,
}

/// The end of a line's support decided by the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "date")]
pub enum SupportUntil {
    /// A last day.
    Date(Date),
    /// Supported until the program announces an end (`until: further-notice`).
    FurtherNotice,
}

/// Why a `lifecycle.yml` could not be read (see [`crate::yaml::YamlFileError`]).
pub type LifecycleError = crate::yaml::YamlFileError;

/// Reads and parses a `lifecycle.yml`.
pub fn load_lifecycle_file(path: &Path) -> Result<LifecycleFile, LifecycleError> {
    let text = std::fs::read_to_string(path).map_err(|source| LifecycleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_lifecycle_file(&text, path)
}

/// Parses the text of a workspace `lifecycle.yml`; `path` is only used in messages, which
/// name `path:line:col`.
///
/// Top-level keys: `product` (a string), `lts_years` (a whole number of years, at most 100),
/// `lines` (a list) and `source` (a citation, accepted and ignored). Each line has `line`
/// (`"1.17"`; an unquoted `1.17` is accepted as written), `released` (`YYYY-MM-DD`), and
/// optionally `community_eol` (`YYYY-MM-DD`, not before `released`) and `latest_patch` (a
/// version of that line). Unknown keys and repeated lines are errors, so that a typo cannot
/// silently leave a date out. An empty file is an empty [`LifecycleFile`].
pub fn parse_lifecycle_file(text: &str, path: &Path) -> Result<LifecycleFile, LifecycleError> {
    parse(text, path).map(|parsed| parsed.file)
}

/// A lifecycle file together with its `source:` citation.
pub(crate) struct Parsed {
    pub(crate) file: LifecycleFile,
    pub(crate) source: Option<String>,
}

/// Parses lifecycle text, keeping the `source:` citation (used by the built-in calendar).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Parsed, LifecycleError> {
    let docs = crate::yaml::load_str(text).map_err(|e| LifecycleError::Yaml {
        path: path.to_path_buf(),
        loc: Location {
            line: e.marker().line(),
            col: e.marker().col() + 1,
        },
        message: e.info().to_string(),
    })?;
    let p = Parser { path, text };
    let root = match docs.as_slice() {
        [] => {
            return Ok(Parsed {
                file: LifecycleFile::default(),
                source: None,
            })
        }
        [doc] => doc,
        [_, second, ..] => {
            return Err(p.err(
                loc(second),
                "more than one YAML document: a lifecycle file is a single document",
            ))
        }
    };
    if matches!(root.data, YamlData::Value(Scalar::Null)) {
        return Ok(Parsed {
            file: LifecycleFile::default(),
            source: None,
        });
    }
    let mut file = LifecycleFile::default();
    let mut source = None;
    for (key, key_loc, value) in p.mapping(root, "the lifecycle file")? {
        match key.as_str() {
            "product" => {
                let (product, at) = p.string(value, "product")?;
                if product.is_empty() {
                    return Err(p.err(at, "`product` is empty: name the product, e.g. kubernetes"));
                }
                file.product = Some(product);
            }
            "lts_years" => file.lts_years = p.lts_years(value)?,
            "source" => source = Some(p.string(value, "source")?.0),
            "lines" => {
                for item in p.sequence(value, "lines")? {
                    let facts = p.line_facts(item)?;
                    if file.lines.iter().any(|f| f.line == facts.line) {
                        return Err(p.err(
                            loc(item),
                            format!(
                                "line {} is listed twice: keep one entry per line",
                                facts.line
                            ),
                        ));
                    }
                    file.lines.push(facts);
                }
            }
            "support" => {
                for item in p.sequence(value, "support")? {
                    let entry = p.line_support(item)?;
                    if file.support.iter().any(|s| s.line == entry.line) {
                        return Err(p.err(
                            loc(item),
                            format!(
                                "line {} is listed twice under `support`: keep one decision per line",
                                entry.line
                            ),
                        ));
                    }
                    file.support.push(entry);
                }
            }
            other => {
                return Err(p.err(
                    key_loc,
                    format!(
                        "unknown key `{other}`: a lifecycle file has `product`, `lts_years`, `lines`, `support` and `source`"
                    ),
                ))
            }
        }
    }
    Ok(Parsed { file, source })
}

use crate::yaml::{describe, loc};

/// The lifecycle-file reader: shape checks with positions.
pub(crate) struct Parser<'p> {
    path: &'p Path,
    text: &'p str,
}

impl Parser<'_> {
    fn err(&self, loc: Location, message: impl Into<String>) -> LifecycleError {
        LifecycleError::Schema {
            path: self.path.to_path_buf(),
            loc,
            message: message.into(),
        }
    }

    /// The entries of a mapping with string keys: `(key, key position, value)`.
    fn mapping<'a, 'y>(
        &self,
        node: &'a MarkedYaml<'y>,
        what: &str,
    ) -> Result<Vec<(String, Location, &'a MarkedYaml<'y>)>, LifecycleError> {
        match &node.data {
            YamlData::Mapping(map) => map
                .iter()
                .map(|(k, v)| {
                    let (key, at) = self.string(k, "a key")?;
                    Ok((key, at, v))
                })
                .collect(),
            _ => Err(self.err(
                loc(node),
                format!("expected a mapping for {what}, found {}", describe(node)),
            )),
        }
    }

    fn sequence<'a, 'y>(
        &self,
        node: &'a MarkedYaml<'y>,
        what: &str,
    ) -> Result<&'a [MarkedYaml<'y>], LifecycleError> {
        crate::yaml::sequence(self.path, node, what)
    }

    /// A string scalar, trimmed, with its position.
    fn string(
        &self,
        node: &MarkedYaml<'_>,
        what: &str,
    ) -> Result<(String, Location), LifecycleError> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) | YamlData::Representation(s, _, _) => {
                Ok((s.trim().to_owned(), loc(node)))
            }
            _ => Err(self.err(
                loc(node),
                format!("expected a string for `{what}`, found {}", describe(node)),
            )),
        }
    }

    /// The text a scalar node was written as, when the span points into the source.
    fn raw(&self, node: &MarkedYaml<'_>) -> Option<&str> {
        let (start, end) = (node.span.start.index(), node.span.end.index());
        if end <= start {
            return None;
        }
        let mut chars = self
            .text
            .char_indices()
            .map(|(i, _)| i)
            .chain([self.text.len()]);
        let from = chars.nth(start)?;
        let to = chars.nth(end - start - 1)?;
        self.text.get(from..to).map(str::trim)
    }

    fn lts_years(&self, node: &MarkedYaml<'_>) -> Result<Option<u32>, LifecycleError> {
        match &node.data {
            YamlData::Value(Scalar::Null) => Ok(None),
            YamlData::Value(Scalar::Integer(n)) if (0..=100).contains(n) => {
                Ok(u32::try_from(*n).ok())
            }
            _ => Err(self.err(
                loc(node),
                format!(
                    "expected a whole number of years from 0 to 100 for `lts_years`, found {}",
                    describe(node)
                ),
            )),
        }
    }

    fn line(&self, node: &MarkedYaml<'_>) -> Result<MinorLine, LifecycleError> {
        let at = loc(node);
        let text = match &node.data {
            YamlData::Value(Scalar::String(s)) | YamlData::Representation(s, _, _) => {
                s.trim().to_owned()
            }
            // An unquoted 1.17 is a YAML number; read it as written (1.10 is not 1.1).
            YamlData::Value(Scalar::FloatingPoint(_) | Scalar::Integer(_)) => {
                match self.raw(node) {
                    Some(raw) => raw.to_owned(),
                    None => {
                        return Err(self.err(
                            at,
                            format!(
                            "expected a minor line such as \"1.17\" for `line`, found {}: quote it",
                            describe(node)
                        ),
                        ))
                    }
                }
            }
            _ => {
                return Err(self.err(
                    at,
                    format!(
                        "expected a minor line such as \"1.17\" for `line`, found {}",
                        describe(node)
                    ),
                ))
            }
        };
        text.parse::<MinorLine>()
            .map_err(|e| self.err(at, format!("`line`: {e}")))
    }

    fn date(&self, node: &MarkedYaml<'_>, what: &str) -> Result<Date, LifecycleError> {
        let at = loc(node);
        let text = match &node.data {
            YamlData::Value(Scalar::String(s)) | YamlData::Representation(s, _, _) => s.trim(),
            _ => {
                return Err(self.err(
                    at,
                    format!(
                        "expected a date YYYY-MM-DD for `{what}`, found {}",
                        describe(node)
                    ),
                ))
            }
        };
        Date::parse(text).map_err(|e| self.err(at, format!("`{what}`: {e}")))
    }

    /// `{line: "1.17", until: 2027-06-30}` or `{line: "1.17", until: further-notice}`.
    fn line_support(&self, node: &MarkedYaml<'_>) -> Result<LineSupport, LifecycleError> {
        let start = loc(node);
        let (mut line, mut until) = (None, None);
        for (key, key_loc, value) in self.mapping(node, "an entry of `support`")? {
            match key.as_str() {
                "line" => line = Some(self.line(value)?),
                "until" => {
                    let is_notice = matches!(&value.data, YamlData::Value(Scalar::String(t)) if t.trim() == "further-notice");
                    until = Some(if is_notice {
                        SupportUntil::FurtherNotice
                    } else {
                        SupportUntil::Date(self.date(value, "until").map_err(|e| match e {
                            LifecycleError::Schema { path, loc, message } => LifecycleError::Schema {
                                path,
                                loc,
                                message: format!("{message}\n  help: write a day (2027-06-30) or `further-notice`"),
                            },
                            other => other,
                        })?)
                    });
                }
                other => {
                    return Err(self.err(
                        key_loc,
                        format!("unknown key `{other}`: a support decision has `line` and `until`"),
                    ))
                }
            }
        }
        let line = line.ok_or_else(|| {
            self.err(
                start,
                "an entry of `support` without `line` (e.g. line: \"1.17\")",
            )
        })?;
        let until = until.ok_or_else(|| {
            self.err(
                start,
                format!("line {line} has no `until`: a day (2027-06-30) or `further-notice`"),
            )
        })?;
        Ok(LineSupport { line, until })
    }

    fn line_facts(&self, node: &MarkedYaml<'_>) -> Result<LineFacts, LifecycleError> {
        let start = loc(node);
        let (mut line, mut released, mut eol, mut patch) = (None, None, None, None);
        for (key, key_loc, value) in self.mapping(node, "an entry of `lines`")? {
            let is_null = matches!(value.data, YamlData::Value(Scalar::Null));
            match key.as_str() {
                "line" => line = Some(self.line(value)?),
                "released" => released = Some(self.date(value, "released")?),
                "community_eol" if is_null => eol = None,
                "community_eol" => eol = Some((self.date(value, "community_eol")?, loc(value))),
                "latest_patch" if is_null => patch = None,
                "latest_patch" => {
                    let (text, at) = match &value.data {
                        YamlData::Value(Scalar::FloatingPoint(_) | Scalar::Integer(_)) => {
                            (self.raw(value).unwrap_or_default().to_owned(), loc(value))
                        }
                        _ => self.string(value, "latest_patch")?,
                    };
                    let version = Version::parse(&text)
                        .map_err(|e| self.err(at, format!("`latest_patch`: {e}")))?;
                    patch = Some((version, at));
                }
                other => {
                    return Err(self.err(
                        key_loc,
                        format!(
                            "unknown key `{other}`: a line has `line`, `released`, `community_eol` and `latest_patch`"
                        ),
                    ))
                }
            }
        }
        let line = line.ok_or_else(|| {
            self.err(
                start,
                "an entry of `lines` without `line` (e.g. line: \"1.17\")",
            )
        })?;
        let released = released.ok_or_else(|| {
            self.err(
                start,
                format!("line {line} has no `released` date (the day {line}.0 was published)"),
            )
        })?;
        if let Some((eol, at)) = eol {
            if eol < released {
                return Err(self.err(
                    at,
                    format!("line {line}: `community_eol` {eol} is before `released` {released}"),
                ));
            }
        }
        if let Some((version, at)) = &patch {
            if version.line() != line {
                return Err(self.err(
                    *at,
                    format!(
                        "line {line}: `latest_patch` {version} belongs to line {}",
                        version.line()
                    ),
                ));
            }
        }
        Ok(LineFacts {
            line,
            released,
            community_eol: eol.map(|(d, _)| d),
            latest_patch: patch.map(|(v, _)| v.to_string()),
        })
    }
}
