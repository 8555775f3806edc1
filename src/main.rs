use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = stageprint::cli::Cli::parse();
    stageprint::logging::init(cli.verbose);
    match stageprint::cli::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
