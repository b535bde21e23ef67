//! Reading a runbook (or variables) file: the only place that touches the file system.

use super::yaml::MAX_FILE_BYTES;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A source file's text, as read once.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    /// The path as the user wrote it, for messages.
    pub name: String,
    pub text: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct SourceError {
    pub name: String,
    pub message: String,
}

impl Source {
    /// Reads a file, refusing anything over [`MAX_FILE_BYTES`] before reading it whole.
    pub fn read(path: &Path) -> Result<Source, SourceError> {
        let name = path.display().to_string();
        let fail = |message: String| SourceError {
            name: name.clone(),
            message,
        };
        let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
        let meta = file
            .metadata()
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        if meta.is_dir() {
            return Err(fail("is a directory, not a file".to_owned()));
        }
        let mut bytes = Vec::with_capacity(meta.len().min(MAX_FILE_BYTES as u64) as usize);
        file.take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(fail(format!(
                "the file is larger than the {MAX_FILE_BYTES} bytes drbook reads"
            )));
        }
        let sha256 = hex(&Sha256::digest(&bytes));
        let text = String::from_utf8(bytes).map_err(|e| {
            fail(format!(
                "is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(Source {
            path: path.to_path_buf(),
            name,
            text,
            sha256,
        })
    }

    /// A source that did not come from a file (tests, generated runbooks).
    pub fn from_text(name: &str, text: &str) -> Source {
        Source {
            path: PathBuf::from(name),
            name: name.to_owned(),
            sha256: hex(&Sha256::digest(text.as_bytes())),
            text: text.to_owned(),
        }
    }
}

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
