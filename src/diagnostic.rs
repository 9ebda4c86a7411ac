//! Located problems found while loading the content folder.
//!
//! Every stage that reads user input reports problems as [`Diagnostic`]s instead of failing:
//! a file with an [`Severity::Error`] is skipped, everything else still loads.

use serde::Serialize;
use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// The file could not be loaded and was skipped.
    Error,
    /// The file loaded, but something in it was guessed, ignored or changed.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        })
    }
}

/// One problem, located in a file relative to the content root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the content root, with `/` separators.
    pub path: String,
    /// 1-based line in the file, when known.
    pub line: Option<u32>,
    /// 1-based column in the line, when known.
    pub column: Option<u32>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, path, message)
    }

    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, path, message)
    }

    fn new(severity: Severity, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// Locates the problem at a 1-based line (and optionally column).
    pub fn at(mut self, line: u32, column: Option<u32>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Logs it at its own level, ERROR as `error` and WARNING as `warn`: the one rule for
    /// load diagnostics, at start-up and on every reload.
    pub fn log(&self) {
        match self.severity {
            Severity::Error => tracing::error!("{self}"),
            Severity::Warning => tracing::warn!("{self}"),
        }
    }
}

/// Sorts diagnostics by file, line, column, then severity: the order reports print them in.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.path.as_str(), a.line, a.column, a.severity).cmp(&(
            b.path.as_str(),
            b.line,
            b.column,
            b.severity,
        ))
    });
}

impl fmt::Display for Diagnostic {
    /// `ERROR blog/_posts/x.md:4:7: message`, the shape compilers use, so editors can jump to it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.severity, self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_column() {
        let d = Diagnostic::error("_posts/a.md", "bad YAML").at(4, Some(7));
        assert_eq!(d.to_string(), "ERROR _posts/a.md:4:7: bad YAML");
        let w = Diagnostic::warning("b.md", "no title");
        assert_eq!(w.to_string(), "WARNING b.md: no title");
    }
}
