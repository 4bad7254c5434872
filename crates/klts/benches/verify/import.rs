//! Writing the upstream with one `git fast-import` stream.

use super::*;

/// A `git fast-import` process and the stream written to it.
pub(crate) struct Importer {
    pub(crate) child: Child,
    pub(crate) out: BufWriter<ChildStdin>,
    pub(crate) next_mark: u32,
    pub(crate) clock: i64,
    pub(crate) commits: usize,
}

impl Importer {
    pub(crate) fn start(dir: &Path, marks: &Path) -> Importer {
        let mut child = git_dir_cmd_fast_import(dir, marks)
            .stdin(Stdio::piped())
            .spawn()
            .expect("start git fast-import");
        let stdin = child.stdin.take().expect("fast-import stdin");
        Importer {
            child,
            out: BufWriter::with_capacity(1 << 20, stdin),
            next_mark: 1,
            clock: EPOCH,
            commits: 0,
        }
    }

    /// Write a commit on `refname` with parent `from`; returns its mark.
    pub(crate) fn commit(
        &mut self,
        refname: &str,
        from: Option<u32>,
        author: &str,
        msg: &str,
        changes: &[Change],
    ) -> u32 {
        let mark = self.next_mark;
        self.next_mark += 1;
        self.clock += 3600;
        self.commits += 1;
        let o = &mut self.out;
        let t = self.clock;
        write!(
            o,
            "commit {refname}\nmark :{mark}\nauthor {author} {t} +0000\n"
        )
        .unwrap();
        write!(
            o,
            "committer {COMMITTER} {t} +0000\ndata {}\n{msg}\n",
            msg.len()
        )
        .unwrap();
        if let Some(from) = from {
            writeln!(o, "from :{from}").unwrap();
        }
        for (path, entry) in changes {
            match entry {
                Some(e) => {
                    write!(o, "M {} inline {path}\ndata {}\n", e.mode, e.data.len()).unwrap();
                    o.write_all(&e.data).unwrap();
                    o.write_all(b"\n").unwrap();
                }
                None => writeln!(o, "D {path}").unwrap(),
            }
        }
        o.write_all(b"\n").unwrap();
        mark
    }

    /// An annotated tag.
    pub(crate) fn tag(&mut self, name: &str, commit: u32) {
        let msg = format!("Kubernetes release {name}\n");
        let t = self.clock;
        write!(
            self.out,
            "tag {name}\nfrom :{commit}\ntagger {COMMITTER} {t} +0000\ndata {}\n{msg}\n",
            msg.len()
        )
        .unwrap();
    }

    pub(crate) fn finish(mut self) -> usize {
        self.out.write_all(b"done\n").unwrap();
        self.out.flush().unwrap();
        drop(self.out);
        let status = self.child.wait().expect("wait for fast-import");
        assert!(status.success(), "git fast-import failed: {status}");
        self.commits
    }
}

pub(crate) fn git_dir_cmd_fast_import(dir: &Path, marks: &Path) -> Command {
    let mut c = git_dir(dir);
    c.args(["fast-import", "--quiet", "--done", "--date-format=raw"])
        .arg(format!("--export-marks={}", marks.display()));
    c
}
