use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match stageprint::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` succeed; a usage error is bad input (exit 1), never
        // clap's 2, which here means findings.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    stageprint::logging::init(cli.verbose);
    match stageprint::cli::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
