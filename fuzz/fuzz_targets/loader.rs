//! The whole loader (size and emptiness checks, YAML parse, schema, variables, templates,
//! typed build, cross-field rules) on arbitrary bytes, read as lossy UTF-8. Any result is
//! fine; a panic, a hang or a runaway allocation is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = drbook::prepare::prepare(
        drbook::runbook::Source::from_text("fuzz.yaml", &text),
        &drbook::template::VarInputs::default(),
    );
});
