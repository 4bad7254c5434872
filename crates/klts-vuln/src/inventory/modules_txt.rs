//! `vendor/modules.txt`: what is actually vendored; its versions win over go.mod's.

use super::{warn, InventoryCode, VENDOR_MODULES_TXT};
use klts_core::diag::Diagnostic;
use serde::{Deserialize, Serialize};

/// A module line of vendor/modules.txt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendoredModule {
    /// Module path.
    pub path: String,
    /// Version; `None` for a replacement-only line (`# path => ./dir`).
    pub version: Option<String>,
    /// `(path, version)` of the replacement (version `None` for a local directory).
    pub replacement: Option<(String, Option<String>)>,
    /// Marked `## explicit` (required directly in go.mod).
    pub explicit: bool,
}

/// What klts reads of vendor/modules.txt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ModulesTxt {
    /// Module lines, in file order.
    pub modules: Vec<VendoredModule>,
    /// Lines that could not be understood.
    pub warnings: Vec<Diagnostic>,
}

/// Parse vendor/modules.txt: `# path version`, `# old version => new version`,
/// `# old => ./dir`, `## explicit[; go 1.x]`; package lines are skipped.
pub fn parse_modules_txt(text: &str) -> ModulesTxt {
    let mut mt = ModulesTxt::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(annotations) = line.strip_prefix("##") {
            let explicit = annotations.split(';').any(|a| a.trim() == "explicit");
            if let Some(last) = mt.modules.last_mut() {
                last.explicit |= explicit;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix('#') else {
            continue; // a package line, or empty
        };
        let tokens: Vec<&str> = rest.split_whitespace().collect();
        let (old, new) = match tokens.iter().position(|t| *t == "=>") {
            Some(i) => (&tokens[..i], Some(&tokens[i + 1..])),
            None => (&tokens[..], None),
        };
        let (path, version) = match old {
            [p] => (p.to_string(), None),
            [p, v] => (p.to_string(), Some(v.to_string())),
            _ => {
                mt.warnings.push(warn(
                    InventoryCode::Malformed,
                    VENDOR_MODULES_TXT,
                    Some(n + 1),
                    format!("malformed module line: {line}"),
                ));
                continue;
            }
        };
        let replacement = match new {
            None => None,
            Some([p]) => Some((p.to_string(), None)),
            Some([p, v]) => Some((p.to_string(), Some(v.to_string()))),
            Some(_) => {
                mt.warnings.push(warn(
                    InventoryCode::Malformed,
                    VENDOR_MODULES_TXT,
                    Some(n + 1),
                    format!("malformed replacement: {line}"),
                ));
                continue;
            }
        };
        if version.is_none() && replacement.is_none() {
            mt.warnings.push(warn(
                InventoryCode::Malformed,
                VENDOR_MODULES_TXT,
                Some(n + 1),
                format!("module {path} without a version"),
            ));
            continue;
        }
        mt.modules.push(VendoredModule {
            path,
            version,
            replacement,
            explicit: false,
        });
    }
    mt
}
