//! `klts serve`: the portal as a live HTTP server.
//!
//! Every page comes from [`pages::render`], the same function the static export uses, so the
//! server and `klts site build` always show the same thing. What the server adds:
//!
//! * **Live data.** The current [`SiteData`] is built at start and again whenever one of
//!   [`data::watched_files`] changes (polled every [`ServerConfig::poll`], debounced: a change
//!   must be stable for one poll before a build starts). Builds run on the blocking pool and
//!   never block serving: requests keep getting the previous data until the new one is ready.
//!   A broken workspace file does not stop anything: `data::build` turns it into
//!   `site.errors`, which the pages show. Until the first build finishes the server answers
//!   `503 Service Unavailable` with `Retry-After`.
//! * **HTTP semantics.** Only `GET` and `HEAD` (anything else: `405` with `Allow: GET, HEAD`);
//!   `HEAD` has the headers of `GET` and no body; a strong `ETag` (sha256 of the body) with
//!   `If-None-Match` → `304`; `Cache-Control: no-cache` (the data can change under a URL);
//!   `X-Content-Type-Options: nosniff`.
//! * **Request limits.** A URI over [`MAX_URI_BYTES`] → `414`; header fields over
//!   [`MAX_HEADER_BYTES`] in total → `431`; a request body (`Content-Length` > 0 or any
//!   `Transfer-Encoding`) → `413`; a path with a bad `%XX` escape or that decodes to invalid
//!   UTF-8 or a control character → `400`. Valid paths go to `pages::render` as they came
//!   (still percent-encoded: it decodes segment by segment), the query string likewise.
//!   Nothing a client sends can panic the server: render and build run on the blocking pool,
//!   and a panic there becomes a `500` (or keeps the previous data).
//! * **Caching.** Rendered responses of query-less URLs are kept per data generation (bounded
//!   in entries and bytes), so a page is rendered and hashed once per build, not per request.
//! * **Shutdown.** When the shutdown future resolves the server stops accepting, lets
//!   in-flight requests finish (axum graceful shutdown, bounded by [`SHUTDOWN_GRACE`]) and
//!   returns.

use crate::data::{self, SiteConfig, SiteData};
use crate::pages;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::serve::ListenerExt;
use klts_vuln::db::Database;
use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The longest request target (path and query) accepted, in bytes; longer → `414`.
pub const MAX_URI_BYTES: usize = 2 * 1024;
/// The most header bytes accepted (names, values and separators); more → `431`.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How long in-flight requests may run after shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Bounds of the rendered-response cache of one data generation.
const CACHE_MAX_ENTRIES: usize = 4096;
const CACHE_MAX_BYTES: usize = 128 * 1024 * 1024;
const ALLOW: &str = "GET, HEAD";

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// The LTS workspace to show and watch; `None`: embedded lifecycle and advisories only.
    pub workspace: Option<PathBuf>,
    /// The workspace cache (default: `<workspace>/.klts`, decided by `Workspace::open`).
    pub cache_dir: Option<PathBuf>,
    /// Installation settings and the day described.
    pub site: SiteConfig,
    /// How often the watched files are checked for changes.
    pub poll: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workspace: None,
            cache_dir: None,
            site: SiteConfig::default(),
            poll: Duration::from_secs(1),
        }
    }
}

/// One rendered response, ready to send.
struct Rendered {
    status: StatusCode,
    content_type: HeaderValue,
    body: Bytes,
    etag: HeaderValue,
}

/// One built generation of the data with the responses rendered from it.
struct Snapshot {
    site: Arc<SiteData>,
    generation: u64,
    cache: RwLock<RenderCache>,
}

#[derive(Default)]
struct RenderCache {
    entries: HashMap<String, Arc<Rendered>>,
    bytes: usize,
}

struct Shared {
    config: ServerConfig,
    db: Arc<Database>,
    current: RwLock<Option<Arc<Snapshot>>>,
    generations: AtomicU64,
}

/// The server's state: the configuration and the current data. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
}

