//! The JSON API under `/api/v1/`.

use super::*;

/// The lines in the shape of the endoflife.date API (`/api/<product>.json`), so that
/// dashboards that read endoflife.date can read the program: `support` is the end of community
/// support, `eol` the end of the program's support (`false` while supported until further
/// notice), `extendedSupport` the LTS end, `lts` whether the line is in the program, `latest`
/// the newest release (the program's, else upstream's) and `latestReleaseDate` the day the
/// program shipped it, when known. Newest line first, as endoflife.date lists cycles.
pub(super) fn eol_cycles(site: &Site<'_>) -> serde_json::Value {
    use serde_json::Value;
    let date = |d: Option<klts_core::lifecycle::Date>| match d {
        Some(d) => Value::String(d.to_string()),
        None => Value::Bool(false),
    };
    let cycles: Vec<Value> = site
        .lines
        .iter()
        .map(|l| {
            let st = &l.status;
            let further_notice = st.lts_end.is_none() && st.lts_basis == Some("policy");
            let eol = match (st.in_program || further_notice, st.lts_end) {
                (true, Some(end)) => Value::String(end.to_string()),
                (true, None) if further_notice => Value::Bool(false),
                _ => date(st.community_eol),
            };
            let mut c = serde_json::json!({
                "cycle": l.line,
                "releaseDate": st.released.to_string(),
                "support": date(st.community_eol),
                "eol": eol,
                "extendedSupport": match st.lts_end {
                    Some(end) => Value::String(end.to_string()),
                    None => Value::Bool(further_notice),
                },
                "lts": st.in_program || further_notice,
                "latest": l.newest.as_deref().map(|n| n.trim_start_matches('v')).unwrap_or_default(),
            });
            if let Some(a) = &st.activity {
                c["latestReleaseDate"] = Value::String(a.date.to_string());
            }
            c
        })
        .collect();
    Value::Array(cycles)
}

pub(super) fn api_endpoints(site: &Site<'_>) -> serde_json::Value {
    let e = |path: &str, description: &str| serde_json::json!({ "path": api_at(site, path), "description": description });
    serde_json::json!([
        e("/index.json", "this list"),
        e("/lines.json", "every minor line with its lifecycle status"),
        e("/eol.json", "every line in the endoflife.date API shape (cycle, releaseDate, support, eol, lts, latest, …)"),
        e("/lines/{line}.json", "one line (`1.17`)"),
        e("/releases.json", "every LTS release, summarized"),
        e("/releases/{name}.json", "one release: chain, patches, advisories, install instructions"),
        e("/advisories.json", "advisory summaries (live server: ?severity=&q=)"),
        e("/advisories/{id}.json", "one advisory (id or alias) with its status in each release"),
        e("/matrix.json", "releases × advisories (live server: ?severity=&line=&status=)"),
        e("/status/{version}.json", "what a cluster at a version is exposed to (static build: LTS releases and the newest upstream patch of each line)"),
    ])
}

/// The products of the portal: the program's, or this site alone.
pub(super) fn products(site: &Site<'_>) -> Vec<crate::data::ProductLink> {
    if !site.products.is_empty() {
        return site.products.clone();
    }
    vec![crate::data::ProductLink {
        name: site.product_kind.as_str().to_string(),
        display_name: product_name(site),
        href: at(site, "/"),
        api: api_at(site, "/index.json"),
    }]
}

