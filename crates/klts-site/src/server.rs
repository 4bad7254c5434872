//! `klts serve`: the portal as a live HTTP server.
//!
//! Every page comes from [`crate::pages::render`], the same function the static export uses, so the
//! server and `klts site build` always show the same thing. What the server adds:
//!
//! * **Live data.** The current [`SiteData`] is built at start and again whenever one of
//!   [`data::watched_files`] changes (polled every [`ServerConfig::poll`], debounced: a change
//!   must be stable for one poll before a build starts). Builds run on the blocking pool and
//!   never block serving: requests keep getting the previous data until the new one is ready.
//!   A broken workspace file does not stop anything: `data::build` turns it into
//!   `site.errors`, which the pages show. Until the first build finishes the server answers
//!   `503 Service Unavailable` with `Retry-After`.
//! * **Several products.** With [`ServerConfig::also`], the other products' workspaces are
//!   built and watched too, and served under their prefixes ([`crate::program`]); a change in
//!   any of them rebuilds the whole program. A rebuild that finds two workspaces of the same
//!   product keeps the previous data (and logs why).
//! * **HTTP semantics.** Only `GET` and `HEAD` (anything else: `405` with `Allow: GET, HEAD`);
//!   `HEAD` has the headers of `GET` and no body; a strong `ETag` (sha256 of the body) with
//!   `If-None-Match` → `304`; `Cache-Control: public, max-age=60` (a rebuild shows within a
//!   minute, then the ETag revalidates); `Access-Control-Allow-Origin: *` (everything is
//!   public and read-only, so browser pages elsewhere may read the API); bodies of 1 KiB and more
//!   in Brotli or gzip when `Accept-Encoding` allows it (Brotli when the client ranks it at least
//!   as high as gzip; each representation with its own ETag, `Vary: Accept-Encoding`; both are
//!   made once per rendered page and cached with it); `X-Content-Type-Options: nosniff`.
//! * **Request limits.** A request line (method, target, version) over
//!   [`Limits::max_request_line`] → `414`; header fields over [`Limits::max_header_bytes`] in
//!   total → `431` (a head so large that it exceeds both limits together, or more than 100 header
//!   fields, is answered `431` by the parser before it reaches us); a request body
//!   (`Content-Length` > 0 or any `Transfer-Encoding`) → `413`; a path with a bad `%XX` escape
//!   or that decodes to invalid UTF-8 or a control character → `400`. Valid paths go to
//!   `pages::render` as they came (still percent-encoded: it decodes segment by segment), the
//!   query string likewise. Nothing a client sends can panic the server: render and build run
//!   on the blocking pool, and a panic there becomes a `500` (or keeps the previous data).
//!   Request data is never echoed unbounded: error messages and log lines show at most a few
//!   dozen characters of it, control characters escaped ([`echo`]).
//! * **Hostile connections.** The accept loop is ours (hyper parses HTTP/1.1), so that every
//!   connection is watched ([`Limits`], defaults in brackets):
//!   - *header timeout* [10 s]: once the first byte of a request head has arrived, the whole head
//!     must arrive within this time — a total, not a per-byte timeout, so a client trickling one
//!     byte a second (slowloris) is cut off;
//!   - *idle timeout* [30 s]: a connection with no request being handled and no byte moved in
//!     either direction for this long is closed: a silent new connection, a kept-alive one
//!     between requests, or a client that stopped reading its response;
//!   - *connection cap* [512, half the usual 1024 file limit]: at the cap, a new connection
//!     takes the place of the open connection that has been idle longest (nothing in flight,
//!     no request head started), which is closed; if every connection is busy, the new one is
//!     answered `503` with `Retry-After` in one non-blocking write and closed (without reading
//!     its request, so the client may see a reset instead). Shedding idle connections first is
//!     why a flood of idle connections cannot starve a real client, and the cap keeps the server
//!     inside its file limit whatever clients do.
//!
//!   A connection cut by a timeout is closed without a response (as hyper does).
use crate::data::{self, SiteConfig, SiteData};
use crate::program::Program;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use klts_core::lifecycle::Date;
use klts_vuln::db::Database;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The longest request target (path and query) the default request-line limit is sized for.
pub const MAX_URI_BYTES: usize = 2 * 1024;
/// The default [`Limits::max_request_line`]: a [`MAX_URI_BYTES`] target, with room for the
/// method and the version.
pub const MAX_REQUEST_LINE_BYTES: usize = MAX_URI_BYTES + 32;
/// The default [`Limits::max_header_bytes`] (names, values and separators); more → `431`.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The default [`Limits::shutdown_grace`].
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// The default [`Limits::header_timeout`].
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`Limits::idle_timeout`].
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The default [`Limits::max_connections`].
pub const MAX_CONNECTIONS: usize = 512;
/// How many characters of client data an error message or a log line shows.
const ECHO_CHARS: usize = 64;
/// Bounds of the rendered-response cache of one data generation.
const CACHE_MAX_ENTRIES: usize = 4096;
const CACHE_MAX_BYTES: usize = 128 * 1024 * 1024;
const ALLOW: &str = "GET, HEAD";

