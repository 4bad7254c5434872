//! A blocking client for the OCI distribution API, enough to push image layouts.
//!
//! Order of a push, so that a failure never leaves a tag pointing at an incomplete image:
//!
//! 1. every blob (layers, configs): `HEAD /v2/<name>/blobs/<digest>`, skipped when present;
//!    otherwise `POST /v2/<name>/blobs/uploads/`, `PATCH` chunks with `Content-Range`, each
//!    following the `Location` the registry returned, then `PUT <location>?digest=`; a blob
//!    already pushed to another repository in this push (a shared base layer) is mounted from
//!    there (`POST …/uploads/?mount=<digest>&from=<repo>`) instead of being sent again;
//! 2. every per-platform manifest and every index, by digest (`PUT /v2/<name>/manifests/<digest>`);
//! 3. only then the tags: `PUT /v2/<name>/manifests/<tag>` with the index.
//!
//! Authentication follows the registry's `WWW-Authenticate` challenge: `Basic` (credentials
//! sent as they are) or `Bearer realm=…,service=…,scope=…` (a token fetched from the realm,
//! with the credentials as basic auth, or anonymously without).

use crate::oci::{Descriptor, Index, Layout, OciError, ANNOTATION_REF_NAME};
use base64::Engine as _;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::time::Duration;
use ureq::http;

/// Default size of one `PATCH`.
pub const DEFAULT_CHUNK_SIZE: usize = 5 << 20;

/// Why a push failed; each names the request and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The push target is not `REGISTRY/REPOSITORY`.
    #[error("invalid push target `{target}`: {reason}\n  help: write REGISTRY/REPOSITORY, e.g. registry.example:5000/klts (images go to REPOSITORY/<component>)")]
    Target {
        /// The target as given.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No usable HTTP answer: DNS, TCP, TLS, a timeout, or an answer that broke off.
    #[error("cannot talk to the registry ({method} {url}): {reason}\n  help: {help}")]
    Connection {
        /// The HTTP method of the request.
        method: String,
        /// The URL of the request.
        url: String,
        /// The transport error.
        reason: String,
        /// What to check (the address; `--insecure-http` for a plain-HTTP registry).
        help: String,
    },
    /// The registry answered with an error status.
    #[error("registry refused {what} ({method} {url}): HTTP {status}: {detail}\n  help: {help}")]
    Refused {
        /// What was being done, e.g. `the API check` or a blob upload.
        what: String,
        /// The HTTP method of the request.
        method: String,
        /// The URL of the request.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The `code: message` lines of the registry's error body, or the start of the body.
        detail: String,
        /// What to do about it, by status (credentials, push rights, `--chunk-size`, …).
        help: String,
    },
    /// The registry answered in a way the distribution API does not allow: no `Location` after
    /// starting an upload, a token response without `token`, a stored digest other than the one
    /// sent.
    #[error("registry answered {what} ({method} {url}) unexpectedly: {reason}\n  help: is this an OCI distribution (v2) registry?")]
    Protocol {
        /// What was being done.
        what: String,
        /// The HTTP method of the request.
        method: String,
        /// The URL of the request.
        url: String,
        /// What was unexpected.
        reason: String,
    },
    /// The image layout to push could not be read.
    #[error(transparent)]
    Layout(#[from] OciError),
}

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Bytes per `PATCH`.
    pub chunk_size: usize,
    /// User name for the registry (basic auth, or to fetch a bearer token); `None`: anonymous.
    pub username: Option<String>,
    /// Password or token for `username`.
    pub password: Option<String>,
    /// Talk plain HTTP instead of HTTPS.
    pub insecure_http: bool,
    /// Bound on each request.
    pub timeout: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            chunk_size: DEFAULT_CHUNK_SIZE,
            username: None,
            password: None,
            insecure_http: false,
            timeout: Duration::from_secs(300),
        }
    }
}

