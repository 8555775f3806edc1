//! Command-line parsing. clap types stop here: each subcommand is converted into a plain
//! options struct that the command module takes, so clap never leaks into the core.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::{self, Exit};

const ABOUT: &str =
    "Make a Render staging environment an exact, safe, reviewable copy of production.

stageprint snapshots production through the Render API, applies a staging overlay, and
renders a Blueprint (render.yaml), env group definitions and a report into generated/.
Commit those files, review them in a pull request, check them in CI, and let Render's
Blueprint sync apply them.";

const AFTER_HELP: &str =
    "Exit codes: 0 clean; 2 findings (stale output, invalid Blueprint, isolation violation);
1 the tool could not do its job (bad input, network, authentication).

Workflow:
  stageprint snapshot            read production into generated/production.snapshot.yaml
  stageprint generate            write generated/staging/ from the snapshot and overlay
  stageprint generate --check    in CI: fail (exit 2) when generated/ is stale
  stageprint validate            check a Blueprint against the schema and semantic rules
  stageprint secrets push        after a sync: set staging's operator-provided secrets
  stageprint drift               has production moved since the snapshot?";

#[derive(Debug, Parser)]
#[command(name = "stageprint", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// Project configuration file.
    #[arg(long, global = true, default_value = crate::config::DEFAULT_CONFIG, value_name = "PATH")]
    pub config: PathBuf,

    /// More log output on stderr (-v: info, -vv: debug with request ids). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read production through the Render API and write the normalised, redacted snapshot.
    #[command(after_help = "Examples:
  RENDER_API_KEY=rnd_… stageprint snapshot
  stageprint snapshot --api-key-file ~/.render/key --owner tea-cr8k1hb6l47c73a0b1c0
  stageprint snapshot --explain-secrets     # which keys are secret, and why (never values)

The API key is read from RENDER_API_KEY or --api-key-file and is never printed. Set
STAGEPRINT_FINGERPRINT_KEY to record keyed fingerprints of secrets, so a changed secret
shows in the snapshot's diff without its value.")]
    Snapshot(SnapshotArgs),

    /// Render the staging Blueprint, env group definitions and report from the snapshot and overlay.
    #[command(after_help = "Examples:
  stageprint generate                       # every environment in stageprint.yaml
  stageprint generate --check               # CI: exit 2 and print a diff when generated/ is stale
  stageprint generate --env staging --out /tmp/staging
  stageprint generate --strict              # fail when a secret was not explicitly decided")]
    Generate(GenerateArgs),

    /// Check a Blueprint: JSON Schema, then semantic rules; every finding at once.
    #[command(after_help = "Examples:
  stageprint validate                       # each environment's generated render.yaml
  stageprint validate path/to/render.yaml
  stageprint validate --format json render.yaml
  stageprint validate --against-production   # and check isolation against the configured snapshot
  stageprint validate --against-snapshot generated/production.snapshot.yaml generated/staging/render.yaml
  RENDER_API_KEY=rnd_… stageprint validate --remote   # and ask Render, refusing adoptions")]
    Validate(ValidateArgs),

    /// Has production moved since the snapshot, and is staging what its Blueprint says?
    /// Reads the workspace (never writes) and names every resource, field and env var.
    #[command(after_help = "Examples:
  RENDER_API_KEY=rnd_… stageprint drift
  stageprint drift --format markdown > drift.md      # for a pull-request comment

Secret values are never compared or printed: a secret's change shows only when the snapshot
was taken with STAGEPRINT_FINGERPRINT_KEY set, by its keyed fingerprint.
Staging is compared with each environment's generated render.yaml: missing resources,
fields that differ, env vars that differ, are unset, point at production or are left over.

Exit codes: 0 no drift; 2 drift in production or staging (the fix is printed); 1 the
workspace could not be read.")]
    Drift(DriftArgs),

    /// After a sync: is staging up? Deploys live, health checks answering (with latency),
    /// env vars and secrets set, env groups linked, secret files in place. Reads only.
    #[command(after_help = "Examples:
  RENDER_API_KEY=rnd_… stageprint verify
  stageprint verify --env staging --wait 600       # poll until deploys settle (10 minutes at most)
  stageprint verify --format markdown > verify.md

Health checks are GETs of each web service's own URL (its healthCheckPath, else /), five
times, never with the API key; plain http:// is accepted only for loopback hosts.

Exit codes: 0 every check passed; 2 a check failed; 1 staging could not be read.")]
    Verify(VerifyArgs),

    /// Secrets staging needs after a sync; the one command that writes to Render.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Set the operator-provided keys and secret files on the live staging resources.
    #[command(after_help = "Examples:
  stageprint secrets push --env staging --from staging.env            # dry run: what would change
  stageprint secrets push --env staging --from staging.env --apply    # write
  op read op://vault/staging-env | stageprint secrets push --env staging --from - --apply