/// What one client may hold of the server (see the module docs). Tests use small values.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time for the whole head of a request, from its first byte [`HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// Time a connection may sit with no request in flight and no byte moved [`IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// Open connections at most [`MAX_CONNECTIONS`]; at least 1.
    pub max_connections: usize,
    /// Bytes of the request line at most [`MAX_REQUEST_LINE_BYTES`]; more → `414`.
    pub max_request_line: usize,
    /// Bytes of header fields at most [`MAX_HEADER_BYTES`]; more → `431`.
    pub max_header_bytes: usize,
    /// How long requests in flight may run after shutdown is asked for [`SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: HEADER_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_request_line: MAX_REQUEST_LINE_BYTES,
            max_header_bytes: MAX_HEADER_BYTES,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// The LTS workspace to show and watch; `None`: embedded lifecycle and advisories only.
    pub workspace: Option<PathBuf>,
    /// The other products' workspaces, served under `/<product>/` ([`crate::program`]).
    pub also: Vec<PathBuf>,
    /// The workspace cache (default: `<workspace>/.klts`, decided by `Workspace::open`).
    pub cache_dir: Option<PathBuf>,
    /// Installation settings and the day described.
    pub site: SiteConfig,
    /// How often the watched files are checked for changes.
    pub poll: Duration,
    /// Timeouts, the connection cap and request size limits.
    pub limits: Limits,
    /// Where a long-running server learns the day: when set, every poll asks it, a new day
    /// rebuilds the data (phases and days left move on at midnight, UTC) and it replaces
    /// `site.date`. The CLI passes the system clock unless `--date` fixes the day; the library
    /// never reads the clock itself.
    pub today: Option<fn() -> Date>,
}

impl ServerConfig {
    /// A server on 127.0.0.1:8080 for `site`, with the default poll and limits and a fixed day
    /// (`site.date`).
    pub fn new(site: SiteConfig) -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workspace: None,
            also: Vec::new(),
            cache_dir: None,
            site,
            poll: Duration::from_secs(1),
            limits: Limits::default(),
            today: None,
        }
    }
}

/// One rendered response, ready to send.
struct Rendered {
    status: StatusCode,
    content_type: HeaderValue,
    body: Bytes,
    etag: HeaderValue,
    /// The gzip representation and its ETag, for bodies worth compressing.
    gzip: Option<(HeaderValue, Bytes)>,
    /// The Brotli representation and its ETag, for bodies worth compressing.
    br: Option<(HeaderValue, Bytes)>,
}