impl Server {
    /// A server with no data yet (see [`Server::rebuild`]).
    pub fn new(config: ServerConfig, db: Arc<Database>) -> Server {
        Server {
            shared: Arc::new(Shared {
                config,
                db,
                current: RwLock::new(None),
                generations: AtomicU64::new(0),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// The data being served, once the first build is done.
    pub fn site(&self) -> Option<Arc<SiteData>> {
        self.snapshot().map(|s| s.site.clone())
    }

    /// How many builds have completed (0 until the first one is done).
    pub fn generation(&self) -> u64 {
        self.snapshot().map_or(0, |s| s.generation)
    }

    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.shared
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Serve `site` from now on (requests in flight finish with the data they started with).
    pub fn publish(&self, site: SiteData) {
        let generation = self.shared.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let snap = Arc::new(Snapshot {
            site: Arc::new(site),
            generation,
            cache: RwLock::default(),
        });
        *self
            .shared
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(snap);
    }

    /// Build the data now (on the blocking pool) and publish it. On a panic in the build the
    /// previous data stays; returns whether new data was published.
    pub async fn rebuild(&self) -> bool {
        let c = &self.shared.config;
        let (ws, cache, site_config, db) = (
            c.workspace.clone(),
            c.cache_dir.clone(),
            c.site.clone(),
            self.shared.db.clone(),
        );
        let started = Instant::now();
        let built = tokio::task::spawn_blocking(move || {
            data::build(ws.as_deref(), cache.as_deref(), db, &site_config)
        })
        .await;
        match built {
            Ok(site) => {
                for e in &site.errors {
                    tracing::warn!("{}: {}", e.file, e.message);
                }
                tracing::info!(
                    "portal data built in {} ms: {} releases, {} advisories, {} errors",
                    started.elapsed().as_millis(),
                    site.releases.len(),
                    site.advisories.len(),
                    site.errors.len()
                );
                self.publish(site);
                true
            }
            Err(e) => {
                tracing::error!(
                    "building the portal data failed ({e}); still serving the previous data"
                );
                false
            }
        }
    }

    /// The router: every path goes through one handler (routing is [`pages::render`]'s).
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .fallback(handle)
            .with_state(self.clone())
    }

    /// Build at start, then rebuild whenever a watched file changes, until `stop` turns true.
    async fn watch(self, mut stop: watch::Receiver<bool>) {
        let workspace = self.shared.config.workspace.clone();
        let mut built = match &workspace {
            Some(ws) => fingerprint(ws.clone()).await,
            None => Vec::new(),
        };
        tokio::select! {
            _ = self.rebuild() => {}
            _ = stopped(&mut stop) => return,
        }
        let Some(ws) = workspace else { return };
        let poll = self.shared.config.poll.max(Duration::from_millis(10));
        let mut pending: Option<Fingerprint> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stopped(&mut stop) => return,
            }
            let now = fingerprint(ws.clone()).await;
            if now == built {
                pending = None;
                continue;
            }
            // Debounce: build once the change has been stable for one poll.
            if pending.as_ref() != Some(&now) {
                pending = Some(now);
                continue;
            }
            tracing::info!("workspace changed; rebuilding the portal data");
            pending = None;
            built = now;
            tokio::select! {
                _ = self.rebuild() => {}
                _ = stopped(&mut stop) => return,
            }
        }
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone: stop as well.
    let _ = stop.wait_for(|v| *v).await;
}

/// What identifies the state of the watched files: path, and (size, mtime, inode) if present.
type Fingerprint = Vec<(PathBuf, Option<(u64, u128, u64)>)>;

async fn fingerprint(ws: PathBuf) -> Fingerprint {
    tokio::task::spawn_blocking(move || fingerprint_now(&ws))
        .await
        .unwrap_or_default()
}

fn fingerprint_now(ws: &Path) -> Fingerprint {
    data::watched_files(ws)
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok().map(|m| {
                let mtime = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                #[cfg(unix)]
                let ino = std::os::unix::fs::MetadataExt::ino(&m);
                #[cfg(not(unix))]
                let ino = 0;
                (m.len(), mtime, ino)
            });
            (p, meta)
        })
        .collect()
}

/// Bind `config.addr`, log the URL, serve until `shutdown` resolves, then let in-flight
/// requests finish.
pub async fn serve(
    config: ServerConfig,
    db: Arc<Database>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    tracing::info!("serving the KLTS portal at {}", url(addr));
    serve_on(listener, Server::new(config, db), shutdown).await
}

