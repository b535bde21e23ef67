fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(drbook::cli::main())
}