/// One built generation of the data with the responses rendered from it.
struct Snapshot {
    program: Arc<Program>,
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
        self.snapshot().map(|s| s.program.main.clone())
    }

    /// The program being served (every product's site), once the first build is done.
    pub fn program(&self) -> Option<Arc<Program>> {
        self.snapshot().map(|s| s.program.clone())
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
        self.publish_program(Program::single(site));
    }

    /// Serve `program` from now on (see [`Server::publish`]).
    pub fn publish_program(&self, program: Program) {
        let generation = self.shared.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let snap = Arc::new(Snapshot {
            program: Arc::new(program),
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
        let (ws, also, cache, mut site_config, db) = (
            c.workspace.clone(),
            c.also.clone(),
            c.cache_dir.clone(),
            c.site.clone(),
            self.shared.db.clone(),
        );
        if let Some(today) = c.today {
            site_config.date = today();
        }
        let started = Instant::now();
        let built = tokio::task::spawn_blocking(move || {
            Program::build(ws.as_deref(), &also, cache.as_deref(), db, &site_config)
        })
        .await;
        match built {
            Ok(Ok(program)) => {
                for site in program.workspaces() {
                    for e in site.errors.iter().chain(&site.operator_problems) {
                        tracing::warn!("{}", e.diagnostic);
                    }
                }
                let site = &program.main;
                tracing::info!(
                    "portal data built in {} ms: {} releases, {} advisories, {} errors, {} products",
                    started.elapsed().as_millis(),
                    site.releases.len(),
                    site.advisories.len(),
                    site.errors.len(),
                    program.products.len().max(1)
                );
                self.publish_program(program);
                true
            }
            Ok(Err(e)) => {
                tracing::error!("{e}; still serving the previous data");
                false
            }
            Err(e) => {
                tracing::error!(
                    "building the portal data failed ({e}); still serving the previous data"
                );
                false
            }
        }
    }

    /// The router: every path goes through one handler (routing is [`Program::render`]'s).
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .fallback(handle)
            .with_state(self.clone())
    }

    /// Build at start, then rebuild whenever a watched file changes, until `stop` turns true.
    async fn watch(self, mut stop: watch::Receiver<bool>) {
        let c = &self.shared.config;
        let ws: Vec<PathBuf> = c.workspace.iter().chain(&c.also).cloned().collect();
        let mut built = fingerprint(ws.clone()).await;
        let day = || c.today.map(|f| f());
        let mut built_day = day();
        tokio::select! {
            _ = self.rebuild() => {}
            _ = stopped(&mut stop) => return,
        }
        if ws.is_empty() && c.today.is_none() {
            return;
        }
        let poll = self.shared.config.poll.max(Duration::from_millis(10));
        let mut pending: Option<Fingerprint> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stopped(&mut stop) => return,
            }
            // A new day changes what the pages say (phases, days left) with no file changed.
            if day() != built_day {
                tracing::info!("a new day; rebuilding the portal data");
                built_day = day();
                // The rebuild reads the files as they are now: a change seen later is new.
                built = fingerprint(ws.clone()).await;
                pending = None;
                tokio::select! {
                    _ = self.rebuild() => {}
                    _ = stopped(&mut stop) => return,
                }
                continue;
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

async fn fingerprint(ws: Vec<PathBuf>) -> Fingerprint {
    tokio::task::spawn_blocking(move || ws.iter().flat_map(|w| fingerprint_now(w)).collect())
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
    let result = accept_loop(listener, server, stop_rx).await;
    // Stop the watcher too, whatever ended the serving.
    stop_tx.send_replace(true);
    result
}

// ---------------------------------------------------------------------------------------------
// Connections.

/// "Not set" for the times in [`Conn`].
const NEVER: u64 = u64::MAX;

/// What the watchdog of one connection knows about it. Times are milliseconds since the
/// server's `epoch`, updated by the I/O wrapper ([`Watched`]) and the request service.
struct Conn {
    /// The last byte read or written (or the accept).
    last_io: AtomicU64,
    /// When the first byte of a request head not yet complete arrived ([`NEVER`]: none).
    head_started: AtomicU64,
    /// Requests being handled (a pipelining client may have more than one).
    in_flight: AtomicU64,
    /// Set when a new connection took this one's place: close now.
    evict: tokio::sync::Notify,
}

/// Why a connection is closed early.
#[derive(Debug)]
enum Cut {
    HeaderTimeout,
    Idle,
}

impl Conn {
    fn new(now: u64) -> Conn {
        Conn {
            last_io: AtomicU64::new(now),
            head_started: AtomicU64::new(NEVER),
            in_flight: AtomicU64::new(0),
            evict: tokio::sync::Notify::new(),
        }
    }

    fn on_read(&self, now: u64) {
        self.last_io.store(now, Ordering::Relaxed);
        // Bytes that arrive while no head is pending start the next request's head.
        let _ =
            self.head_started
                .compare_exchange(NEVER, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    fn on_write(&self, now: u64) {
        self.last_io.store(now, Ordering::Relaxed);
    }

    /// Idle: nothing in flight and no head started; the only kind a new connection may replace.
    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started.load(Ordering::Relaxed) == NEVER
    }

    /// Whether a limit is exceeded at `now`, else when to look again (ms).
    fn check(&self, now: u64, header_ms: u64, idle_ms: u64) -> Result<u64, Cut> {
        let head = self.head_started.load(Ordering::Relaxed);
        // A head that starts later than `now` can end no earlier than now + header_ms.
        let head_deadline = if head == NEVER {
            now.saturating_add(header_ms)
        } else {
            head.saturating_add(header_ms)
        };
        if now >= head_deadline {
            return Err(Cut::HeaderTimeout);
        }
        let idle_deadline = if self.in_flight.load(Ordering::Relaxed) == 0 {
            self.last_io.load(Ordering::Relaxed).saturating_add(idle_ms)
        } else {
            now.saturating_add(idle_ms)
        };
        if now >= idle_deadline {
            return Err(Cut::Idle);
        }
        Ok(head_deadline.min(idle_deadline))
    }
}

/// Ends a request in [`Conn::in_flight`] however its future ends.
struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A monotonic clock in milliseconds since the server started.
#[derive(Clone, Copy)]
struct Clock(tokio::time::Instant);

impl Clock {
    fn now(self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(NEVER - 1)
    }
    fn instant(self, ms: u64) -> tokio::time::Instant {
        self.0 + Duration::from_millis(ms)
    }
}

/// A TCP stream that reports its reads and writes to its [`Conn`].
struct Watched {
    io: tokio::net::TcpStream,
    conn: Arc<Conn>,
    clock: Clock,
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.conn.on_read(this.clock.now());
        }
        r
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.io).poll_write(cx, data);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            this.conn.on_write(this.clock.now());
        }
        r
    }
    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = std::pin::Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            this.conn.on_write(this.clock.now());
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// What a connection over the cap gets when no idle connection can make room for it.
fn busy_response() -> String {
    let body = "503 Service Unavailable\ntoo many connections; retry in a moment\n";
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Accept connections until `stop` turns true, then shut them down gracefully.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    server: Server,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let limits = server.shared.config.limits.clone();
    let max_connections = limits.max_connections.max(1);
    let clock = Clock(tokio::time::Instant::now());
    // The open connections that a newcomer may replace, by id; an evicted one leaves at once.
    let open: Arc<std::sync::Mutex<HashMap<u64, Arc<Conn>>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_id = 0u64;
    let mut http = hyper::server::conn::http1::Builder::new();
    // The whole head may hold both limits; beyond that hyper answers 431 itself. Its buffer
    // must hold such a head, and may not be smaller than hyper's minimum of 8 KiB.
    let head_max = limits.max_request_line + limits.max_header_bytes + 64;
    http.max_header_size(head_max)
        .max_buf_size(head_max.max(8192))
        // Ours is the watchdog below; hyper's would also cut idle kept-alive connections.
        .header_read_timeout(None)
        .keep_alive(true);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and similar: wait a little instead of spinning.
                    if !matches!(e.kind(), std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionRefused)
                    {
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                            _ = stopped(&mut stop) => break,
                        }
                    }
                    continue;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            _ = stopped(&mut stop) => break,
        };
        let _ = tcp.set_nodelay(true);
        let now = clock.now();
        {
            let mut map = open.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= max_connections {
                let victim = map
                    .iter()
                    .filter(|(_, c)| c.idle())
                    .min_by_key(|(id, c)| (c.last_io.load(Ordering::Relaxed), **id))
                    .map(|(id, _)| *id);
                match victim.and_then(|id| map.remove(&id)) {
                    Some(c) => {
                        tracing::debug!(
                            "at {max_connections} connections: closing the longest idle one"
                        );
                        c.evict.notify_one();
                    }
                    None => {
                        tracing::debug!("at {max_connections} busy connections: 503 to {peer}");
                        // One try: the socket buffer of a new connection is empty, so it fits.
                        let _ = tcp.try_write(busy_response().as_bytes());
                        continue;
                    }
                }
            }
            next_id += 1;
        }
        let id = next_id;
        let conn = Arc::new(Conn::new(now));
        open.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, conn.clone());
        tasks.spawn(serve_connection(
            http.clone(),
            Watched {
                io: tcp,
                conn: conn.clone(),
                clock,
            },
            server.clone(),
            limits.clone(),
            stop.clone(),
            ConnGuard {
                id,
                open: open.clone(),
            },
        ));
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight after {} s; stopping anyway",
            limits.shutdown_grace.as_secs()
        );
        tasks.shutdown().await;
    }
    Ok(())
}

