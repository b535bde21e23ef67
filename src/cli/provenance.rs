//! Who ran a run, where, and with what: the provenance every report carries.

use crate::prepare::Prepared;
use crate::report::VariableRecord;
use crate::template::{VarSource, is_secret_name};

/// Who ran drbook: the login name from the environment, else the account of the process's
/// user id (cron and CI often set no `USER`).
pub fn operator() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(account_of_this_process)
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(unix)]
fn account_of_this_process() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn account_of_this_process() -> Option<String> {
    None
}

pub fn host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .filter(|h| !h.is_empty())
}

pub fn slug(name: &str) -> String {
    let mut slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-');
    let slug: String = slug.chars().take(48).collect();
    if slug.is_empty() {
        "runbook".to_owned()
    } else {
        slug
    }
}

/// The variables as the journal keeps them: a secret's value is left out.
pub fn journal_variables(prepared: &Prepared) -> Vec<crate::exec::journal::JournalVariable> {
    variable_records(prepared)
        .into_iter()
        .map(|record| {
            let secret = is_secret_name(&record.name);
            crate::exec::journal::JournalVariable {
                value: (!secret).then_some(record.value),
                name: record.name,
                secret,
                source: record.source,
            }
        })
        .collect()
}

pub fn variable_records(prepared: &Prepared) -> Vec<VariableRecord> {
    prepared
        .variables
        .iter()
        .map(|(name, var)| VariableRecord {
            name: name.clone(),
            value: if is_secret_name(name) {
                serde_json::Value::String("***".to_owned())
            } else {
                var.value.clone()
            },
            source: match &var.source {
                VarSource::Runbook => "runbook".to_owned(),
                VarSource::Env(n) => format!("environment ({n})"),
                VarSource::File(f) => format!("file {f}"),
                VarSource::Cli => "--var".to_owned(),
                VarSource::Resumed(source) => source.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn run_ids_carry_a_readable_slug() {
        assert_eq!(slug("Payments: site A → B"), "payments-site-a-b");
        assert_eq!(slug("***"), "runbook");
    }
}
