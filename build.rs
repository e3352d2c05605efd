// The built-in theme (theme/layouts, theme/assets) is embedded in the binary; rebuild when it
// changes. `bilat --version` names the commit: from BILAT_COMMIT (set by the release workflow),
// else from git, else from the .cargo_vcs_info.json that `cargo package` writes.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-changed=theme");
    println!("cargo:rerun-if-env-changed=BILAT_COMMIT");
    let from_git = || {
        // A new commit or checkout changes HEAD or the branch it names.
        for path in ["HEAD", "packed-refs"] {
            if let Some(p) = git(&["rev-parse", "--git-path", path]) {
                println!("cargo:rerun-if-changed={p}");
            }
        }
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            if let Some(p) = git(&["rev-parse", "--git-path", &branch]) {
                println!("cargo:rerun-if-changed={p}");
            }
        }
        git(&["rev-parse", "HEAD"])
    };
    let from_package = || {
        let text = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
        let at = text.find("\"sha1\"")?;
        let rest = &text[at + 6..];
        let start = rest.find('"')? + 1;
        let end = start + rest[start..].find('"')?;
        Some(rest[start..end].to_string())
    };
    let commit = std::env::var("BILAT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(from_package)
        .or_else(from_git)
        .unwrap_or_else(|| "unknown".into());
    let short: String = commit.chars().take(12).collect();
    println!("cargo:rustc-env=BILAT_COMMIT={short}");
}
