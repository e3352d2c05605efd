//! Which symbolic links the loaders may follow: only those whose target stays inside the site
//! root, and not into one of the root's hidden folders (`.git` holds a CI token in its config).
//! A link anywhere else (`/proc/self/environ`, `/etc/passwd`, `../secrets/`) is an error naming
//! the link and its target, so a build can never publish a file from outside the site.
//!
//! The loaders (content, registries, site.yaml, layouts, assets, and what watch hashes) ask
//! [`Bounds`] about each entry that is a link; walking, reading and reporting stay with them.
//! Special files (FIFOs, devices) are the loaders' business too: they skip or refuse them.

use crate::error::Diagnostic;
use std::path::{Component, Path, PathBuf};

/// The site root as the file system resolves it, to compare link targets against.
#[derive(Debug, Clone)]
pub struct Bounds {
    root: PathBuf,
    /// The root as given, for messages relative to it.
    shown_root: PathBuf,
}

/// A path that leads out of the site through a symlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escape {
    /// The link, as given.
    pub link: PathBuf,
    /// What the link says (`read_link`), as the user wrote it.
    pub target: PathBuf,
    /// Why it may not be followed.
    pub why: &'static str,
}

impl Bounds {
    pub fn new(root: &Path) -> Bounds {
        let resolved = std::fs::canonicalize(root)
            .or_else(|_| std::path::absolute(root))
            .unwrap_or_else(|_| root.to_path_buf());
        Bounds {
            root: resolved,
            shown_root: root.to_path_buf(),
        }
    }

    /// Whether `path` (a source file or folder, through any links on the way) stays inside the
    /// site. A path that does not exist, or a broken link, is left to the caller to report.
    pub fn check(&self, path: &Path) -> Result<(), Escape> {
        let Ok(real) = std::fs::canonicalize(path) else {
            return Ok(());
        };
        let why = match real.strip_prefix(&self.root) {
            Err(_) => "it points outside the site",
            Ok(rel) if rel.components().any(|c| is_hidden(&c)) => {
                "it points into a hidden folder or file of the site (such as .git)"
            }
            Ok(_) => return Ok(()),
        };
        Err(Escape {
            link: self.link_on_the_way(path),
            target: std::fs::read_link(self.link_on_the_way(path)).unwrap_or(real),
            why,
        })
    }

    /// The last symlink on the way to `path` (itself or a folder above it, below the root), for
    /// the message; `path` itself if none is found (the root's own link is not the user's doing).
    fn link_on_the_way(&self, path: &Path) -> PathBuf {
        let mut p = Some(path);
        while let Some(here) = p {
            if here == self.shown_root || here.as_os_str().is_empty() {
                break;
            }
            if std::fs::symlink_metadata(here).is_ok_and(|m| m.file_type().is_symlink()) {
                return here.to_path_buf();
            }
            p = here.parent();
        }
        path.to_path_buf()
    }

    /// `path` relative to the site root as given, for messages.
    pub fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.shown_root)
            .unwrap_or(path)
            .to_path_buf()
    }

    /// The diagnostic for an escape, on the link's path as the user knows it.
    pub fn diagnostic(&self, e: &Escape) -> Diagnostic {
        Diagnostic::error(
            self.shown(&e.link),
            None,
            format!(
                "symbolic link to `{}` is not followed: {}",
                e.target.display(),
                e.why
            ),
        )
        .with_help(
            "bilat follows links only to files and folders inside the site root (not into its \
             hidden folders); copy the file into the site or remove the link",
        )
    }

    /// [`Bounds::check`] as a diagnostic.
    pub fn check_diag(&self, path: &Path) -> Option<Diagnostic> {
        self.check(path).err().map(|e| self.diagnostic(&e))
    }

    /// Walks `dir` in file-name order, following links only inside the site: the walk does not
    /// enter a link (or start from a folder) that leads out, and says why in `escapes`.
    /// `wanted` prunes entries first, so that ignored names are never resolved.
    pub fn walk<'a>(
        &'a self,
        dir: &Path,
        escapes: &'a mut Vec<Diagnostic>,
        wanted: impl Fn(&walkdir::DirEntry) -> bool + 'a,
    ) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> + 'a {
        walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(move |e| {
                if !wanted(e) {
                    return false;
                }
                if e.depth() == 0 || e.path_is_symlink() {
                    if let Some(d) = self.check_diag(e.path()) {
                        escapes.push(d);
                        return false;
                    }
                }
                true
            })
    }
}

fn is_hidden(c: &Component<'_>) -> bool {
    matches!(c, Component::Normal(n) if n.to_string_lossy().starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_are_followed_and_the_rest_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("site");
        std::fs::create_dir_all(root.join("content")).expect("mkdir");
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        std::fs::write(root.join("content/a.md"), "a").expect("write");
        std::fs::write(root.join(".git/config"), "token").expect("write");
        std::fs::write(tmp.path().join("secret"), "s").expect("write");
        symlink("a.md", root.join("content/b.md")).expect("link");
        symlink("../../secret", root.join("content/c.md")).expect("link");
        symlink("../.git/config", root.join("content/d.txt")).expect("link");
        symlink(tmp.path(), root.join("content/up")).expect("link");
        let b = Bounds::new(&root);
        assert_eq!(b.check(&root.join("content/a.md")), Ok(()));
        assert_eq!(b.check(&root.join("content/b.md")), Ok(()));
        let e = b.check(&root.join("content/c.md")).expect_err("outside");
        assert_eq!(e.target, PathBuf::from("../../secret"));
        assert_eq!(e.link, root.join("content/c.md"));
        let e = b.check(&root.join("content/d.txt")).expect_err("hidden");
        assert!(e.why.contains("hidden"), "{e:?}");
        // A file reached through a linked folder names the folder's link.
        let e = b
            .check(&root.join("content/up/secret"))
            .expect_err("through");
        assert_eq!(e.link, root.join("content/up"));
        let d = b.diagnostic(&e);
        assert_eq!(d.file, PathBuf::from("content/up"));
    }
}