/// Serve on a bound listener (see [`serve`]).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    server: Server,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let signal = stop_tx.clone();
    tokio::spawn(async move {
        shutdown.await;
        signal.send_replace(true);
    });
    tokio::spawn(server.clone().watch(stop_rx.clone()));

    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let graceful = {
        let mut rx = stop_rx.clone();
        async move { stopped(&mut rx).await }
    };
    let app = server.router();
    let serving = axum::serve(listener, app).with_graceful_shutdown(graceful);
    let mut rx = stop_rx;
    let deadline = async move {
        stopped(&mut rx).await;
        tracing::info!("shutting down: finishing requests in flight");
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let result = tokio::select! {
        r = serving.into_future() => r,
        _ = deadline => {
            tracing::warn!("requests still in flight after {} s; stopping anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    };
    // Stop the watcher too, whatever ended the serving.
    stop_tx.send_replace(true);
    result
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("klts-serve")
        .build()
}

/// `klts serve`: run the server on a new tokio runtime until Ctrl-C or SIGTERM.
pub fn run_blocking(config: ServerConfig, db: Arc<Database>) -> std::io::Result<()> {
    let rt = runtime()?;
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        tracing::info!("serving the KLTS portal at {}", url(addr));
        eprintln!("klts: serving the portal at {} (Ctrl-C to stop)", url(addr));
        serve_on(listener, Server::new(config, db), termination()).await
    });
    // A build still running on the blocking pool is abandoned rather than waited for.
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn termination() {
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// For tests and embedding: bind `config.addr` (`127.0.0.1:0` picks a port) on the calling
/// thread, then serve on a background thread with its own runtime. Returns the bound address,
/// a sender that shuts the server down (dropping it does too), and the thread's handle.
#[allow(clippy::type_complexity)]
pub fn bind_and_spawn(
    config: ServerConfig,
    db: Arc<Database>,
) -> std::io::Result<(
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<std::io::Result<()>>,
)> {
    let std_listener = std::net::TcpListener::bind(config.addr)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let rt = runtime()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = std::thread::Builder::new()
        .name("klts-serve".into())
        .spawn(move || {
            let result = rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener)?;
                tracing::info!("serving the KLTS portal at {}", url(addr));
                serve_on(listener, Server::new(config, db), async move {
                    let _ = rx.await;
                })
                .await
            });
            rt.shutdown_timeout(Duration::from_secs(1));
            result
        })?;
    Ok((addr, tx, handle))
}

// ---------------------------------------------------------------------------------------------
// Requests.

async fn handle(State(server): State<Server>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, _body) = req.into_parts();
    let method = parts.method.clone();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| parts.uri.to_string());
    let response = respond(&server, &parts).await;
    tracing::debug!(
        "{} {} -> {} ({} bytes, {} µs)",
        method,
        truncate(&target, 200),
        response.status().as_u16(),
        response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("0"),
        started.elapsed().as_micros()
    );
    response
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

async fn respond(server: &Server, req: &axum::http::request::Parts) -> Response {
    let uri = &req.uri;
    let raw_path = uri.path();
    let api = raw_path.starts_with("/api/");
    let target_len = uri
        .path_and_query()
        .map_or(uri.to_string().len(), |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return error(
            StatusCode::URI_TOO_LONG,
            api,
            &format!("the request target is longer than {MAX_URI_BYTES} bytes"),
        );
    }
    let header_bytes: usize = req
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            api,
            &format!("the request header fields are larger than {MAX_HEADER_BYTES} bytes"),
        );
    }
    let head = req.method == Method::HEAD;
    if req.method != Method::GET && !head {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            api,
            &format!("method {} is not allowed; use GET or HEAD", req.method),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(ALLOW));
        return r;
    }
    if has_body(&req.headers) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            api,
            "GET and HEAD requests take no body",
        );
    }
    // Reject what cannot be a path of ours; `pages::render` gets the path still encoded (it
    // splits the segments first, then decodes each, so `%2F` inside an id stays in it).
    if let Err(why) = percent_decode(raw_path) {
        return error(
            StatusCode::BAD_REQUEST,
            api,
            &format!("bad request path: {why}"),
        );
    }
    let path = raw_path.to_string();
    let query = uri.query().unwrap_or("");

    let Some(snap) = server.snapshot() else {
        let mut r = error(
            StatusCode::SERVICE_UNAVAILABLE,
            api,
            "the portal data is being built; retry in a moment",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    };
    let rendered = match render_cached(&snap, path, query.to_string()).await {
        Some(r) => r,
        None => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                api,
                "rendering this page failed",
            )
        }
    };

    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, rendered.content_type.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::ETAG, rendered.etag.clone());
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(rendered.body.len()),
    );
    let not_modified =
        rendered.status == StatusCode::OK && if_none_match(&req.headers, &rendered.etag);
    let (status, body) = if not_modified {
        headers.remove(header::CONTENT_TYPE);
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if head {
        (rendered.status, Body::empty())
    } else {
        (rendered.status, Body::from(rendered.body.clone()))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Whether the request announces a body.
fn has_body(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .any(|v| v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()) != Some(0))
}

/// `If-None-Match` (weak comparison, as RFC 9110 asks for this header).
fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().any(|v| {
        v.as_bytes().split(|b| *b == b',').any(|tag| {
            let tag = tag.trim_ascii();
            tag == b"*" || tag.strip_prefix(b"W/").unwrap_or(tag) == ours
        })
    })
}

