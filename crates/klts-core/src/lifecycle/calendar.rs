//! The calendar: what is known about each minor line ([`LineFacts`], [`Calendar`]).

use super::*;

/// What is known about one minor line: the facts the policy is applied to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineFacts {
    /// The minor line (`1.17`).
    pub line: MinorLine,
    /// The day the `x.y.0` release was published.
    pub released: Date,
    /// The last day of community support; `None` while not announced.
    pub community_eol: Option<Date>,
    /// The newest upstream patch release of the line, canonical (`v1.17.17`).
    pub latest_patch: Option<String>,
}

/// The lifecycle facts of every minor line of one product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Calendar {
    /// The product the lines belong to (`kubernetes`).
    pub product: String,
    /// One entry per line, sorted by line, oldest first.
    pub lines: Vec<LineFacts>,
    /// Where the facts come from (a citation for pages and reports).
    pub source: String,
}

impl Calendar {
    /// The built-in Kubernetes calendar, every minor line from 1.0 on (embedded from
    /// `data/kubernetes-lifecycle.yml`; parsed once per process).
    ///
    /// Never panics: should the embedded data ever fail to parse, the calendar is empty and
    /// [`Calendar::source`] carries the error (a unit test keeps that from shipping).
    pub fn builtin() -> Calendar {
        Self::builtin_ref().clone()
    }

    /// [`Calendar::builtin`] without a copy, for hot paths (every status of a matrix asks it
    /// which lines upstream supported on a date).
    pub fn builtin_ref() -> &'static Calendar {
        Calendar::builtin_for(Product::Kubernetes)
    }

    /// The built-in calendar of a product (embedded from `data/<product>-lifecycle.yml`,
    /// parsed once per process). A generic Go project has none: its calendar is empty and
    /// its [`Calendar::source`] says so.
    ///
    /// Never panics: should the embedded data ever fail to parse, the calendar is empty and
    /// [`Calendar::source`] carries the error (a unit test keeps that from shipping).
    pub fn builtin_for(product: Product) -> &'static Calendar {
        static KUBERNETES: OnceLock<Calendar> = OnceLock::new();
        static CONTAINERD: OnceLock<Calendar> = OnceLock::new();
        static RUNC: OnceLock<Calendar> = OnceLock::new();
        static GENERIC: OnceLock<Calendar> = OnceLock::new();
        let (cell, text, path) = match product {
            Product::Kubernetes => (&KUBERNETES, BUILTIN, BUILTIN_PATH),
            Product::Containerd => (&CONTAINERD, BUILTIN_CONTAINERD.0, BUILTIN_CONTAINERD.1),
            Product::Runc => (&RUNC, BUILTIN_RUNC.0, BUILTIN_RUNC.1),
            Product::Generic => {
                return GENERIC.get_or_init(|| Calendar {
                    product: Product::Generic.as_str().to_owned(),
                    lines: Vec::new(),
                    source: "no release calendar: a generic Go project has none built in (add a lifecycle.yml with its lines)".to_owned(),
                })
            }
        };
        cell.get_or_init(|| match parse(text, Path::new(path)) {
            Ok(parsed) => Calendar::from_lines(
                parsed
                    .file
                    .product
                    .unwrap_or_else(|| product.as_str().to_owned()),
                parsed.file.lines,
                parsed
                    .source
                    .unwrap_or_else(|| "built-in lifecycle data".to_owned()),
            ),
            Err(e) => Calendar {
                product: product.as_str().to_owned(),
                lines: Vec::new(),
                source: format!("the built-in lifecycle data is unreadable: {e}"),
            },
        })
    }

    /// The facts of `line`, if the calendar has them.
    pub fn get(&self, line: MinorLine) -> Option<&LineFacts> {
        self.lines.iter().find(|f| f.line == line)
    }

    /// This calendar with a workspace `lifecycle.yml` applied: each line of the file replaces
    /// the calendar's entry for that line or is added. A file naming a different `product:`
    /// (compared case-insensitively) starts from that product's built-in calendar
    /// (`containerd`, `runc`), or from an empty one for a product klts does not know. The file's `lts_years` is policy, not facts: apply it to [`Policy`].
    pub fn with_overrides(&self, file: &LifecycleFile) -> Calendar {
        let other_product = file
            .product
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.eq_ignore_ascii_case(self.product.trim()));
        // The same product corrects this calendar; another built-in product starts from its
        // own built-in calendar; anything else starts empty.
        let start: Option<&Calendar> = match other_product {
            None => Some(self),
            Some(name) => Product::parse(name)
                .filter(|p| *p != Product::Generic)
                .map(Calendar::builtin_for),
        };
        let mut calendar = match start {
            Some(start) => {
                let mut same = start.clone();
                if !file.lines.is_empty() {
                    same.source = format!(
                        "{}; with corrections from the workspace {LIFECYCLE_FILE}",
                        start.source
                    );
                }
                same
            }
            None => Calendar {
                product: other_product.unwrap_or_default().to_owned(),
                lines: Vec::new(),
                source: format!("the workspace {LIFECYCLE_FILE}"),
            },
        };
        for facts in &file.lines {
            calendar.upsert(facts.clone());
        }
        calendar.lines.sort_by_key(|f| f.line);
        calendar
    }

    /// A calendar from lines in any order; a later entry for a line replaces an earlier one.
    fn from_lines(product: String, lines: Vec<LineFacts>, source: String) -> Calendar {
        let mut calendar = Calendar {
            product,
            lines: Vec::new(),
            source,
        };
        for facts in lines {
            calendar.upsert(facts);
        }
        calendar.lines.sort_by_key(|f| f.line);
        calendar
    }

    /// Replaces the entry for `facts.line`, or appends `facts` (the caller sorts).
    fn upsert(&mut self, facts: LineFacts) {
        match self.lines.iter_mut().find(|f| f.line == facts.line) {
            Some(entry) => *entry = facts,
            None => self.lines.push(facts),
        }
    }
}
