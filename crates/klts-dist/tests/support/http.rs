//! Test helpers for repositories: a static file server on 127.0.0.1 and apt-get with a private
//! configuration. Shared by `crates/klts-dist/tests/repos.rs` and
//! `crates/klts/tests/distribution.rs`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A static file server for `root` on 127.0.0.1 (GET/HEAD).
pub fn serve(root: &Path) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &root);
            });
        }
    });
    addr
}

fn handle(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
        }
        // Percent-decoded as real servers do: apt asks for `kubectl_1.0.1%2blts.1-1_amd64.deb`.
        let rel: PathBuf = percent_decode(target.split('?').next().unwrap_or("/"))
            .split('/')
            .filter(|c| !c.is_empty() && *c != "." && *c != "..")
            .collect::<PathBuf>();
        let file = root.join(rel);
        let body = std::fs::read(&file).ok().filter(|_| file.is_file());
        match body {
            Some(body) => {
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )?;
                if method != "HEAD" {
                    stream.write_all(&body)?;
                }
            }
            None => {
                write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                )?;
            }
        }
        stream.flush()?;
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// apt-get with a private configuration: no system sources, keys, lists or config snippets.
pub struct Apt {
    dir: tempfile::TempDir,
}

impl Apt {
    pub fn new(sources: &str) -> Apt {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in [
            "state/lists/partial",
            "cache/archives/partial",
            "parts",
            "trusted.d",
            "work",
            "log",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("sources.list"), sources).unwrap();
        std::fs::write(d.join("state/status"), "").unwrap();
        std::fs::write(
            d.join("apt.conf"),
            format!(
                "Dir::Etc::Parts \"{0}/parts\";\nDir::Etc::Main \"/dev/null\";\nDir::Etc::SourceList \"{0}/sources.list\";\nDir::Etc::SourceParts \"{0}/parts\";\nDir::Etc::Trusted \"{0}/trusted.gpg\";\nDir::Etc::TrustedParts \"{0}/trusted.d\";\nDir::State \"{0}/state\";\nDir::State::status \"{0}/state/status\";\nDir::Cache \"{0}/cache\";\nDir::Log \"{0}/log\";\nDebug::NoLocking \"1\";\nAPT::Sandbox::User \"root\";\nAcquire::Languages \"none\";\nAcquire::http::Proxy \"DIRECT\";\nAcquire::Retries \"0\";\n",
                d.display()
            ),
        )
        .unwrap();
        Apt { dir }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("apt-get")
            .args(args)
            .env("APT_CONFIG", self.dir.path().join("apt.conf"))
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .current_dir(self.dir.path().join("work"))
            .output()
            .expect("run apt-get")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }
}
