//! System packages the tests need: check, install with apt-get when running as root, or fail with
//! the exact command to run.

use std::process::{Command, Stdio};

use anyhow::{Result, bail, ensure};

/// Whether `program --version` runs and succeeds.
pub(crate) fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes sure `what` is installed (as `installed` tells): installs Debian's `packages` with
/// apt-get when running as root with apt-get available; otherwise fails with the command to run.
pub(crate) fn ensure_packages(
    what: &str,
    packages: &[&str],
    installed: impl Fn() -> bool,
) -> Result<()> {
    if installed() {
        return Ok(());
    }
    let command = format!("apt-get install -y {}", packages.join(" "));
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !(is_root && runs("apt-get")) {
        bail!("{what} is missing; install it with: sudo {command}");
    }
    println!("{what} is missing: apt-get update && {command}");
    let update = Command::new("apt-get").args(["update", "-qq"]).status()?;
    ensure!(update.success(), "apt-get update failed: {update}");
    let install = Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    ensure!(
        install.success() && installed(),
        "installing {what} failed ({install}); run: {command}"
    );
    Ok(())
}
