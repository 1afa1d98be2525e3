//! Running cargo and other commands as named steps, with one line of output per step.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

/// The workspace root (the parent of this crate's manifest directory).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The cargo that runs us, so toolchain overrides are respected.
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// A tally of named steps.
#[derive(Debug, Default)]
pub(crate) struct Steps {
    passed: usize,
    failed: Vec<String>,
}

impl Steps {
    /// Runs `command` as step `name`; its output streams through. Records the outcome.
    pub(crate) fn command(&mut self, name: &str, mut command: Command) {
        self.record(name, || {
            let status = command
                .status()
                .with_context(|| format!("could not start {command:?}"))?;
            anyhow::ensure!(status.success(), "{command:?} exited with {status}");
            Ok(())
        });
    }

    /// Runs a check written in Rust as step `name`.
    pub(crate) fn record(&mut self, name: &str, check: impl FnOnce() -> Result<()>) {
        println!("==> {name}");
        let started = Instant::now();
        let outcome = check();
        let secs = started.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => {
                self.passed += 1;
                println!("step {name}: ok ({secs:.1}s)");
            }
            Err(error) => {
                self.failed.push(name.to_owned());
                println!("step {name}: FAILED ({secs:.1}s): {error:#}");
            }
        }
    }

    /// Prints the summary line; returns whether every step passed.
    pub(crate) fn finish(self) -> bool {
        if !self.failed.is_empty() {
            println!("failed steps: {}", self.failed.join(", "));
        }
        println!("{} passed, {} failed", self.passed, self.failed.len());
        self.failed.is_empty()
    }
}
