//! `cargo xtask demo [--redis URL] [--port N]`: builds and runs the live demo (the `demo` crate),
//! which prints its URL. xtask only launches it, so it stays free of web dependencies.

use anyhow::{Result, bail};

use crate::steps::cargo;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut command = cargo();
    command.args(["run", "--quiet", "--package", "demo", "--"]).args(args);
    println!("building and starting the demo (first build takes a minute)...");
    let status = command.status()?;
    if !status.success() {
        bail!("the demo exited with {status}");
    }
    Ok(())
}