The file is dotenv (KEY=value; no $VAR expansion) or JSON ({\"KEY\": \"value\"}, or
{\"<staging resource>\": {\"KEY\": \"value\"}} for one resource). A secret file is the key
file:NAME. Only the keys `stageprint generate` lists as operator-provided for the
environment are accepted; any other key refuses the whole push before anything is sent.
A staging resource whose id, name, slug or address belongs to production in the snapshot
refuses the whole push too. Keys are printed, values never: not in output, logs or errors.

Exit codes: 0 every listed key is set (or would be); 2 keys missing from the file or
resources not found (not synced yet); 1 refused, or a write failed (the keys that were set
are listed; running the command again finishes the job).")]
    Push(SecretsPushArgs),
}

#[derive(Debug, Args)]
pub struct SecretsPushArgs {
    /// The environment whose secrets to push (a key of `environments`); needed when the
    /// config has several.
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
    /// The secrets: a dotenv or JSON file, or `-` for standard input. Read once.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Write. Without it, print what would be set or changed and write nothing.
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Verify only this environment (a key of `environments`).
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
    /// Poll while deploys are in progress, for at most this many seconds (default 600).
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "600")]
    pub wait: Option<u64>,
    /// Also time each service's production counterpart (its URL in the snapshot), as the
    /// baseline beside staging's latency.
    #[arg(long)]
    pub compare_production: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// How to reach the Render API; shared by the commands that use it.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Workspace (owner) id: the one `snapshot` reads, the one staging lives in for
    /// `secrets push` and `validate --remote`; defaults to production.owner in the config.
    #[arg(long, value_name = "ID")]
    pub owner: Option<String>,
    /// Read the API key from this file instead of RENDER_API_KEY.
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Render API base URL. Plain http:// is refused unless the host is loopback.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Where to write the snapshot; defaults to `snapshot` in the config.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Requests in flight at once; defaults to api.concurrency in the config.
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// List the env var keys classified secret and the rule that matched (never values).
    #[arg(long)]
    pub explain_secrets: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Generate only this environment (a key of `environments` in the config).
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
    /// Production snapshot to read; defaults to `snapshot` in the config.
    #[arg(long, value_name = "PATH")]
    pub snapshot: Option<PathBuf>,
    /// Overlay file; needs a single environment.
    #[arg(long, value_name = "PATH")]
    pub overlay: Option<PathBuf>,
    /// Output directory; needs a single environment.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write nothing: compare with the files on disk, print a diff of each stale file, exit 2 if any.
    #[arg(long)]
    pub check: bool,
    /// Fail when a secret (or, with `all`, any variable) got a default disposition instead of an explicit rule.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "secrets", value_name = "WHAT")]
    pub strict: Option<Strictness>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Strictness {
    Secrets,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Blueprint files to check; defaults to each environment's generated render.yaml.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format for findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also check that the Blueprint cannot touch the production resources in this snapshot.
    #[arg(long, value_name = "SNAPSHOT")]
    pub against_snapshot: Option<PathBuf>,
    /// Also check isolation against the production snapshot stageprint.yaml names (its
    /// `snapshot` key), so scripts need not read the config themselves.
    #[arg(long, conflicts_with = "against_snapshot")]
    pub against_production: bool,
    /// Also send each file to Render (`POST /v1/blueprints/validate`) and merge its errors;
    /// a resource its first sync would adopt instead of create is an error.
    #[arg(long)]
    pub remote: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// Parse arguments and run; the returned exit status is the only thing `main` maps.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let global = commands::Global {
        config: cli.config,
        verbose: cli.verbose,
    };
    match cli.command {
        Command::Snapshot(a) => commands::snapshot::run(
            &global,
            commands::snapshot::Options {
                owner: a.api.owner,
                api_key_file: a.api.api_key_file,
                api_url: a.api.api_url,
                out: a.out,
                concurrency: a.concurrency,
                explain_secrets: a.explain_secrets,
            },
        ),
        Command::Generate(a) => commands::generate::run(
            &global,
            commands::generate::Options {
                environment: a.environment,
                snapshot: a.snapshot,
                overlay: a.overlay,
                out: a.out,
                check: a.check,
                strict: match a.strict {
                    None => commands::generate::Strict::Off,
                    Some(Strictness::Secrets) => commands::generate::Strict::Secrets,
                    Some(Strictness::All) => commands::generate::Strict::All,
                },
            },
        ),
        Command::Validate(a) => commands::validate::run(
            &global,
            commands::validate::Options {
                files: a.files,
                format: output_format(a.format),
                against_snapshot: a.against_snapshot,
                against_production: a.against_production,
                remote: a.remote.then_some(commands::remote::RemoteOptions {
                    owner: a.api.owner,
                    api_key_file: a.api.api_key_file,
                    api_url: a.api.api_url,
                }),
            },
        ),
        Command::Drift(a) => commands::drift::run(
            &global,
            commands::drift::Options {
                format: output_format(a.format),
                owner: a.api.owner,
                api_key_file: a.api.api_key_file,
                api_url: a.api.api_url,
            },
        ),
        Command::Verify(a) => commands::verify::run(
            &global,
            commands::verify::Options {
                environment: a.environment,
                format: output_format(a.format),
                wait: a.wait.map(std::time::Duration::from_secs),
                compare_production: a.compare_production,
                owner: a.api.owner,
                api_key_file: a.api.api_key_file,
                api_url: a.api.api_url,
            },
        ),
        Command::Secrets(SecretsCommand::Push(a)) => commands::secrets::push(
            &global,
            commands::secrets::PushOptions {
                environment: a.environment,
                from: a.from,
                apply: a.apply,
                owner: a.api.owner,
                api_key_file: a.api.api_key_file,
                api_url: a.api.api_url,
            },
        ),
    }
}

fn output_format(f: Format) -> commands::OutputFormat {
    match f {
        Format::Text => commands::OutputFormat::Text,
        Format::Json => commands::OutputFormat::Json,
        Format::Markdown => commands::OutputFormat::Markdown,
    }
}
