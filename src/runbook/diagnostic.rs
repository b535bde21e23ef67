//! One way of printing a problem against its source, compiler style:
//!
//! ```text
//! error: steps[2].failover.plan_id: expected a plan UUID, got "db"
//!   --> runbooks/site-b.yaml:14:16
//!    |
//! 14 |       plan_id: db
//!    |                ^^
//!    = hint: ...
//! ```
//!
//! Every stage that finds a problem in a file (YAML parsing, the schema check, variable
//! files, templates, the typed reader and the cross-field rules) reports it as a
//! [`Diagnostic`]; problems in the document's structure are worded in one place,
//! `schema`.

use super::node::Pos;
use serde::Serialize;
use std::fmt;

/// A problem found in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field path, such as `steps[2].failover.plan_id`; empty for the whole document.
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending source line, when the file was read.
    #[serde(skip)]
    pub source_line: Option<String>,
    /// Which known problem this is, for a later stage that adds to the advice.
    #[serde(skip)]
    pub problem: Option<Problem>,
    /// An error makes the runbook invalid; a warning is advice on a valid one.
    #[serde(skip)]
    pub severity: Severity,
}

/// Whether a diagnostic makes its file invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Problems that a stage other than the one that found them reacts to, named so it need not
/// read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A restore point with a UTC offset, and no `server_time_zone` to convert it into.
    OffsetWithoutTimeZone,
}

impl Diagnostic {
    pub fn new(file: &str, pos: Pos, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_owned(),
            line: pos.line,
            column: pos.column,
            path: path.into(),
            message: message.into(),
            hint: None,
            source_line: None,
            problem: None,
            severity: Severity::Error,
        }
    }

    /// The same, as a warning: advice on a valid file.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub fn with_problem(mut self, problem: Problem) -> Self {
        self.problem = Some(problem);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches the source line the diagnostic points at. Lines end the way YAML ends
    /// them: `\n`, `\r\n` or a lone `\r`, so the line number and the line shown agree.
    pub fn with_source(mut self, source: &str) -> Self {
        if self.line > 0 {
            self.source_line = yaml_lines(source).nth(self.line - 1).map(str::to_owned);
        }
        self
    }

    /// `file:line:column`, or just the file when the position is unknown.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.column)
        }
    }

    /// The one-line form: `file:line:col: path: message`.
    pub fn short(&self) -> String {
        if self.path.is_empty() {
            format!("{}: {}", self.location(), self.message)
        } else {
            format!("{}: {}: {}", self.location(), self.path, self.message)
        }
    }
}

/// Splits text into lines at `\n`, `\r\n` and lone `\r`, as YAML counts them.
pub fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\n', '\r']) {
            None => {
                rest = None;
                (!current.is_empty()).then_some(current)
            }
            Some(at) => {
                let skip = if current[at..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[at + skip..]);
                Some(&current[..at])
            }
        }
    })
}

/// How many carets to draw under the token that starts at `column` (1-based, in chars).
fn token_width(line: &str, column: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column.saturating_sub(1)).collect();
    let width = match rest.first() {
        Some(quote @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|c| c == quote)
            .map_or(rest.len(), |end| end + 2),
        Some(_) => {
            let text: String = rest.iter().collect();
            let end = text.find(" #").unwrap_or(text.len());
            text[..end].trim_end().chars().count()
        }
        None => 1,
    };
    width.clamp(1, 80)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.severity.label();
        if self.path.is_empty() {
            writeln!(f, "{label}: {}", self.message)?;
        } else {
            writeln!(f, "{label}: {}: {}", self.path, self.message)?;
        }
        let gutter = " ".repeat(self.line.to_string().len());
        write!(f, "{gutter}--> {}", self.location())?;
        if let Some(line) = &self.source_line {
            let pad: String = line
                .chars()
                .take(self.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let carets = "^".repeat(token_width(line, self.column));
            write!(
                f,
                "\n{gutter} |\n{} | {line}\n{gutter} | {pad}{carets}",
                self.line
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n{gutter} = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Formats a list of diagnostics, one block each, separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_compiler_style_with_carets_under_the_token() {
        let source = "version: 1\nsteps:\n  - wait: soon # later\n";
        let d = Diagnostic::new(
            "rb.yaml",
            Pos {
                line: 3,
                column: 11,
            },
            "steps[0].wait",
            "expected a duration",
        )
        .with_hint("write 30s")
        .with_source(source);
        assert_eq!(
            d.to_string(),
            "error: steps[0].wait: expected a duration\n --> rb.yaml:3:11\n  |\n3 |   - wait: soon # later\n  |           ^^^^\n  = hint: write 30s"
        );
    }

    #[test]
    fn lines_end_as_yaml_ends_them() {
        let lines: Vec<&str> = yaml_lines("a\r\rb\r\nc\nd").collect();
        assert_eq!(lines, ["a", "", "b", "c", "d"]);
        let d = Diagnostic::new("f", Pos { line: 3, column: 1 }, "", "m")
            .with_source("a: 1\r\rb: 'x\n");
        assert_eq!(d.source_line.as_deref(), Some("b: 'x"));
    }

    #[test]
    fn quoted_tokens_are_underlined_whole() {
        assert_eq!(token_width(r#"  id: "a b c" # x"#, 7), 7);
        assert_eq!(token_width("x", 5), 1);
    }

    #[test]
    fn unknown_position_prints_the_file_only() {
        let d = Diagnostic::new("rb.yaml", Pos::default(), "", "empty");
        assert_eq!(d.to_string(), "error: empty\n --> rb.yaml");
    }
}
