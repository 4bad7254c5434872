//! `go.mod`: `require` (lines and blocks, `// indirect`), `replace` (single and block forms,
//! versioned and local-path targets), and the `go` and `toolchain` directives.

use super::{warn, InventoryCode, GO_MOD};
use klts_core::diag::Diagnostic;
use serde::{Deserialize, Serialize};

/// A `require` of go.mod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Require {
    /// Module path.
    pub path: String,
    /// Version as written.
    pub version: String,
    /// Marked `// indirect`.
    pub indirect: bool,
}

/// A `replace` directive of go.mod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replace {
    /// The replaced module.
    pub old_path: String,
    /// The replaced version, when the directive names one (else every version is replaced).
    pub old_version: Option<String>,
    /// The replacement module path, or a local directory.
    pub new_path: String,
    /// The replacement version; `None` for a local directory.
    pub new_version: Option<String>,
}

/// What klts reads of a go.mod file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GoMod {
    /// The `module` path.
    pub module: Option<String>,
    /// The `go` directive (`1.16`, `1.22.0`).
    pub go: Option<String>,
    /// The `toolchain` directive (`go1.21.5`).
    pub toolchain: Option<String>,
    /// The `require`s, in file order.
    pub requires: Vec<Require>,
    /// The `replace`s, in file order.
    pub replaces: Vec<Replace>,
    /// Lines that could not be understood.
    pub warnings: Vec<Diagnostic>,
}

impl GoMod {
    /// The replacement `(path, version)` of `path` at `version` (version empty for a local
    /// directory): a replace of that exact version wins over one of every version, and a later
    /// directive over an earlier one.
    pub fn replacement_of(&self, path: &str, version: &str) -> Option<(String, String)> {
        let exact = self
            .replaces
            .iter()
            .rev()
            .find(|r| r.old_path == path && r.old_version.as_deref() == Some(version));
        let any = || {
            self.replaces
                .iter()
                .rev()
                .find(|r| r.old_path == path && r.old_version.is_none())
        };
        exact.or_else(any).map(|r| {
            (
                r.new_path.clone(),
                r.new_version.clone().unwrap_or_default(),
            )
        })
    }
}

/// One line of go.mod split into tokens, and its `//` comment.
fn tokenize_line(line: &str) -> (Vec<String>, Option<String>) {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut chars = line.char_indices().peekable();
    let mut comment = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '/' if line[i..].starts_with("//") => {
                comment = Some(line[i + 2..].trim().to_string());
                break;
            }
            '"' => {
                // Interpreted string: backslash escapes.
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                cur.push(e);
                            }
                        }
                        c => cur.push(c),
                    }
                }
                tokens.push(std::mem::take(&mut cur));
            }
            '`' => {
                for (_, c) in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                    cur.push(c);
                }
                tokens.push(std::mem::take(&mut cur));
            }
            '(' | ')' => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                tokens.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    (tokens, comment)
}

/// Whether a replacement target is a local directory rather than a module path.
fn is_local_path(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || (p.len() > 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic())
}

/// Whether a comment marks a requirement indirect (`// indirect`, `// indirect; …`).
fn is_indirect(comment: Option<&str>) -> bool {
    comment.is_some_and(|c| c == "indirect" || c.starts_with("indirect;"))
}

/// Parse a go.mod file. Never fails: what cannot be understood is reported in
/// [`GoMod::warnings`].
pub fn parse_go_mod(text: &str) -> GoMod {
    let mut gm = GoMod::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut block: Option<(String, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        let (tokens, comment) = tokenize_line(line);
        if tokens.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if tokens.len() == 1 && tokens[0] == ")" {
                block = None;
                continue;
            }
            let verb = verb.clone();
            directive(&mut gm, &verb, &tokens, comment.as_deref(), lineno);
            continue;
        }
        let verb = tokens[0].as_str();
        let args = &tokens[1..];
        if args.len() == 1 && args[0] == "(" {
            block = Some((verb.to_string(), lineno));
            continue;
        }
        if args.len() == 2 && args[0] == "(" && args[1] == ")" {
            continue;
        }
        directive(&mut gm, verb, args, comment.as_deref(), lineno);
    }
    if let Some((verb, lineno)) = block {
        gm.warnings.push(warn(
            InventoryCode::Malformed,
            GO_MOD,
            Some(lineno),
            format!("`{verb} (` block is not closed"),
        ));
    }
    gm
}

fn directive(gm: &mut GoMod, verb: &str, args: &[String], comment: Option<&str>, lineno: usize) {
    let bad = |gm: &mut GoMod, what: &str| {
        gm.warnings.push(warn(
            InventoryCode::Malformed,
            GO_MOD,
            Some(lineno),
            format!("malformed {what}: {}", args.join(" ")),
        ));
    };
    match verb {
        "module" => match args {
            [path] => gm.module = Some(path.clone()),
            _ => bad(gm, "module directive"),
        },
        "go" => match args {
            [v] => gm.go = Some(v.clone()),
            _ => bad(gm, "go directive"),
        },
        "toolchain" => match args {
            [v] => gm.toolchain = Some(v.clone()),
            _ => bad(gm, "toolchain directive"),
        },
        "require" => match args {
            [path, version] => gm.requires.push(Require {
                path: path.clone(),
                version: version.clone(),
                indirect: is_indirect(comment),
            }),
            _ => bad(gm, "require"),
        },
        "replace" => {
            let Some(arrow) = args.iter().position(|a| a == "=>") else {
                return bad(gm, "replace (no `=>`)");
            };
            let (old, new) = (&args[..arrow], &args[arrow + 1..]);
            let (old_path, old_version) = match old {
                [p] => (p.clone(), None),
                [p, v] => (p.clone(), Some(v.clone())),
                _ => return bad(gm, "replace"),
            };
            let (new_path, new_version) = match new {
                [p] => {
                    if !is_local_path(p) {
                        gm.warnings.push(warn(
                            InventoryCode::Malformed,
                            GO_MOD,
                            Some(lineno),
                            format!(
                                "replacement {p} of {old_path} has no version and is not a local path"
                            ),
                        ));
                    }
                    (p.clone(), None)
                }
                [p, v] => (p.clone(), Some(v.clone())),
                _ => return bad(gm, "replace"),
            };
            gm.replaces.push(Replace {
                old_path,
                old_version,
                new_path,
                new_version,
            });
        }
        "exclude" | "retract" | "godebug" | "tool" | "ignore" => {}
        other => gm.warnings.push(warn(
            InventoryCode::Malformed,
            GO_MOD,
            Some(lineno),
            format!("unknown directive {other:?}"),
        )),
    }
}
