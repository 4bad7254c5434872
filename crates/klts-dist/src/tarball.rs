//! Reproducible tar archives, the one owner of the entry rule shared by `.deb` members and
//! image layers: ustar headers (from the `tar` crate) with uid/gid 0, user and group `root`, one
//! fixed mtime, and names written verbatim, in the order the caller appends them.
//!
//! Names are copied into the header as given because the `tar` crate's `set_path` normalises
//! them: it would strip the leading `./` that dpkg-deb writes and the trailing `/` of
//! directory entries that Docker and GNU tar write.

use std::io::{self, Read, Write};

/// A ustar writer with fixed owner and mtime over any `Write` (a `Vec` for `.deb` members, a
/// hashing gzip stream for image layers).
pub(crate) struct TarWriter<W: Write> {
    builder: tar::Builder<W>,
    mtime: u64,
}

impl<W: Write> TarWriter<W> {
    /// A writer whose entries all have `mtime` (seconds since 1970).
    pub(crate) fn new(out: W, mtime: u64) -> TarWriter<W> {
        TarWriter {
            builder: tar::Builder::new(out),
            mtime,
        }
    }

    fn header(
        &self,
        name: &str,
        kind: tar::EntryType,
        mode: u32,
        size: u64,
    ) -> io::Result<tar::Header> {
        let mut h = tar::Header::new_ustar();
        {
            let raw = h.as_old_mut();
            // The name field holds 100 bytes; a name that fills it has no NUL, which readers
            // accept.
            if name.len() > raw.name.len() {
                return Err(io::Error::other(format!(
                    "tar entry name `{name}` is longer than 100 bytes"
                )));
            }
            raw.name = [0; 100];
            raw.name[..name.len()].copy_from_slice(name.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(self.mtime);
        h.set_size(size);
        h.set_username("root")?;
        h.set_groupname("root")?;
        h.set_cksum();
        Ok(h)
    }

    /// A directory entry, mode 0755; `name` should end in `/`.
    pub(crate) fn dir(&mut self, name: &str) -> io::Result<()> {
        let h = self.header(name, tar::EntryType::Directory, 0o755, 0)?;
        self.builder.append(&h, io::empty())
    }

    /// A regular file of `size` bytes read from `data`; an error if `data` holds fewer (a file
    /// that shrank while it was read), since the header already promised `size`.
    pub(crate) fn file(
        &mut self,
        name: &str,
        mode: u32,
        size: u64,
        data: impl Read,
    ) -> io::Result<()> {
        let h = self.header(name, tar::EntryType::Regular, mode, size)?;
        let mut counted = Counted {
            inner: data.take(size),
            n: 0,
        };
        self.builder.append(&h, &mut counted)?;
        if counted.n != size {
            return Err(io::Error::other(format!(
                "{name}: {} bytes read, {size} expected (the file shrank while it was read)",
                counted.n
            )));
        }
        Ok(())
    }

    /// Write the end-of-archive marker (two zero blocks) and return the output.
    pub(crate) fn finish(self) -> io::Result<W> {
        self.builder.into_inner()
    }
}

struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_root_owned_with_the_given_mtime_and_verbatim_names() {
        let mut t = TarWriter::new(Vec::new(), 1_600_000_000);
        t.dir("./").unwrap();
        t.dir("usr/").unwrap();
        t.file("usr/x", 0o755, 3, &b"abc"[..]).unwrap();
        let bytes = t.finish().unwrap();
        assert_eq!(bytes.len(), 512 * 3 + 512 + 1024);
        let mut a = tar::Archive::new(bytes.as_slice());
        let got: Vec<_> = a
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    String::from_utf8(h.path_bytes().to_vec()).unwrap(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.username().unwrap().unwrap().to_string(),
                    h.mtime().unwrap(),
                )
            })
            .collect();
        let row = |n: &str| (n.to_string(), 0o755, 0, "root".to_string(), 1_600_000_000);
        assert_eq!(got, [row("./"), row("usr/"), row("usr/x")]);
    }

    #[test]
    fn a_short_read_and_a_long_name_are_errors() {
        let mut t = TarWriter::new(Vec::new(), 0);
        let err = t.file("x", 0o644, 10, &b"abc"[..]).unwrap_err();
        assert!(err.to_string().contains("shrank"), "{err}");
        let err = t.dir(&"a/".repeat(51)).unwrap_err();
        assert!(err.to_string().contains("longer than 100 bytes"), "{err}");
    }
}
