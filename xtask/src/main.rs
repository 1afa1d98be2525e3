//! Workspace tasks, run as `cargo xtask <task>`:
//!
//! - `test-all`: formatting, lints, every test and doc test, each domain crate built alone, each
//!   library crate packaged, and the architecture's dependency rule; one line per step and an
//!   `N passed, N failed` summary.
//! - `bench`: the benchmarks, side by side with their baselines; tables go to `target/bench/`.
//! - `demo`: the live demo web app (`--redis URL` to join other nodes, `--port N`).

mod bench;
mod demo;
mod deps;
mod steps;
mod system;
mod test_all;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    match task.as_deref() {
        Some("test-all") => test_all::run(&rest),
        Some("bench") => bench::run(&rest),
        Some("demo") => demo::run(&rest),
        Some("help" | "--help" | "-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => {
            print_help();
            bail!("unknown task `{other}`")
        }
    }
}

fn print_help() {
    println!(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         test-all   fmt, clippy, all tests and doc tests, crates built alone and packaged, dependency rule\n  \
         bench      benchmarks against tokio::sync::broadcast and a naive broker (target/bench/)\n  \
         bench redis  only the Redis backend's cross-node benchmark against a raw client loop\n  \
         bench gateway  only the browser gateway's: 1,000 and 10,000 SSE/WebSocket connections [--quick]\n  \
         demo       the live demo web app: demo [--port N] [--redis redis://127.0.0.1:6379/]"
    );
}
