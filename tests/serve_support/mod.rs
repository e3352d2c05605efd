//! Helpers for the `serve`, `watch` and browser tests: a copy of a fixture site in a temp dir, the
//! real `bilat` binary running on it, a tiny HTTP/1.1 client and a Server-Sent Events reader.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// Copying and snapshotting sites is shared with the build tests.
#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{copy_dir, search_index_files, snapshot};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sites")
        .join(name)
}

/// A fresh copy of a fixture site: (temp dir holding it, site root).
pub fn site_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("site");
    copy_dir(&fixture(name), &root);
    (tmp, root)
}

/// Writes a file the way editors that save in place do.
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
}

/// Writes a file the way vim, VS Code, JetBrains and helix do: a temp file, then a rename over it.
pub fn write_by_rename(path: &Path, text: &str) {
    let name = path.file_name().expect("name").to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp-save"));
    std::fs::write(&tmp, text).expect("write temp");
    std::fs::rename(&tmp, path).expect("rename over");
}

/// Replaces `from` by `to` in a file, asserting `from` was there.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    write(path, &text.replacen(from, to, 1));
}

/// Polls `f` until it returns Some or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `bilat serve` or `bilat watch`, stopped (by SIGINT, then SIGKILL) when dropped.
pub struct Bilat {
    child: Option<Child>,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<Vec<String>>>,
}

fn pump(stream: impl Read + Send + 'static, into: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            into.lock().expect("lines").push(line);
        }
    });
}

impl Bilat {
    /// Starts `bilat watch` on `root`, writing to `out`, and waits until it is watching.
    pub fn watch(root: &Path, out: &Path, extra: &[&str]) -> Bilat {
        let mut args = vec![
            "watch",
            "--root",
            root.to_str().expect("utf8"),
            "--output",
            out.to_str().expect("utf8"),
        ];
        args.extend_from_slice(extra);
        let w = Bilat::spawn(&args);
        assert!(
            w.wait_line("watching", Duration::from_secs(60)).is_some(),
            "bilat watch did not start\n{}",
            w.output_text()
        );
        w
    }

    pub fn spawn(args: &[&str]) -> Bilat {
        Bilat::spawn_env(args, &[])
    }

    /// As [`Bilat::spawn`], with `env` set for the process.
    pub fn spawn_env(args: &[&str], env: &[(&str, &str)]) -> Bilat {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bilat"))
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bilat");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        pump(child.stdout.take().expect("stdout"), stdout.clone());
        pump(child.stderr.take().expect("stderr"), stderr.clone());
        Bilat {
            child: Some(child),
            stdout,
            stderr,
        }
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().expect("lines").clone()
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().expect("lines").join("\n")
    }