/// Render `path?query` from `snap`, from its cache when query-less; `None` if render panicked.
async fn render_cached(snap: &Arc<Snapshot>, path: String, query: String) -> Option<Arc<Rendered>> {
    let cacheable = query.is_empty();
    if cacheable {
        if let Some(r) = snap
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .get(&path)
        {
            return Some(r.clone());
        }
    }
    let site = snap.site.clone();
    let key = path.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let r = pages::render(&site, &path, &query);
        let etag = format!("\"{}\"", &klts_forge::fsutil::sha256_hex(&r.body)[..32]);
        Rendered {
            status: StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            content_type: HeaderValue::from_str(r.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            body: Bytes::from(r.body),
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    })
    .await
    .ok()?;
    let rendered = Arc::new(rendered);
    if cacheable {
        let mut cache = snap.cache.write().unwrap_or_else(|e| e.into_inner());
        let size = rendered.body.len() + key.len();
        if cache.entries.len() < CACHE_MAX_ENTRIES
            && cache.bytes + size <= CACHE_MAX_BYTES
            && !cache.entries.contains_key(&key)
        {
            cache.bytes += size;
            cache.entries.insert(key, rendered.clone());
        }
    }
    Some(rendered)
}

/// A response the server makes itself (the pages make every other one): plain text, or JSON
/// under `/api/`.
fn error(status: StatusCode, api: bool, message: &str) -> Response {
    let (content_type, body) = if api {
        (
            "application/json",
            serde_json::json!({ "error": message, "status": status.as_u16() }).to_string(),
        )
    } else {
        (
            "text/plain; charset=utf-8",
            format!(
                "{} {}\n{message}\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ),
        )
    };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if status.is_client_error()
        && status != StatusCode::METHOD_NOT_ALLOWED
        && status != StatusCode::BAD_REQUEST
    {
        // The connection may hold unread bytes (a body, the rest of a huge request): close it.
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// Decode `%XX` escapes of a request path (the server uses it to validate paths). Errors: a `%`
/// not followed by two hex digits, a result that is not UTF-8, or a control character (NUL
/// included).
pub fn percent_decode(path: &str) -> Result<String, String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(format!("invalid percent-escape at byte {i}")),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).map_err(|_| "the path is not UTF-8 once decoded".to_string())?;
    if s.chars().any(char::is_control) {
        return Err("the path holds a control character".into());
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_paths() {
        assert_eq!(
            percent_decode("/advisories/CVE-2021-3121/").unwrap(),
            "/advisories/CVE-2021-3121/"
        );
        assert_eq!(
            percent_decode("/advisories/CVE%2D2021%2d3121/").unwrap(),
            "/advisories/CVE-2021-3121/"
        );
        assert_eq!(percent_decode("/search/%C3%A9").unwrap(), "/search/é");
        assert!(percent_decode("/%").is_err());
        assert!(percent_decode("/%4").is_err());
        assert!(percent_decode("/%zz").is_err());
        assert!(percent_decode("/%FF%FE").is_err());
        assert!(percent_decode("/a%00b").is_err());
        assert!(percent_decode("/%C3").is_err());
    }

    #[test]
    fn matches_etags() {
        let etag = HeaderValue::from_static("\"abc\"");
        let mut h = HeaderMap::new();
        assert!(!if_none_match(&h, &etag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(if_none_match(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abcd\""));
        assert!(!if_none_match(&h, &etag));
    }

    #[test]
    fn detects_bodies() {
        let mut h = HeaderMap::new();
        assert!(!has_body(&h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        assert!(!has_body(&h));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5"));
        assert!(has_body(&h));
        h.remove(header::CONTENT_LENGTH);
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        assert!(has_body(&h));
    }
}
