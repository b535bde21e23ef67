//! drbook's exit codes, in one place.

/// Every step succeeded (or the runbooks are valid).
pub const SUCCESS: u8 = 0;
/// A step failed, the server could not be reached or refused to log in, or the report could
/// not be written.
pub const FAILED: u8 = 1;
/// Invalid runbook, variables or usage; nothing was sent.
pub const INVALID: u8 = 2;
/// Another drbook holds the lock of this runbook or of one of its plans; nothing was sent.
pub const LOCKED: u8 = 3;
/// Interrupted (Ctrl-C / SIGINT); the report says what had happened by then.
pub const INTERRUPTED: u8 = 130;
