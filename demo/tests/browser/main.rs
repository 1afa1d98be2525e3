//! The browser test: headless Chromium (Debian's `chromium`, driven through `chromedriver`)
//! checks that one page's change appears on another page at once, on one node and across two
//! nodes sharing a Redis. Screenshots of each step go to `target/demo-test/`.
//!
//! Run by `cargo xtask test-all` (step `demo-browser`), or alone with
//! `cargo test -p demo --test browser`. Needs `/usr/bin/chromium` and `chromedriver`
//! (`apt-get install -y chromium chromium-driver`) and `redis-server`.

mod base64;
mod procs;
#[path = "../it/redis_server.rs"]
mod redis_server;
mod scenario;
mod webdriver;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use redis_server::RedisServer;
use webdriver::Browser;

const INSTALL: &str = "apt-get install -y chromium chromium-driver";

fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || {
            let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            manifest
                .parent()
                .map_or(manifest.clone(), |root| root.join("target"))
        },
        PathBuf::from,
    );
    target.join("demo-test")
}

fn main() -> ExitCode {
    let has_driver = std::process::Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !std::path::Path::new("/usr/bin/chromium").exists() || !has_driver {
        eprintln!("chromium or chromedriver is missing; install them with: sudo {INSTALL}");
        println!("0 passed, 1 failed");
        return ExitCode::FAILURE;
    }
    let dir = out_dir();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    let mut report = scenario::Report::new(dir.clone());
    let outcome = run(&mut report);
    println!(
        "browser test: {:.1}s, screenshots in {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    match outcome {
        Ok(()) => {
            println!("{} passed, 0 failed", report.passed);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("browser test FAILED: {error}");
            println!("{} passed, 1 failed", report.passed);
            ExitCode::FAILURE
        }
    }
}

fn run(report: &mut scenario::Report) -> Result<(), String> {
    let (_driver, driver) = procs::chromedriver()?;
    let profiles = std::env::temp_dir().join(format!("demo-browser-{}", std::process::id()));
    let a = Browser::open(&driver, &profiles.join("a"), "page A")?;
    let b = Browser::open(&driver, &profiles.join("b"), "page B")?;

    let outcome = (|| {
        let (_node, url) = procs::demo(&[])?;
        scenario::two_pages(report, &a, &b, &url, &url, "1-one-node")?;
        scenario::tour(report, &a, &url)?;
        scenario::cut_and_resume(report, &a, &url)?;
        scenario::sse_resume(report, &a, &url)?;

        let redis = RedisServer::start();
        let shared = ["--redis", &redis.url(), "--namespace", "demo-browser"];
        let (_first, first) = procs::demo(&shared)?;
        let (_second, second) = procs::demo(&shared)?;
        scenario::two_pages(report, &a, &b, &first, &second, "2-two-nodes")
    })();

    if outcome.is_err() {
        let _ = a.screenshot(&report.dir().join("failed-page-a.png"));
        let _ = b.screenshot(&report.dir().join("failed-page-b.png"));
    }
    a.close();
    b.close();
    let _ = std::fs::remove_dir_all(&profiles);
    outcome
}
