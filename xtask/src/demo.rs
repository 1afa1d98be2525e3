//! `cargo xtask demo [--redis URL] [--port N]`: builds and runs the live demo (the `demo` crate),
//! which prints its URL. xtask only launches it, so it stays free of web dependencies.

use anyhow::{Result, bail};

use crate::steps::cargo;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut command = cargo();
    command
        .args(["run", "--quiet", "--package", "demo", "--"])
        .args(args);
    println!("building and starting the demo (first build takes a minute)...");
    let status = command.status()?;
    if !status.success() {
        bail!("the demo exited with {status}");
    }
    Ok(())
}

/// The `demo-browser` step of test-all: makes sure Debian's Chromium and its driver are installed
/// (with apt-get when running as root, else fails with the command to run), then runs the demo's
/// browser test, which saves a screenshot of each step under `target/demo-test/`.
pub(crate) fn browser_test() -> Result<()> {
    ensure_chromium()?;
    let mut test = cargo();
    test.args(["test", "--package", "demo", "--test", "browser"]);
    let status = test.status()?;
    anyhow::ensure!(status.success(), "the browser test failed ({status})");
    Ok(())
}

fn ensure_chromium() -> Result<()> {
    crate::system::ensure_packages("chromium", &["chromium", "chromium-driver"], || {
        std::path::Path::new("/usr/bin/chromium").exists() && crate::system::runs("chromedriver")
    })
}