pub(super) fn api(site: &Site<'_>, rest: &[&str], trailing_slash: bool, query: &str) -> Response {
    // The path as the client asked for it (a product's API is under its prefix).
    let full = match rest.split_first() {
        Some((&"v1", tail)) => api_at(site, &format!("/{}", tail.join("/"))),
        _ => format!("/api/{}", rest.join("/")),
    };
    if trailing_slash && !matches!(rest, ["v1"]) {
        return json_error(404, &format!("no such API path: {}", clip(&full, 200)));
    }
    let strip = |s: &str| {
        s.strip_suffix(".json")
            .map(str::to_string)
            .unwrap_or_else(|| s.to_string())
    };
    match rest {
        ["v1"] | ["v1", "index.json"] | ["v1", "index"] => {
            let paths: Vec<String> = all_paths(site)
                .into_iter()
                .filter(|p| p.starts_with("/api/"))
                .collect();
            Response::json(
                200,
                &serde_json::json!({
                    "api": "klts portal",
                    "version": 1,
                    "product": site.product,
                    "generated": site.date.to_string(),
                    "advisories_as_of": site.advisories_as_of,
                    "workspace": site.workspace,
                    "errors": site.errors,
                    "endpoints": api_endpoints(site),
                    "products": products(site),
                    "paths": paths,
                }),
            )
        }
        ["v1", "eol.json"] | ["v1", "eol"] => Response::json(200, &eol_cycles(site)),
        ["v1", "lines.json"] | ["v1", "lines"] => Response::json(
            200,
            &serde_json::json!({ "generated": site.date.to_string(), "lines": site.lines }),
        ),
        ["v1", "lines", l] => match site.line(&strip(l)) {
            Some(line) => Response::json(200, line),
            None => json_error(404, &format!("no line {}", clip(&strip(l), 60))),
        },
        ["v1", "releases.json"] | ["v1", "releases"] => {
            let releases: Vec<serde_json::Value> = site
                .releases
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.name,
                        "line": r.line,
                        "base_tag": r.base_tag,
                        "must": r.must,
                        "materialized": r.materialized,
                        "commit": r.commit,
                        "previous": r.previous,
                        "fixed": r.fixed.iter().map(|a| &a.id).collect::<Vec<_>>(),
                        "open": r.open.iter().map(|a| &a.id).collect::<Vec<_>>(),
                        "ignored": r.ignored.iter().map(|a| &a.id).collect::<Vec<_>>(),
                        "page": release_href(site, &r.name),
                    })
                })
                .collect();
            Response::json(
                200,
                &serde_json::json!({ "generated": site.date.to_string(), "releases": releases }),
            )
        }
        ["v1", "releases", r] => match site.release_or_stage(&strip(r)) {
            Some(rel) => Response::json(200, rel),
            None => json_error(404, &format!("no release {}", clip(&strip(r), 60))),
        },
        ["v1", "advisories.json"] | ["v1", "advisories"] => {
            let f = match parse_filters(site, query, &["severity", "q", "page"]) {
                Ok(f) => f,
                Err(e) => return json_error(400, &english(&e)),
            };
            let list: Vec<serde_json::Value> = site
                .advisories
                .iter()
                .filter(|a| f.severity.is_none_or(|min| a.advisory.severity >= min))
                .filter(|a| advisory_matches(a, &f.q))
                .map(|a| {
                    let mut v =
                        serde_json::to_value(&a.advisory).unwrap_or(serde_json::Value::Null);
                    if let serde_json::Value::Object(m) = &mut v {
                        m.insert("summary".into(), serde_json::json!(a.summary));
                        m.insert("open_in".into(), serde_json::json!(a.open_in));
                        m.insert(
                            "fixed_by_lts_in".into(),
                            serde_json::json!(a.fixed_by_lts_in),
                        );
                        m.insert(
                            "page".into(),
                            serde_json::json!(advisory_href(site, &a.advisory.id)),
                        );
                    }
                    v
                })
                .collect();
            let (list, pagination) = paginate(list, &f, &api_at(site, "/advisories.json"));
            Response::json(
                200,
                &serde_json::json!({
                    "generated": site.date.to_string(),
                    "advisories_as_of": site.advisories_as_of,
                    "pagination": pagination,
                    "advisories": list,
                }),
            )
        }
        ["v1", "advisories", id] => match find_advisory(site, &strip(id)) {
            Some(a) => Response::json(200, a),
            None => json_error(404, &format!("no advisory {}", clip(&strip(id), 60))),
        },
        ["v1", "matrix.json"] | ["v1", "matrix"] => {
            let f = match parse_filters(site, query, &["severity", "line", "status", "page"]) {
                Ok(f) => f,
                Err(e) => return json_error(400, &english(&e)),
            };
            let m = filter_matrix(site, &f);
            let rows: Vec<MatrixRowOut> = m
                .rows
                .iter()
                .map(|r| MatrixRowOut {
                    advisory: &r.advisory,
                    cells: m.columns.iter().filter_map(|&i| r.cells.get(i)).collect(),
                })
                .collect();
            let (rows, pagination) = paginate(rows, &f, &api_at(site, "/matrix.json"));
            let out = MatrixOut {
                pagination,
                filter: serde_json::json!({
                    "severity": f.severity.map(|s| s.to_string()),
                    "lines": f.lines.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
                    "statuses": f.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                }),
                releases: m
                    .columns
                    .iter()
                    .filter_map(|&i| site.matrix.releases.get(i).map(String::as_str))
                    .collect(),
                rows,
            };
            Response::json(200, &out)
        }
        ["v1", "status", v] => match site.version_status(&strip(v)) {
            Ok(value) => Response::json(200, &value),
            Err((400, e)) => {
                json_error(400, &format!("bad version `{}`: {e}", clip(&strip(v), 60)))
            }
            Err((code, e)) => json_error(code, &clip(&e, 300)),
        },
        _ => json_error(
            404,
            &format!(
                "no such API path: {}; see {}",
                clip(&full, 200),
                api_at(site, "/index.json")
            ),
        ),
    }
}
