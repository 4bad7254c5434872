//! Test support: synthetic upstream repositories, LTS workspaces, a loopback HTTP server, and
//! the reference `git am -3` materialization the engine must agree with.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The isolated git runner of every crate's tests (klts-testkit).
pub use klts_testkit::{git, git_output};

/// The klts binary under test, isolated from the caller's environment: no `KLTS_*` variable
/// (cache dir, signing key, feeds), no `SOURCE_DATE_EPOCH`, no colour. Each test adds what it
/// means to set, so a developer's shell cannot change what a test sees.
pub fn klts_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klts"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KLTS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("SOURCE_DATE_EPOCH").env("NO_COLOR", "1");
    cmd
}

/// The synthetic upstream builder every crate's tests share.
#[allow(unused_imports)] // not every test file builds an upstream
pub use klts_testkit::Repo;

#[allow(unused_imports)] // not every test file edits numbered lines
pub use klts_testkit::lines;

/// An LTS workspace directory.
pub struct Ws {
    pub dir: PathBuf,
}

impl Ws {
    pub fn new(dir: &Path, manifest: &str) -> Ws {
        std::fs::create_dir_all(dir.join("patches")).unwrap();
        std::fs::write(dir.join("releases.yml"), manifest).unwrap();
        Ws {
            dir: dir.to_path_buf(),
        }
    }

    pub fn patch(&self, name: &str, bytes: &[u8]) {
        std::fs::write(
            self.dir.join("patches").join(format!("{name}.patch")),
            bytes,
        )
        .unwrap();
    }

    pub fn mirror(&self) -> PathBuf {
        self.dir.join(".klts/upstream.git")
    }

    /// Run the klts binary in this workspace.
    pub fn klts(&self, args: &[&str]) -> Output {
        klts_command()
            .arg("--workspace")
            .arg(&self.dir)
            .args(args)
            .output()
            .expect("run klts")
    }

    pub fn mirror_ref(&self, r: &str) -> Option<String> {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(self.mirror())
            .args(["rev-parse", "--verify", "--quiet", r])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The reference: clone `upstream`, check out `tag`, `git am -3` each patch file in order with
/// the same committer klts uses; return the resulting commit id, or None if `git am` fails.
pub fn reference_am(
    upstream: &Path,
    scratch: &Path,
    tag: &str,
    patches: &[Vec<u8>],
) -> Option<String> {
    let dir = scratch.join(format!("ref-{tag}-{}", patches.len()));
    let _ = std::fs::remove_dir_all(&dir);
    git(
        scratch,
        &[
            "clone",
            "-q",
            upstream.to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
    );
    git(&dir, &["checkout", "-q", tag]);
    for (i, p) in patches.iter().enumerate() {
        let f = scratch.join(format!("ref-patch-{i}"));
        std::fs::write(&f, p).unwrap();
        let out = git_output(
            &dir,
            &[
                "am",
                "-3",
                "-q",
                "--committer-date-is-author-date",
                f.to_str().unwrap(),
            ],
            &[
                ("GIT_COMMITTER_NAME", "klts"),
                ("GIT_COMMITTER_EMAIL", "klts@localhost"),
            ],
        );
        if !out.status.success() {
            return None;
        }
    }
    Some(git(&dir, &["rev-parse", "HEAD"]))
}

/// A minimal HTTP/1.1 server on 127.0.0.1 serving fixed bodies by path; counts requests.
pub struct HttpServer {
    pub base: String,
    pub bodies: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    pub hits: Arc<AtomicUsize>,
}

impl HttpServer {
    pub fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let bodies: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (b, h) = (bodies.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // Drain the headers.
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" || l == "\n" {
                        break;
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                let body = b.lock().unwrap().get(&path).cloned();
                let response = match body {
                    Some(body) => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&body);
                        r
                    }
                    None => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&response);
                let _ = stream.flush();
                let mut sink = [0u8; 1];
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(10)));
                let _ = stream.read(&mut sink);
            }
        });
        HttpServer { base, bodies, hits }
    }

    pub fn serve(&self, path: &str, body: &[u8]) {
        self.bodies
            .lock()
            .unwrap()
            .insert(path.to_string(), body.to_vec());
    }
}

/// A port on 127.0.0.1 with nothing listening (bound then released).
pub fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