/// Takes a connection out of the open ones when its task ends.
struct ConnGuard {
    id: u64,
    open: Arc<std::sync::Mutex<HashMap<u64, Arc<Conn>>>>,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// Serve one connection under its watchdog until it ends, is cut or evicted, or shutdown.
async fn serve_connection(
    http: hyper::server::conn::http1::Builder,
    io: Watched,
    server: Server,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    _guard: ConnGuard,
) {
    let conn = io.conn.clone();
    let clock = io.clock;
    let service = {
        let conn = conn.clone();
        hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            // The head is complete: the header timeout is over for this request.
            conn.head_started.store(NEVER, Ordering::Relaxed);
            conn.in_flight.fetch_add(1, Ordering::Relaxed);
            let in_flight = InFlight(conn.clone());
            let server = server.clone();
            async move {
                let response = handle(State(server), req.map(Body::new)).await;
                drop(in_flight);
                Ok::<_, std::convert::Infallible>(response)
            }
        })
    };
    let http_conn = http.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    let mut http_conn = std::pin::pin!(http_conn);
    let header_ms = millis(limits.header_timeout);
    let idle_ms = millis(limits.idle_timeout);
    let mut stopping = false;
    loop {
        let next = match conn.check(clock.now(), header_ms, idle_ms) {
            Ok(next) => next,
            Err(why) => {
                tracing::debug!("closing a connection: {why:?}");
                return;
            }
        };
        tokio::select! {
            r = http_conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            _ = tokio::time::sleep_until(clock.instant(next)) => {}
            _ = conn.evict.notified() => return,
            _ = stopped(&mut stop), if !stopping => {
                // Closes the connection if idle, else after the response in flight.
                stopping = true;
                http_conn.as_mut().graceful_shutdown();
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(NEVER - 1)
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

/// `klts serve`: run the server on a new tokio runtime until SIGINT (Ctrl-C) or SIGTERM, and
/// say on stderr when it starts and stops (a service manager's log shows why it stopped).
pub fn run_blocking(config: ServerConfig, db: Arc<Database>) -> std::io::Result<()> {
    let rt = runtime()?;
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let signal = termination()?;
        tracing::info!("serving the KLTS portal at {}", url(addr));
        eprintln!("klts: serving the portal at {} (Ctrl-C to stop)", url(addr));
        let stop = async {
            let signal = signal.await;
            eprintln!("klts serve: stopping ({signal})");
        };
        serve_on(listener, Server::new(config, db), stop).await
    });
    // A build still running on the blocking pool is abandoned rather than waited for.
    rt.shutdown_timeout(Duration::from_secs(1));
    if result.is_ok() {
        eprintln!("klts serve: stopped");
    }
    result
}

/// A future that resolves on SIGINT or SIGTERM with the signal's name. The handlers are
/// installed now, not on first poll, so a signal sent right after the "serving" line is caught.
#[cfg(unix)]
fn termination() -> std::io::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    })
}

