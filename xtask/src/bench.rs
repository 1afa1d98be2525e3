//! `cargo xtask bench`: runs the benchmark binaries in release mode.

use anyhow::{Result, bail};

use crate::steps::cargo;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut command = cargo();
    command.args([
        "bench",
        "-p",
        "pubsub-core",
        "--bench",
        "broker",
        "--bench",
        "memory",
        "--",
    ]);
    command.args(args);
    let status = command.status()?;
    if !status.success() {
        bail!("benchmark failed: {status}");
    }
    Ok(())
}
