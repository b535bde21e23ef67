// mimalloc: a run allocates and frees on every event (journal line, report record, progress
// line); measured in BENCHMARKS.md against the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(drbook::cli::main())
}