/// Where images go: `registry[:port]/repo/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The registry host name or address, with an optional `:port`, e.g. `registry.example:5000`.
    pub registry: String,
    /// The repository path below which each component is pushed as `<repository>/<component>`.
    pub repository: String,
}

impl Target {
    /// Parse `[docker://]REGISTRY/REPOSITORY`: a host with an optional port, then one or more
    /// lowercase path components as the distribution spec allows.
    pub fn parse(s: &str) -> Result<Target, RegistryError> {
        let err = |reason: &str| RegistryError::Target {
            target: s.to_string(),
            reason: reason.to_string(),
        };
        let s2 = s
            .strip_prefix("docker://")
            .unwrap_or(s)
            .trim_end_matches('/');
        let (registry, repository) = s2
            .split_once('/')
            .ok_or_else(|| err("no repository after the registry"))?;
        if registry.is_empty()
            || !registry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        {
            return Err(err(
                "the registry must be a host name or address, with an optional :port",
            ));
        }
        for part in repository.split('/') {
            let ok = !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && part.as_bytes()[0].is_ascii_alphanumeric()
                && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric();
            if !ok {
                return Err(err(&format!(
                    "repository component `{part}` must be lowercase letters, digits and . _ - (starting and ending alphanumeric)"
                )));
            }
        }
        Ok(Target {
            registry: registry.to_string(),
            repository: repository.to_string(),
        })
    }
}

/// What a push did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushReport {
    /// One entry per image tagged, in push order.
    pub images: Vec<PushedImage>,
    /// Blobs sent to the registry.
    pub blobs_uploaded: usize,
    /// Blobs the registry already had (`HEAD` found them), not sent.
    pub blobs_skipped: usize,
    /// Blobs another repository of the registry had, mounted without sending them.
    pub blobs_mounted: usize,
    /// Size in bytes of the blobs sent (mounted and skipped blobs not counted).
    pub bytes_uploaded: u64,
    /// `PATCH` requests sent, over all uploaded blobs.
    pub chunks: usize,
    /// Manifests and indexes put by digest (tags not counted).
    pub manifests: usize,
}

/// One image a push tagged.
#[derive(Debug, Clone, Serialize)]
pub struct PushedImage {
    /// `registry/repository/component:tag`
    pub reference: String,
    /// Digest of the image index the tag points to.
    pub digest: String,
}