    /// Whether stderr holds `needle` within `within`: the terminal line and the browser's event
    /// are written by two threads, and a loaded machine may deliver the event first.
    pub fn stderr_within(&self, needle: &str, within: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + within;
        loop {
            if self.stderr_text().contains(needle) {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn output_text(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.stdout_lines().join("\n"),
            self.stderr_text()
        )
    }

    /// Waits for a line of stdout that contains `needle`.
    pub fn wait_line(&self, needle: &str, timeout: Duration) -> Option<String> {
        wait_for(timeout, || {
            self.stdout_lines().into_iter().find(|l| l.contains(needle))
        })
    }

    /// Lines that report a rebuild (`[hh:mm:ss] … changed: …`).
    pub fn rebuild_lines(&self) -> Vec<String> {
        let mut lines = self.stdout_lines();
        lines.extend(self.stderr.lock().expect("lines").iter().cloned());
        lines
            .into_iter()
            .filter(|l| l.starts_with('[') && l.contains("] ") && l.contains(" changed"))
            .collect()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGINT (what Ctrl-C sends) and waits for the exit status.
    pub fn interrupt(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running (it has not exited, crashed or been killed).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The resident set size of the process in KiB, from `/proc/<pid>/status` (Linux only).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Waits until no new rebuild line has appeared for `quiet`, at most `timeout` in all;
    /// returns whether it settled.
    pub fn wait_quiet(&self, quiet: Duration, timeout: Duration) -> bool {
        let start = Instant::now();
        let mut count = self.rebuild_lines().len();
        let mut since = Instant::now();
        while start.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.rebuild_lines().len();
            if now != count {
                count = now;
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return true;
            }
        }
        false
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        let status = wait_for(timeout, || child.try_wait().ok().flatten());
        if status.is_some() {
            self.child = None;
        }
        status
    }
}

impl Drop for Bilat {
    fn drop(&mut self) {
        if self.child.is_some() {
            // SIGINT lets serve remove its temp output dir.
            self.interrupt(Duration::from_secs(5));
        }
    }
}

/// `bilat serve` on a copy of a fixture site.
pub struct Server {
    pub bilat: Bilat,
    /// `http://127.0.0.1:PORT/base/` as printed.
    pub url: String,
    /// `127.0.0.1:PORT`
    pub addr: String,
    pub root: PathBuf,
    pub tmp: tempfile::TempDir,
}

impl Server {
    pub fn start(fixture_name: &str, extra: &[&str]) -> Server {
        let (tmp, root) = site_copy(fixture_name);
        Server::start_in(tmp, root, extra)
    }

    pub fn start_in(tmp: tempfile::TempDir, root: PathBuf, extra: &[&str]) -> Server {
        Server::start_in_env(tmp, root, extra, &[])
    }

    /// As [`Server::start_in`], with `env` set for the server.
    pub fn start_in_env(
        tmp: tempfile::TempDir,
        root: PathBuf,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let root_s = root.to_str().expect("utf8").to_string();
        let mut args = vec!["serve", "--root", &root_s, "--port", "0"];
        args.extend_from_slice(extra);
        let bilat = Bilat::spawn_env(&args, env);
        let line = bilat.wait_line("serving http://", Duration::from_secs(60));
        let Some(line) = line else {
            panic!("bilat serve did not print its URL\n{}", bilat.output_text());
        };
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("url in line")
            .to_string();
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("host")
            .to_string();
        Server {
            bilat,
            url,
            addr,
            root,
            tmp,
        }
    }

    /// The URL path of the base (`/repo/`).
    pub fn base(&self) -> String {
        let rest = self.url.trim_start_matches("http://");
        rest[rest.find('/').expect("path")..].to_string()
    }

    /// GET of a path under the base path (`topics/trade/`).
    pub fn page(&self, rel: &str) -> Response {
        self.get(&format!("{}{rel}", self.base()))
    }

    /// GET with exactly this request target, unnormalized.
    pub fn get(&self, target: &str) -> Response {
        http(&self.addr, "GET", target, None)
    }

    /// Opens the live-reload event stream and waits for its `hello`.
    pub fn events(&self) -> EventStream {
        let mut s = EventStream::open(&self.addr, &format!("{}__bilat/events", self.base()));
        let hello = s.next(Duration::from_secs(10));
        assert_eq!(
            hello.as_ref().map(|e| e.name.as_str()),
            Some("hello"),
            "event stream opened with {hello:?}"
        );
        s
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), read to the end.
pub fn http(addr: &str, method: &str, target: &str, body: Option<&str>) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    stream.write_all(req.as_bytes()).expect("send");
    // Read until the body is complete: some servers (chromedriver) keep the connection open.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let body = raw.len() - split - 4;
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let no_body = method == "HEAD"
                || head.starts_with("http/1.1 204")
                || head.starts_with("http/1.1 304");
            if no_body || length.is_some_and(|n| body >= n) {
                break;
            }
            if head.contains("transfer-encoding: chunked") && raw.ends_with(b"0\r\n\r\n") {
                break;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw.get(split + 4..).unwrap_or_default().to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = data.get(end + 2..).unwrap_or_default();
    }
    out
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub name: String,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).expect("event data is JSON")
    }
}

/// A Server-Sent Events stream, read over HTTP/1.0 so the body is not chunked.
pub struct EventStream {
    reader: BufReader<TcpStream>,
}

impl EventStream {
    pub fn open(addr: &str, target: &str) -> EventStream {
        let mut stream = TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET {target} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .expect("send");
        let mut reader = BufReader::new(stream);
        reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        // Skip the response head.
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).expect("read head");
            if n == 0 || line == "\r\n" || line == "\n" {
                break;
            }
        }
        EventStream { reader }
    }

    /// The next event (comments and keep-alives skipped), or None after `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + timeout;
        let (mut name, mut data) = (String::new(), Vec::<String>::new());
        let mut line = String::new();
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.reader
                .get_ref()
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .ok()?;
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(_) => return None,
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if l.is_empty() {
                if !name.is_empty() || !data.is_empty() {
                    return Some(SseEvent {
                        name: std::mem::take(&mut name),
                        data: data.join("\n"),
                    });
                }
            } else if let Some(v) = l.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = l.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
            }
        }
    }

    /// The next event named `name`, skipping others.
    pub fn next_named(&mut self, name: &str, timeout: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let e = self.next(left)?;
            if e.name == name {
                return Some(e);
            }
        }
    }

    /// Every event that arrives within `window`.
    pub fn drain(&mut self, window: Duration) -> Vec<SseEvent> {
        let deadline = Instant::now() + window;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left) {
                Some(e) => out.push(e),
                None => break,
            }
        }
        out
    }
}