#[cfg(not(unix))]
fn termination() -> std::io::Result<impl Future<Output = &'static str>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    })
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
        echo(method.as_str(), ECHO_CHARS),
        echo(&target, 200),
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

/// Client data as an error message or a log line may show it: at most `max` characters (then
/// `…`), control characters escaped, so that a request can neither flood nor forge a log line.
pub fn echo(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

async fn respond(server: &Server, req: &axum::http::request::Parts) -> Response {
    let uri = &req.uri;
    let raw_path = uri.path();
    let api = raw_path.starts_with("/api/");
    let limits = &server.shared.config.limits;
    let target_len = uri
        .path_and_query()
        .map_or(uri.to_string().len(), |p| p.as_str().len());
    // "METHOD SP target SP HTTP/1.1"
    let line_len = req.method.as_str().len() + 1 + target_len + 9;
    if line_len > limits.max_request_line {
        return error(
            StatusCode::URI_TOO_LONG,
            api,
            &format!(
                "the request line is longer than {} bytes",
                limits.max_request_line
            ),
        );
    }
    let header_bytes: usize = req
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > limits.max_header_bytes {
        return error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            api,
            &format!(
                "the request header fields are larger than {} bytes",
                limits.max_header_bytes
            ),
        );
    }
    let head = req.method == Method::HEAD;
    if req.method != Method::GET && !head {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            api,
            &format!(
                "method {} is not allowed; use GET or HEAD",
                echo(req.method.as_str(), ECHO_CHARS)
            ),
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
    // klts.io's old documentation addresses move permanently to their pages here.
    if let Some(to) = snap.program.legacy_target(&path) {
        let mut r = error(
            StatusCode::MOVED_PERMANENTLY,
            api,
            "this page moved (klts.io's old address)",
        );
        if let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        );
        return r;
    }
    let wanted = preferred_coding(&req.headers);
    let rendered = match render_cached(&snap, path, query.to_string(), wanted).await {
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
    // Fresh for a minute, then revalidated with the ETag: a rebuild shows within a minute
    // without every client re-downloading unchanged pages.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    // Everything served is public and read-only: any page may read it (GET and HEAD only;
    // other methods are refused before this point).
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Brotli or gzip when the client accepts it and it is worth it; each its own ETag, as a
    // different representation.
    let (etag, bytes) = match choose_encoding(&req.headers, &rendered) {
        Some((coding, (etag, bytes))) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            (etag, bytes)
        }
        None => (&rendered.etag, &rendered.body),
    };
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let not_modified = rendered.status == StatusCode::OK && if_none_match(&req.headers, etag);
    let (status, body) = if not_modified {
        headers.remove(header::CONTENT_TYPE);
        headers.remove(header::CONTENT_ENCODING);
        headers.remove(header::CONTENT_LENGTH);
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if head {
        (rendered.status, Body::empty())
    } else {
        (rendered.status, Body::from(bytes.clone()))
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

/// The q-value `Accept-Encoding` gives one of `codings` (the first named, else `*`), `None` when
/// it names none of them; a malformed q-value counts as 0 (refused).
fn accepted(headers: &HeaderMap, codings: &[&str]) -> Option<f32> {
    let mut star = None;
    let mut named = None;
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=").map(str::trim))
            .map(|q| q.parse::<f32>().unwrap_or(0.0))
            .unwrap_or(1.0);
        if codings.contains(&coding.as_str()) {
            named.get_or_insert(q);
        } else if coding == "*" {
            star.get_or_insert(q);
        }
    }
    named.or(star)
}

/// The coding the client prefers: Brotli when it ranks it at least as high as gzip, else gzip,
/// else none (identity); only codings with a q-value above 0 count.
fn preferred_coding(headers: &HeaderMap) -> Option<&'static str> {
    let br = accepted(headers, &["br"]).filter(|q| *q > 0.0);
    let gz = accepted(headers, &["gzip", "x-gzip"]).filter(|q| *q > 0.0);
    match (br, gz) {
        (Some(b), g) if g.is_none_or(|g| b >= g) => Some("br"),
        (_, Some(_)) => Some("gzip"),
        _ => None,
    }
}

/// The representation to send: the preferred coding's, when the body has one.
fn choose_encoding<'a>(
    headers: &HeaderMap,
    r: &'a Rendered,
) -> Option<(&'static str, &'a (HeaderValue, Bytes))> {
    match preferred_coding(headers)? {
        "br" => r.br.as_ref().map(|rep| ("br", rep)),
        coding => r.gzip.as_ref().map(|rep| (coding, rep)),
    }
}

