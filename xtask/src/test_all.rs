//! `cargo xtask test-all`: everything CI checks, in one command.

use anyhow::{Result, bail};

use crate::deps::{DOMAIN_CRATES, UNPUBLISHED_CRATES, check_dependency_rule, check_manifests};
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

    // Every library crate as crates.io would get it: packaged (through a temporary local
    // registry for the internal dependencies) and built from its package, which catches files
    // left out of a package and dev-dependencies it loses. About 6 s once the target directory is
    // warm (55 s from an empty one on 2 cores), so the verifying build stays.
    let mut package = cargo();
    package.args(["package", "--workspace", "--allow-dirty", "--quiet"]);
    for krate in UNPUBLISHED_CRATES {
        package.args(["--exclude", krate]);
    }
    steps.command("package", package);

    // The model checks of the core's hand-written concurrent structures (queue, ring), on loom,
    // in a target directory of their own (the cfg changes every crate's build).
    let mut loom = cargo();
    loom.args([
        "test",
        "--quiet",
        "-p",
        "pubsub-core",
        "--lib",
        "--release",
        "loom",
    ])
    .env("RUSTFLAGS", "--cfg pubsub_loom")
    .env(
        "CARGO_TARGET_DIR",
        crate::steps::root().join("target").join("loom"),
    );
    steps.command("loom", loom);

    steps.record("redis-server", ensure_redis_server);
    steps.record("iptables", ensure_iptables);

    let mut test = cargo();
    test.args(["test", "--workspace", "--all-features"]);
    steps.command("tests", test);

    // Timed tests that measure latency under a flood run alone, with nothing else on the
    // machine (beside the suite's other tests their figures measure the neighbours), and
    // optimised: unoptimised, the test process's own decoding of the flood set the figures
    // (p50 2-110 ms, against 0.16 ms optimised, as fast as a plain listener on the same Redis).
    let mut timed = cargo();
    timed.args([
        "test",
        "--release",
        "-p",
        "pubsub-redis",
        "--all-features",
        "--test",
        "it",
        "--",
        "--ignored",
        "--test-threads",
        "1",
        "hostile::a_flood_of_forged_messages",
    ]);
    steps.command("timed-alone", timed);

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

/// The half-open shard connection test (`pubsub-redis/tests/it/cluster/half_open.rs`) cuts one
/// connection with `iptables` (as root): make sure it is installed.
fn ensure_iptables() -> Result<()> {
    crate::system::ensure_packages("iptables", &["iptables"], || {
        crate::system::runs("iptables")
    })
}

/// The Redis tests start a real `redis-server`, and the cluster tests create a Redis Cluster
/// with `redis-cli --cluster create`: make sure both are on PATH (Debian's `redis-server`
/// depends on `redis-tools`, which has `redis-cli`; both are named in case only one is there).
/// With `REDIS_URL` set the shared-server tests use that server, but the fault and cluster tests
/// still start their own.
pub(crate) fn ensure_redis_server() -> Result<()> {
    crate::system::ensure_packages(
        "redis-server and redis-cli",
        &["redis-server", "redis-tools"],
        || crate::system::runs("redis-server") && crate::system::runs("redis-cli"),
    )
}