/// How a blob got into a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// Mounted from another repository of the same registry, without sending bytes.
    Mounted,
    /// Sent in `PATCH` requests, then committed with `PUT`.
    Uploaded {
        /// The number of `PATCH` requests.
        chunks: usize,
    },
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic`: send the credentials as they are.
    Basic,
    /// `Bearer`: fetch a token from the `realm`, for `service` and `scope`; the auth-params, keys
    /// lower-cased.
    Bearer(BTreeMap<String, String>),
}

/// Parse the challenges of a `WWW-Authenticate` header value (RFC 7235 auth-params,
/// quoted strings with `\` escapes). Unknown schemes are left out.
pub fn parse_challenges(value: &str) -> Vec<Challenge> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ',')
            .unwrap_or(rest.len());
        let scheme = &rest[..end];
        rest = rest[end..].trim_start_matches([' ', '\t', ',']);
        let mut params = BTreeMap::new();
        // auth-params: token = (token | quoted-string), separated by commas.
        while let Some(eq) = rest.find('=') {
            let key = rest[..eq].trim();
            if key.is_empty() || key.contains([' ', ',', '\t', '"']) {
                break;
            }
            let after = rest[eq + 1..].trim_start();
            let (val, remaining) = if let Some(q) = after.strip_prefix('"') {
                let mut v = String::new();
                let mut chars = q.char_indices();
                let mut end = q.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                v.push(n);
                            }
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => v.push(c),
                    }
                }
                (v, &q[end.min(q.len())..])
            } else {
                let e = after.find(',').unwrap_or(after.len());
                (after[..e].trim().to_string(), &after[e..])
            };
            params.insert(key.to_ascii_lowercase(), val);
            rest = remaining.trim_start_matches([' ', '\t', ',']);
        }
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => out.push(Challenge::Basic),
            "bearer" => out.push(Challenge::Bearer(params)),
            _ => {}
        }
        if scheme.is_empty() {
            break;
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `code: message` lines of a distribution-spec error body, or its start.
fn error_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        code: Option<String>,
        message: Option<String>,
    }
    if let Ok(e) = serde_json::from_slice::<Errors>(body) {
        if !e.errors.is_empty() {
            return e
                .errors
                .iter()
                .map(|i| {
                    format!(
                        "{} {}",
                        i.code.as_deref().unwrap_or("ERROR"),
                        i.message.as_deref().unwrap_or("")
                    )
                    .trim()
                    .to_string()
                })
                .collect::<Vec<_>>()
                .join("; ");
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(no body)".into()
    } else {
        text.chars().take(300).collect()
    }
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A session with one registry.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    options: PushOptions,
    /// `Authorization` value per repository ("" = registry-wide).
    auth: HashMap<String, String>,
}

impl Client {
    /// A client for `registry` (`host[:port]`); HTTPS unless [`PushOptions::insecure_http`]. Sends
    /// nothing yet.
    pub fn new(registry: &str, options: PushOptions) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            .timeout_connect(Some(Duration::from_secs(15)))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("klts/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let scheme = if options.insecure_http {
            "http"
        } else {
            "https"
        };
        Client {
            agent,
            base: format!("{scheme}://{registry}"),
            options,
            auth: HashMap::new(),
        }
    }

    fn connection_help(&self) -> String {
        if self.options.insecure_http {
            "check the address and that the registry runs; nothing was tagged, run the push again"
                .into()
        } else {
            "check the address and that the registry runs; for a plain-HTTP registry add --insecure-http; nothing was tagged, run the push again".into()
        }
    }

    fn raw(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
        what: &str,
    ) -> Result<Reply, RegistryError> {
        let mut b = http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            b = b.header(*k, v.as_str());
        }
        let req = b.body(body.to_vec()).map_err(|e| RegistryError::Protocol {
            what: what.into(),
            method: method.into(),
            url: url.into(),
            reason: e.to_string(),
        })?;
        let conn_err = |e: ureq::Error| RegistryError::Connection {
            method: method.into(),
            url: url.into(),
            reason: e.to_string(),
            help: self.connection_help(),
        };
        let mut resp = self.agent.run(req).map_err(conn_err)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = if method == "HEAD" {
            Vec::new()
        } else {
            let mut buf = Vec::new();
            resp.body_mut()
                .as_reader()
                .take(4 << 20)
                .read_to_end(&mut buf)
                .map_err(|e| RegistryError::Connection {
                    method: method.into(),
                    url: url.into(),
                    reason: format!("reading the answer: {e}"),
                    help: self.connection_help(),
                })?;
            buf
        };
        tracing::debug!(method, url, status, "registry request");
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// A request with the session's credentials for `repo`, answering one auth challenge.
    fn request(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
        repo: &str,
        what: &str,
    ) -> Result<Reply, RegistryError> {
        let mut attempt = 0;
        loop {
            let mut all: Vec<(&str, String)> = headers.to_vec();
            if let Some(a) = self.auth.get(repo) {
                all.push(("Authorization", a.clone()));
            }
            let reply = self.raw(method, url, &all, body, what)?;
            if reply.status != 401 || attempt > 0 {
                return Ok(reply);
            }
            attempt += 1;
            let challenges: Vec<Challenge> = reply
                .headers
                .get_all("www-authenticate")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(parse_challenges)
                .collect();
            let auth = self.answer(&challenges, repo, &reply, method, url, what)?;
            self.auth.insert(repo.to_string(), auth);
        }
    }

    fn basic(&self) -> Option<String> {
        let user = self.options.username.as_deref()?;
        let pass = self.options.password.as_deref().unwrap_or("");
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        ))
    }

    fn answer(
        &self,
        challenges: &[Challenge],
        repo: &str,
        reply: &Reply,
        method: &str,
        url: &str,
        what: &str,
    ) -> Result<String, RegistryError> {
        let unauthorized = |help: String| RegistryError::Refused {
            what: what.into(),
            method: method.into(),
            url: url.into(),
            status: 401,
            detail: error_detail(&reply.body),
            help,
        };
        let no_creds = "pass --username and set KLTS_REGISTRY_PASSWORD".to_string();
        let chosen = challenges
            .iter()
            .find(|c| matches!(c, Challenge::Bearer(_)))
            .or_else(|| challenges.first());
        match chosen {
            Some(Challenge::Bearer(params)) => {
                let realm = params.get("realm").ok_or_else(|| RegistryError::Protocol {
                    what: what.into(),
                    method: method.into(),
                    url: url.into(),
                    reason: "Bearer challenge without realm".into(),
                })?;
                let mut q = Vec::new();
                if let Some(s) = params.get("service") {
                    q.push(format!("service={}", percent_encode(s)));
                }
                let scope = if repo.is_empty() {
                    params.get("scope").cloned()
                } else {
                    Some(format!("repository:{repo}:pull,push"))
                };
                if let Some(s) = scope {
                    q.push(format!("scope={}", percent_encode(&s)));
                }
                let sep = if realm.contains('?') { '&' } else { '?' };
                let token_url = if q.is_empty() {
                    realm.clone()
                } else {
                    format!("{realm}{sep}{}", q.join("&"))
                };
                let mut headers = Vec::new();
                if let Some(b) = self.basic() {
                    headers.push(("Authorization", b));
                }
                let what_t = format!("a token for {what}");
                let r = self.raw("GET", &token_url, &headers, &[], &what_t)?;
                if r.status != 200 {
                    return Err(RegistryError::Refused {
                        what: what_t,
                        method: "GET".into(),
                        url: token_url,
                        status: r.status,
                        detail: error_detail(&r.body),
                        help: if self.options.username.is_some() {
                            "check --username and KLTS_REGISTRY_PASSWORD".into()
                        } else {
                            no_creds
                        },
                    });
                }
                #[derive(serde::Deserialize)]
                struct Token {
                    token: Option<String>,
                    access_token: Option<String>,
                }
                let t: Token =
                    serde_json::from_slice(&r.body).map_err(|e| RegistryError::Protocol {
                        what: what_t.clone(),
                        method: "GET".into(),
                        url: token_url.clone(),
                        reason: format!("token response is not JSON: {e}"),
                    })?;
                let token = t
                    .token
                    .or(t.access_token)
                    .ok_or_else(|| RegistryError::Protocol {
                        what: what_t,
                        method: "GET".into(),
                        url: token_url,
                        reason: "token response without `token`".into(),
                    })?;
                return Ok(format!("Bearer {token}"));
            }
            Some(Challenge::Basic) => {
                return self.basic().ok_or_else(|| unauthorized(no_creds.clone()));
            }
            None => {}
        }
        Err(unauthorized(if self.options.username.is_some() {
            "check --username and KLTS_REGISTRY_PASSWORD".into()
        } else {
            no_creds
        }))
    }

    fn refused(&self, reply: &Reply, method: &str, url: &str, what: &str) -> RegistryError {
        let help = match reply.status {
            401 => "check --username and KLTS_REGISTRY_PASSWORD".to_string(),
            403 => "the credentials lack push rights on this repository".into(),
            404 => "is the repository name right, and does the registry serve the v2 API?".into(),
            413 => "the registry limits request sizes: lower --chunk-size".into(),
            s if s >= 500 => {
                "the registry failed; nothing was tagged, run the push again later".into()
            }
            _ => "nothing was tagged; fix the cause and run the push again".into(),
        };
        RegistryError::Refused {
            what: what.into(),
            method: method.into(),
            url: url.into(),
            status: reply.status,
            detail: error_detail(&reply.body),
            help,
        }
    }

    fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            format!("{}/{location}", self.base)
        }
    }

    fn location(
        &self,
        reply: &Reply,
        method: &str,
        url: &str,
        what: &str,
    ) -> Result<String, RegistryError> {
        reply
            .header("location")
            .map(|l| self.resolve(l))
            .ok_or_else(|| RegistryError::Protocol {
                what: what.into(),
                method: method.into(),
                url: url.into(),
                reason: "no Location header".into(),
            })
    }

    /// `GET /v2/`: is this a registry, and can we talk to it?
    pub fn ping(&mut self) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        let r = self.request("GET", &url, &[], &[], "", "the API check")?;
        if r.status == 200 {
            Ok(())
        } else {
            Err(self.refused(&r, "GET", &url, "the API check"))
        }
    }

    /// Is the blob in `repo`?
    pub fn has_blob(&mut self, repo: &str, digest: &str) -> Result<bool, RegistryError> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        let what = format!("a blob check for {digest}");
        let r = self.request("HEAD", &url, &[], &[], repo, &what)?;
        match r.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.refused(&r, "HEAD", &url, &what)),
        }
    }

    /// Upload `size` bytes from `reader` as blob `digest` in chunks; with `mount_from` (another
    /// repository of the registry that has the blob) ask for a cross-repository mount first,
    /// which registries may answer by starting a normal upload instead.
    pub fn upload_blob(
        &mut self,
        repo: &str,
        digest: &str,
        size: u64,
        reader: &mut dyn Read,
        mount_from: Option<&str>,
    ) -> Result<Upload, RegistryError> {
        let what = format!("the upload of {digest}");
        let url = match mount_from {
            Some(from) => format!(
                "{}/v2/{repo}/blobs/uploads/?mount={}&from={}",
                self.base,
                percent_encode(digest),
                percent_encode(from)
            ),
            None => format!("{}/v2/{repo}/blobs/uploads/", self.base),
        };
        let r = self.request(
            "POST",
            &url,
            &[("Content-Length", "0".into())],
            &[],
            repo,
            &what,
        )?;
        if r.status == 201 && mount_from.is_some() {
            return Ok(Upload::Mounted);
        }
        if r.status != 202 {
            return Err(self.refused(&r, "POST", &url, &what));
        }
        let mut location = self.location(&r, "POST", &url, &what)?;
        let mut offset = 0u64;
        let mut chunks = 0;
        let mut buf = vec![0u8; self.options.chunk_size.max(1)];
        while offset < size {
            let mut n = 0;
            while n < buf.len() {
                let k = reader.read(&mut buf[n..]).map_err(|e| {
                    RegistryError::Layout(OciError::Io {
                        path: digest.into(),
                        reason: e.to_string(),
                    })
                })?;
                if k == 0 {
                    break;
                }
                n += k;
            }
            if n == 0 {
                break;
            }
            let headers = [
                ("Content-Type", "application/octet-stream".to_string()),
                (
                    "Content-Range",
                    format!("{offset}-{}", offset + n as u64 - 1),
                ),
            ];
            let r = self.request("PATCH", &location, &headers, &buf[..n], repo, &what)?;
            if r.status != 202 {
                return Err(self.refused(&r, "PATCH", &location, &what));
            }
            location = self.location(&r, "PATCH", &location, &what)?;
            offset += n as u64;
            chunks += 1;
        }
        if offset != size {
            return Err(RegistryError::Layout(OciError::Io {
                path: digest.into(),
                reason: format!("blob has {offset} bytes, its descriptor says {size}"),
            }));
        }
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={}", percent_encode(digest));
        let r = self.request(
            "PUT",
            &put,
            &[("Content-Type", "application/octet-stream".into())],
            &[],
            repo,
            &what,
        )?;
        if r.status != 201 {
            return Err(self.refused(&r, "PUT", &put, &what));
        }
        Ok(Upload::Uploaded { chunks })
    }

    /// `PUT /v2/<repo>/manifests/<reference>`.
    pub fn put_manifest(
        &mut self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        digest: &str,
    ) -> Result<(), RegistryError> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let what = if reference == digest {
            format!("manifest {digest}")
        } else {
            format!("tag {repo}:{reference}")
        };
        let r = self.request(
            "PUT",
            &url,
            &[("Content-Type", media_type.to_string())],
            bytes,
            repo,
            &what,
        )?;
        if r.status != 201 && r.status != 200 {
            return Err(self.refused(&r, "PUT", &url, &what));
        }
        if let Some(d) = r.header("docker-content-digest") {
            if d != digest {
                return Err(RegistryError::Protocol {
                    what,
                    method: "PUT".into(),
                    url,
                    reason: format!("registry stored digest {d}, expected {digest}"),
                });
            }
        }
        Ok(())
    }
}

/// One image of a layout, flattened for pushing.
struct Plan {
    repo: String,
    tag: String,
    index: Descriptor,
    manifests: Vec<Descriptor>,
    blobs: Vec<Descriptor>,
}

/// Push every image of the layout (each entry of its index.json whose ref name is
/// `<component>:<tag>`) to `target/<component>:<tag>`.
pub fn push(
    layout: &Layout,
    target: &Target,
    options: &PushOptions,
) -> Result<PushReport, RegistryError> {
    // Plan (and read everything) before touching the network.
    let mut plans = Vec::new();
    for entry in layout.index.manifests() {
        let name = entry
            .annotations()
            .as_ref()
            .and_then(|a| a.get(ANNOTATION_REF_NAME))
            .ok_or_else(|| {
                RegistryError::Layout(OciError::Layout {
                    path: layout.dir.join("index.json").display().to_string(),
                    reason: format!("entry {} has no {ANNOTATION_REF_NAME}", entry.digest()),
                    help: "build the layout with `klts image`".into(),
                })
            })?;
        let (component, tag) = name.split_once(':').ok_or_else(|| {
            RegistryError::Layout(OciError::Layout {
                path: layout.dir.join("index.json").display().to_string(),
                reason: format!("ref name `{name}` is not <component>:<tag>"),
                help: "build the layout with `klts image`".into(),
            })
        })?;
        // Both go into request URLs: a layout from elsewhere must not smuggle `/`, `?` or `#`.
        crate::oci::validate_component(component)?;
        crate::oci::validate_tag(tag)?;
        let index: Index = layout.read_json_blob(entry.digest())?;
        let mut blobs = Vec::new();
        for m in index.manifests() {
            let manifest: crate::oci::Manifest = layout.read_json_blob(m.digest())?;
            blobs.push(manifest.config().clone());
            blobs.extend(manifest.layers().iter().cloned());
        }
        plans.push(Plan {
            repo: format!("{}/{component}", target.repository),
            tag: tag.to_string(),
            index: entry.clone(),
            manifests: index.manifests().clone(),
            blobs,
        });
    }
    let mut client = Client::new(&target.registry, options.clone());
    client.ping()?;
    let mut report = PushReport::default();
    // 1. blobs
    let mut pushed_to: HashMap<String, String> = HashMap::new();
    for plan in &plans {
        let mut seen = BTreeSet::new();
        for blob in &plan.blobs {
            let digest = blob.digest().to_string();
            if !seen.insert(digest.clone()) {
                continue;
            }
            if client.has_blob(&plan.repo, &digest)? {
                report.blobs_skipped += 1;
                pushed_to.insert(digest, plan.repo.clone());
                continue;
            }
            let path = layout.blob_path(&digest)?;
            let mut file = std::fs::File::open(&path).map_err(|e| {
                RegistryError::Layout(OciError::Io {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })
            })?;
            let from = pushed_to.get(&digest).map(String::as_str);
            match client.upload_blob(&plan.repo, &digest, blob.size(), &mut file, from)? {
                Upload::Mounted => report.blobs_mounted += 1,
                Upload::Uploaded { chunks } => {
                    report.chunks += chunks;
                    report.blobs_uploaded += 1;
                    report.bytes_uploaded += blob.size();
                }
            }
            pushed_to.insert(digest, plan.repo.clone());
        }
    }
    // 2. manifests and indexes by digest
    for plan in &plans {
        for m in plan.manifests.iter().chain([&plan.index]) {
            let digest = m.digest().as_ref();
            let bytes = layout.read_blob(digest)?;
            let media_type = m.media_type().as_ref();
            client.put_manifest(&plan.repo, digest, media_type, &bytes, digest)?;
            report.manifests += 1;
        }
    }
    // 3. tags, last
    for plan in &plans {
        let digest = plan.index.digest().as_ref();
        let bytes = layout.read_blob(digest)?;
        client.put_manifest(
            &plan.repo,
            &plan.tag,
            plan.index.media_type().as_ref(),
            &bytes,
            digest,
        )?;
        report.images.push(PushedImage {
            reference: format!("{}/{}:{}", target.registry, plan.repo, plan.tag),
            digest: digest.to_string(),
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        let Challenge::Bearer(p) = &c[0] else {
            panic!("{c:?}")
        };
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "registry.example");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        assert_eq!(
            parse_challenges(r#"Basic realm="Registry Realm""#),
            vec![Challenge::Basic]
        );
        assert_eq!(parse_challenges("Negotiate"), vec![]);
        let c = parse_challenges(r#"Bearer realm="a\"b", service=x"#);
        let Challenge::Bearer(p) = &c[0] else {
            panic!("{c:?}")
        };
        assert_eq!(p["realm"], "a\"b");
        assert_eq!(p["service"], "x");
    }

    #[test]
    fn targets() {
        let t = Target::parse("127.0.0.1:5000/klts").unwrap();
        assert_eq!(t.registry, "127.0.0.1:5000");
        assert_eq!(t.repository, "klts");
        let t = Target::parse("docker://registry.example/a/b/").unwrap();
        assert_eq!(t.repository, "a/b");
        assert!(Target::parse("registry.example").is_err());
        assert!(Target::parse("registry.example/Klts").is_err());
        assert!(Target::parse("registry.example/a//b").is_err());
        assert!(Target::parse("/klts").is_err());
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_detail(
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#
            ),
            "UNAUTHORIZED authentication required"
        );
        assert_eq!(error_detail(b""), "(no body)");
        assert_eq!(error_detail(b"oops"), "oops");
    }

    proptest::proptest! {
        #[test]
        fn challenge_parser_never_panics(s in "\\PC{0,200}") {
            let _ = parse_challenges(&s);
        }

        #[test]
        fn bearer_params_round_trip(
            realm in "[ -~]{0,40}",
            service in "[A-Za-z0-9.:-]{1,20}",
        ) {
            let quoted = realm.replace('\\', "\\\\").replace('"', "\\\"");
            let header = format!("Bearer realm=\"{quoted}\",service=\"{service}\"");
            let c = parse_challenges(&header);
            let Some(Challenge::Bearer(p)) = c.first() else {
                return Err(proptest::test_runner::TestCaseError::fail(format!("{c:?}")));
            };
            proptest::prop_assert_eq!(&p["realm"], &realm);
            proptest::prop_assert_eq!(&p["service"], &service);
        }

        #[test]
        fn targets_never_panic(s in "\\PC{0,60}") {
            let _ = Target::parse(&s);
        }
    }
}
