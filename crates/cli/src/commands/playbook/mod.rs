//! `gameday playbook validate|schema|render`: DR playbooks, checked against the files beside
//! them, and rendered with the measured evidence of each scenario.

pub mod evidence;
pub mod files;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use gameday_core::diagnostics::Diagnostic;
use gameday_core::playbook::{Evidence, Playbook, build_evidence, playbook_schema, render};
use serde::Serialize;

use crate::cli::{AwsArgs, OutputFormat, TableArgs};
use crate::output::emit;

#[derive(Debug, Subcommand)]
pub enum PlaybookAction {
    /// Check playbook files and list every error (exit 1 when any is invalid). Each playbook
    /// is also checked against the experiment and failover policy files in its folder: the
    /// experiments and policies its scenarios name must exist and exercise the scenario's
    /// dependency, every experiment of the service must name one of its dependencies, and each
    /// policy must judge against the dependency's RTO.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of playbook files, for editors and CI linters.
    Schema,
    /// Write the playbook as Markdown or as one self-contained HTML page: the system, the
    /// critical and non-critical dependencies, contacts, notification and every scenario, and
    /// for each scenario its evidence from the table (last exercise, cadence with OVERDUE,
    /// verdict trend, measured recovery against the RTO). A scenario without records says
    /// "NO EVIDENCE". With `--output json` prints the playbook and its evidence as JSON.
    Render {
        /// The playbook file.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = RenderFormat::Markdown)]
        format: RenderFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Render the document only, without reading the table (no AWS access).
        #[arg(long)]
        no_evidence: bool,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        table: TableArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    Markdown,
    Html,
}

pub async fn run(action: PlaybookAction, format: OutputFormat) -> ExitCode {
    match action {
        PlaybookAction::Validate { files } => validate(&files, format),
        PlaybookAction::Schema => match serde_json::to_string_pretty(playbook_schema()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(error) => super::fail(format!("cannot render the schema: {error}")),
        },
        PlaybookAction::Render {
            file,
            format: render_format,
            out,
            no_evidence,
            aws,
            table,
        } => {
            let target = RenderTarget {
                format: render_format,
                out,
                output: format,
            };
            render_file(&file, target, (!no_evidence).then_some((&aws, &table))).await
        }
    }
}

#[derive(Serialize)]
struct Report {
    valid: Vec<String>,
    errors: Vec<Diagnostic>,
}

fn validate(files: &[PathBuf], format: OutputFormat) -> ExitCode {
    let mut report = Report {
        valid: Vec::new(),
        errors: Vec::new(),
    };
    for file in files {
        match files::load_checked(file) {
            Ok(_) => report.valid.push(file.display().to_string()),
            Err(errors) => report.errors.extend(errors),
        }
    }
    emit(format, &report, |report| {
        for error in &report.errors {
            eprintln!("{error}");
        }
        for file in &report.valid {
            println!("{file}: valid");
        }
    });
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `--output json`: the playbook as read and its evidence (`null` with --no-evidence).
#[derive(Serialize)]
struct Rendered<'a> {
    playbook: &'a Playbook,
    evidence: Option<&'a Evidence>,
}

struct RenderTarget {
    format: RenderFormat,
    out: Option<PathBuf>,
    output: OutputFormat,
}

async fn render_file(
    file: &Path,
    target: RenderTarget,
    read_from: Option<(&AwsArgs, &TableArgs)>,
) -> ExitCode {
    let playbook = match files::load_checked(file) {
        Ok(playbook) => playbook,
        Err(errors) => {
            errors.iter().for_each(|e| eprintln!("{e}"));
            return ExitCode::from(super::EXIT_ERROR);
        }
    };
    let evidence: Option<Evidence> = match read_from {
        None => None,
        Some((aws, table)) => match evidence::read(&playbook, aws, table).await {
            Ok(inputs) => Some(build_evidence(&playbook, &inputs, chrono::Utc::now())),
            Err(error) => {
                return super::fail(format!(
                    "cannot read the evidence from table {}: {error}; use --no-evidence to render the playbook without it",
                    table.name
                ));
            }
        },
    };
    if target.output == OutputFormat::Json {
        let both = Rendered {
            playbook: &playbook,
            evidence: evidence.as_ref(),
        };
        emit(target.output, &both, |_| {});
        return ExitCode::SUCCESS;
    }
    let text = match target.format {
        RenderFormat::Markdown => render::markdown(&playbook, evidence.as_ref()),
        RenderFormat::Html => render::html(&playbook, evidence.as_ref()),
    };
    match &target.out {
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(error) => super::fail(format!("cannot write {}: {error}", path.display())),
        },
    }
}
