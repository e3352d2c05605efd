//! Typed errors and diagnostics.
//!
//! A build collects every problem it finds as a [`Diagnostic`] (file, line, column, message, hint)
//! instead of stopping at the first one, and returns them together as [`Error::Build`]. Errors are
//! printed once, at the edge (the CLI, the watcher or the dev server's overlay).
//!
//! File names, ids and values in messages come from the site's files, so whatever is printed is
//! made safe here first ([`printable`], [`printable_line`]): no control character reaches the
//! terminal (an ESC sequence could rewrite it) and no line can start with `::`, which GitHub
//! Actions reads as a workflow command from any output (a file name with a newline and
//! `::warning file=…` forged an annotation).

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a diagnostic is. Warnings never fail `build`; `check --strict` promotes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one input file, with the line of the *file* (not of an embedded YAML block).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path as the user knows it: relative to the site root where possible.
    pub file: PathBuf,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    /// 1-based column in `file`, when known.
    pub col: Option<usize>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

/// `text` with every control character shown as an escape (`\u{1b}`, `\n`): for a single-line
/// value such as a file name.
pub fn printable_line(text: &str) -> String {
    if !text.chars().any(|c| c.is_control()) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with its line breaks kept, every other control character shown as an escape, and a
/// backslash before a line that would start with `::` (a workflow command).
pub fn printable(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            let line = printable_line(line.strip_suffix('\r').unwrap_or(line));
            if line.trim_start().starts_with("::") {
                format!("\\{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A value of a workflow command property, escaped as GitHub documents (`%`, CR, LF, `:`, `,`),
/// other control characters shown as escapes.
fn annotation_property(text: &str) -> String {
    printable_line(
        &text
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
            .replace(':', "%3A")
            .replace(',', "%2C"),
    )
}

/// A workflow command's message, escaped as GitHub documents (`%`, CR, LF).
fn annotation_message(text: &str) -> String {
    printable_line(
        &text
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

impl Diagnostic {
    pub fn error(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line,
            col: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, line, message)
        }
    }

    pub fn with_col(mut self, col: Option<usize>) -> Self {
        self.col = col;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:col` as editors and GitHub annotations expect it.
    pub fn location(&self) -> String {
        let mut s = printable_line(&self.file.display().to_string());
        if let Some(line) = self.line {
            s.push_str(&format!(":{line}"));
            if let Some(col) = self.col {
                s.push_str(&format!(":{col}"));
            }
        }
        s
    }

    /// The GitHub Actions workflow command that shows this problem on a pull request.
    pub fn github_annotation(&self) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!(
            "file={}",
            annotation_property(&self.file.display().to_string())
        );
        if let Some(line) = self.line {
            props.push_str(&format!(",line={line}"));
        }
        if let Some(col) = self.col {
            props.push_str(&format!(",col={col}"));
        }
        // Workflow commands end at a newline; percent-encode as the runner documents.
        let msg = annotation_message(&self.message);
        format!("::{kind} {props}::{msg}")
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}: {kind}: {}",
            self.location(),
            printable(&self.message)
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", printable(help))?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input has problems; each is reported on its own.
    #[error("{}", summarize(.0))]
    Build(Vec<Diagnostic>),
    /// A file or directory could not be read or written.
    #[error("{}: {source}", printable_line(&.path.display().to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The command was asked to do something it refuses to do (e.g. write over the site's sources).
    #[error("{}", printable(.0))]
    Refused(String),
    /// The file watcher could not start or stopped.
    #[error("file watcher: {}", printable(.0))]
    Watch(String),
    /// The dev server could not start.
    #[error("server: {}", printable(.0))]
    Serve(String),
}

fn summarize(diags: &[Diagnostic]) -> String {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    format!(
        "{}\n{} error{} found",
        lines.join("\n"),
        errors,
        if errors == 1 { "" } else { "s" }
    )
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The diagnostics carried by this error, or one made from its message.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Error::Build(d) => d.clone(),
            Error::Io { path, source } => {
                vec![Diagnostic::error(path.clone(), None, source.to_string())]
            }
            other => vec![Diagnostic::error("", None, other.to_string())],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects diagnostics across a stage so that a build reports every problem, not only the first.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, d: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(d);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Sorted by file and line, so output is stable whatever order the parallel stages ran in.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.0.sort_by(|a, b| {
            (&a.file, a.line, a.col, &a.message).cmp(&(&b.file, b.line, b.col, &b.message))
        });
        self.0.dedup();
        self.0
    }

    /// `Err` with every diagnostic when any is an error; otherwise the warnings.
    pub fn into_result(self) -> Result<Vec<Diagnostic>> {
        if self.has_errors() {
            Err(Error::Build(self.sorted()))
        } else {
            Ok(self.sorted())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forged() -> Diagnostic {
        Diagnostic::error(
            "content/x\n::warning file=README.md,line=1::forged\u{1b}[2J.md",
            Some(3),
            "front matter: unknown source `a\n::error::b`\u{1b}]0;title\u{7}",
        )
        .with_help("see\n  ::notice::c")
    }

    #[test]
    fn printed_diagnostics_hold_no_control_characters_and_no_workflow_commands() {
        let shown = forged().to_string();
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown:?}"
        );
        for line in shown.lines() {
            assert!(!line.trim_start().starts_with("::"), "{shown}");
        }
        assert!(
            shown.starts_with(
                "content/x\\n::warning file=README.md,line=1::forged\\u{1b}[2J.md:3: error:"
            ),
            "{shown}"
        );
    }

    #[test]
    fn annotations_escape_properties_and_messages_as_github_documents() {
        let a = forged().github_annotation();
        assert_eq!(a.lines().count(), 1, "{a}");
        assert!(!a.contains('\u{1b}'), "{a:?}");
        let (props, message) = a
            .strip_prefix("::error ")
            .and_then(|r| r.split_once("::"))
            .expect("one command");
        assert_eq!(
            props,
            "file=content/x%0A%3A%3Awarning file=README.md%2Cline=1%3A%3Aforged\\u{1b}[2J.md,line=3"
        );
        assert!(message.contains("`a%0A::error::b`"), "{message}");
        let percent = Diagnostic::error("100%.md", None, "50% done").github_annotation();
        assert_eq!(percent, "::error file=100%25.md::50%25 done");
    }
}
