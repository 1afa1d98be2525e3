//! `cargo xtask test-all`: everything CI checks, in one command.

use std::process::{Command, Stdio};

use anyhow::{Result, bail, ensure};

use crate::deps::{DOMAIN_CRATES, check_dependency_rule, check_manifests};
use crate::steps::{Steps, cargo};

pub(crate) fn run(args: &[String]) -> Result<()> {
    if let Some(unknown) = args.first() {
        bail!("test-all takes no arguments (got `{unknown}`)");
    }
    let mut steps = Steps::default();

    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    steps.command("fmt", fmt);

    steps.record("dependency-rule", check_dependency_rule);
    steps.record("manifests", check_manifests);

    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    steps.command("clippy", clippy);

    for krate in DOMAIN_CRATES {
        let mut build = cargo();
        build.args(["build", "--quiet", "-p", krate]);
        steps.command(&format!("build-alone:{krate}"), build);
    }

    steps.record("redis-server", ensure_redis_server);

    let mut test = cargo();
    test.args(["test", "--workspace", "--all-features"]);
    steps.command("tests", test);

    steps.record("demo-browser", crate::demo::browser_test);

    let mut docs = cargo();
    docs.args([
        "doc",
        "--workspace",
        "--no-deps",
        "--all-features",
        "--quiet",
    ])
    .env("RUSTDOCFLAGS", "-D warnings");
    steps.command("docs", docs);

    if steps.finish() {
        Ok(())
    } else {
        bail!("test-all failed")
    }
}

/// The Redis tests start a real `redis-server`: make sure it is on PATH (installing it with
/// apt-get when running as root on Debian/Ubuntu), or fail with the command to run. With
/// `REDIS_URL` set the shared-server tests use that server, but the fault tests still start
/// their own.
fn ensure_redis_server() -> Result<()> {
    let on_path = || {
        Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if on_path() {
        return Ok(());
    }
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
        bail!("redis-server is not on PATH; install it with: sudo apt-get install -y redis-server");
    }
    println!("redis-server is missing: apt-get update && apt-get install -y redis-server");
    let update = Command::new("apt-get").args(["update", "-qq"]).status()?;
    ensure!(update.success(), "apt-get update failed: {update}");
    let install = Command::new("apt-get")
        .args(["install", "-y", "-qq", "redis-server"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    ensure!(
        install.success() && on_path(),
        "installing redis-server failed ({install}); run: apt-get install -y redis-server"
    );
    Ok(())
}
