//! `cargo xtask bench`: runs the benchmark binaries in release mode.
//!
//! `cargo xtask bench redis` runs only the Redis backend's cross-node benchmark (it needs
//! `redis-server` on PATH, or `REDIS_URL`, and `redis-cli` for its cluster section); what
//! follows goes to the bench binary, so `cargo xtask bench redis cluster --quick` (or
//! `... redis -- cluster --quick`) runs only its cluster section, short. `cargo xtask bench
//! presence` runs only presence's; `cargo xtask bench gateway [--quick]` only the browser
//! gateway's (no Redis needed).

use anyhow::{Result, bail};

use crate::steps::cargo;

pub(crate) fn run(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("redis") {
        crate::test_all::ensure_redis_server()?;
        let rest = &args[1..];
        return redis(rest.strip_prefix(&["--".to_owned()]).unwrap_or(rest));
    }
    if args.first().map(String::as_str) == Some("gateway") {
        let rest = &args[1..];
        return gateway(rest.strip_prefix(&["--".to_owned()]).unwrap_or(rest));
    }
    if args.first().map(String::as_str) == Some("presence") {
        crate::test_all::ensure_redis_server()?;
        return presence();
    }
    // Checked first, so a fresh machine does not run the core benches only to fail at Redis.
    crate::test_all::ensure_redis_server()?;
    core(args)?;
    gateway(args)?;
    presence()?;
    redis(&[])
}

/// Presence: track+untrack, a list of 10,000, heap per presence, join latency across nodes.
fn presence() -> Result<()> {
    let mut command = cargo();
    command.args(["bench", "-p", "pubsub-presence", "--bench", "presence"]);
    let status = command.status()?;
    if !status.success() {
        bail!("presence benchmark failed: {status}");
    }
    Ok(())
}

/// The browser gateway's bench: 1,000 and 10,000 SSE and WebSocket connections on one topic
/// against a naive axum SSE fan-out and socketioxide. It raises its own open-file limit to the
/// hard limit (and says so when 10,000 connections do not fit: `ulimit -n 20000` then).
fn gateway(args: &[String]) -> Result<()> {
    let mut command = cargo();
    command.args(["bench", "-p", "pubsub-axum", "--bench", "gateway", "--"]);
    command.args(args);
    let status = command.status()?;
    if !status.success() {
        bail!("gateway benchmark failed: {status}");
    }
    Ok(())
}

/// The Redis backend's bench: two nodes on one local Redis against a raw client loop, then
/// history, then sharded pub/sub on Redis Clusters against plain `PUBLISH`; `args` go to the
/// bench (`interest`, `history` or `cluster` runs only that section, `--quick` shortens).
fn redis(args: &[String]) -> Result<()> {
    let mut command = cargo();
    command.args(["bench", "-p", "pubsub-redis", "--bench", "redis", "--"]);
    command.args(args);
    let status = command.status()?;
    if !status.success() {
        bail!("redis benchmark failed: {status}");
    }
    Ok(())
}

fn core(args: &[String]) -> Result<()> {
    let mut command = cargo();
    command.args([
        "bench",
        "-p",
        "pubsub-core",
        "--bench",
        "broker",
        "--bench",
        "memory",
        "--bench",
        "history",
        "--",
    ]);
    command.args(args);
    let status = command.status()?;
    if !status.success() {
        bail!("benchmark failed: {status}");
    }
    Ok(())
}
