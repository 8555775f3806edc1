//! Log output on stderr through `tracing`. Nothing logged may contain a secret value or
//! the API key: log keys, names, endpoints, statuses and request ids only.

use tracing_subscriber::EnvFilter;

/// `-v` info, `-vv` debug for stageprint (dependencies stay at warn). `STAGEPRINT_LOG`
/// overrides with a full filter.
pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "warn,stageprint=info",
        _ => "warn,stageprint=debug",
    };
    let filter =
        EnvFilter::try_from_env("STAGEPRINT_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