/// A compressed representation of a body worth compressing (1 KiB and more): `encode`'s
/// bytes, with the body's ETag marked `-<suffix>` (a different representation, so another
/// ETag).
fn compressed(
    body: &[u8],
    etag: &str,
    suffix: &str,
    encode: impl FnOnce(&[u8]) -> std::io::Result<Vec<u8>>,
) -> Option<(HeaderValue, Bytes)> {
    if body.len() < 1024 {
        return None;
    }
    let bytes = encode(body).ok()?;
    let etag = format!("{}-{suffix}\"", etag.trim_end_matches('"'));
    Some((HeaderValue::from_str(&etag).ok()?, Bytes::from(bytes)))
}

/// Brotli at quality 6 of 11: pages are compressed once per generation and cached, and 6
/// already beats gzip's size at a fraction of 11's time.
fn brotlied(body: &[u8], etag: &str) -> Option<(HeaderValue, Bytes)> {
    compressed(body, etag, "br", |body| {
        use std::io::Write as _;
        let mut out = Vec::new();
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 6, 22);
        enc.write_all(body)?;
        enc.flush()?;
        drop(enc);
        Ok(out)
    })
}

/// gzip at level 6.
fn gzipped(body: &[u8], etag: &str) -> Option<(HeaderValue, Bytes)> {
    compressed(body, etag, "gz", |body| {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        enc.write_all(body)?;
        enc.finish()
    })
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
/// A cached page gets both compressed forms once (later clients may want either); a page
/// rendered for one request (a query) only the coding that request asked for (`wanted`).
async fn render_cached(
    snap: &Arc<Snapshot>,
    path: String,
    query: String,
    wanted: Option<&'static str>,
) -> Option<Arc<Rendered>> {
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
    let program = snap.program.clone();
    let key = path.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let r = program.render(&path, &query);
        let etag = format!("\"{}\"", &klts_forge::fsutil::sha256_hex(&r.body)[..32]);
        Rendered {
            status: StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            content_type: HeaderValue::from_str(r.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            gzip: (cacheable || wanted == Some("gzip"))
                .then(|| gzipped(&r.body, &etag))
                .flatten(),
            br: (cacheable || wanted == Some("br"))
                .then(|| brotlied(&r.body, &etag))
                .flatten(),
            body: Bytes::from(r.body),
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    })
    .await
    .ok()?;
    let rendered = Arc::new(rendered);
    if cacheable {
        let mut cache = snap.cache.write().unwrap_or_else(|e| e.into_inner());
        let size = rendered.body.len()
            + rendered.gzip.as_ref().map_or(0, |(_, g)| g.len())
            + rendered.br.as_ref().map_or(0, |(_, b)| b.len())
            + key.len();
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
    fn echoes_client_data_bounded_and_escaped() {
        let method = "A".repeat(10 * 1024);
        let shown = echo(&method, ECHO_CHARS);
        assert_eq!(shown.chars().count(), ECHO_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(echo("GET", ECHO_CHARS), "GET");
        assert_eq!(echo("a\nb\x1b[31m\r", 64), "a\\nb\\u{1b}[31m\\r");
        assert_eq!(echo("ééé", 2), "éé…");
    }

    #[test]
    fn the_busy_response_is_well_formed() {
        let r = busy_response();
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains("\r\nRetry-After: 1\r\n"));
        assert!(head.ends_with(&format!("Content-Length: {}", body.len())));
    }

    #[test]
    fn the_watchdog_cuts_slow_heads_and_idle_connections() {
        let c = Conn::new(0);
        // A new connection: idle deadline 100, header deadline "now + 50".
        assert_eq!(c.check(0, 50, 100).unwrap(), 50);
        assert_eq!(c.check(60, 50, 100).unwrap(), 100);
        assert!(matches!(c.check(100, 50, 100), Err(Cut::Idle)));
        // A head starts at 70 and trickles: cut at 120 whatever the reads.
        c.on_read(70);
        c.on_read(110);
        assert!(!c.idle());
        assert_eq!(c.check(110, 50, 100).unwrap(), 120);
        assert!(matches!(c.check(120, 50, 100), Err(Cut::HeaderTimeout)));
        // A request in flight is never idle; after it, the idle time counts from the last write.
        let c = Conn::new(0);
        c.on_read(10);
        c.head_started.store(NEVER, Ordering::Relaxed);
        c.in_flight.fetch_add(1, Ordering::Relaxed);
        assert!(c.check(500, 50, 100).is_ok());
        c.on_write(500);
        c.in_flight.fetch_sub(1, Ordering::Relaxed);
        assert!(c.idle());
        assert_eq!(c.check(520, 50, 100).unwrap(), 570);
        assert!(matches!(c.check(600, 50, 100), Err(Cut::Idle)));
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
