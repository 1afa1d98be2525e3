//! `cargo xtask demo [--redis URL] [--port N]`: builds and runs the live demo (the `demo` crate),
//! which prints its URL. xtask only launches it, so it stays free of web dependencies.

use std::process::{Command, Stdio};

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

const CHROMIUM_PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];

fn ensure_chromium() -> Result<()> {
    let installed = || {
        std::path::Path::new("/usr/bin/chromium").exists()
            && Command::new("chromedriver")
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    };
    if installed() {
        return Ok(());
    }
    let command = format!("apt-get install -y {}", CHROMIUM_PACKAGES.join(" "));
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let has_apt = Command::new("apt-get")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !(is_root && has_apt) {
        bail!("chromium or chromedriver is missing; install them with: sudo {command}");
    }
    println!("chromium is missing: apt-get update && {command}");
    let update = Command::new("apt-get").args(["update", "-qq"]).status()?;
    anyhow::ensure!(update.success(), "apt-get update failed: {update}");
    let install = Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(CHROMIUM_PACKAGES)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    anyhow::ensure!(
        install.success() && installed(),
        "installing chromium failed ({install}); run: {command}"
    );
    Ok(())
}
