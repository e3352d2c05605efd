//! Runs the real `bilat` binary with a time limit and measures its peak memory: shared by
//! tests/bad_input.rs and tests/faults.rs (`#[path]`-included; this folder holds the fixtures).
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How one run of the binary ended.
#[derive(Debug)]
pub struct Run {
    /// Exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident memory of the child, from wait4's rusage (Linux reports KiB). Linux counts
    /// the forked test process before `exec` in it too, so this is an upper bound.
    pub max_rss_kib: u64,
    /// The highest `VmHWM` seen in /proc/<pid>/status while polling: the binary's own peak (it
    /// can miss growth in the last few milliseconds; `max_rss_kib` cannot).
    pub hwm_kib: u64,
    /// The time limit ran out and the child was killed.
    pub timed_out: bool,
}

impl Run {
    pub fn max_rss_mib(&self) -> u64 {
        self.max_rss_kib / 1024
    }

    pub fn hwm_mib(&self) -> u64 {
        self.hwm_kib / 1024
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_bilat")
}

/// `bilat build --root ROOT --output OUT`.
pub fn build_cmd(root: &Path, out: &Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(out);
    c
}

/// Runs `cmd`, killing it after `limit`; reaps it with wait4 to get its peak RSS.
pub fn run_limited(mut cmd: Command, limit: Duration) -> Run {
    run_with(&mut cmd, limit, |_, _| {})
}

/// Like [`run_limited`], calling `during(pid, elapsed)` every few milliseconds while it runs
/// (used to SIGKILL a build part-way).
pub fn run_with(cmd: &mut Command, limit: Duration, mut during: impl FnMut(i32, Duration)) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn bilat");
    let pid = child.id() as i32;
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    // Read both pipes on their own threads so a chatty child never blocks on a full pipe.
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let mut timed_out = false;
    let mut hwm_kib = 0u64;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped; pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
        hwm_kib = hwm_kib.max(vm_hwm_kib(pid));
        let elapsed = start.elapsed();
        if elapsed > limit && !timed_out {
            timed_out = true;
            // SAFETY: plain kill(2) of our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        during(pid, elapsed);
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    // The child is reaped: std's Child must not wait on it again (dropping it does not).
    drop(child);
    let stdout = String::from_utf8_lossy(&out_t.join().expect("stdout reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().expect("stderr reader")).into_owned();
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    Run {
        code,
        signal,
        stdout,
        stderr,
        elapsed,
        max_rss_kib: usage.ru_maxrss as u64,
        hwm_kib,
        timed_out,
    }
}

/// `VmHWM` of a live process, in KiB (0 once it has exited or before it has exec'd).
pub fn vm_hwm_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL in path");
    // SAFETY: c is a valid NUL-terminated path.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(
        r,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}
