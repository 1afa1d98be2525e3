//! N concurrent browsers on one topic, one publisher: `pubsub-axum`'s SSE and WebSocket
//! channels against (a) a naive axum SSE fan-out (a `tokio::sync::broadcast` receiver and one
//! `serde_json::to_string` per connection, `KeepAlive::default()`), as `shared/REALTIME.md`
//! measured it, and (b) socketioxide (every socket in one room, `io.to(room).emit`), with the
//! same message, at 1,000 and 10,000 connections side by side.
//!
//! The servers run in this process on a 2-worker runtime, every one through the same
//! hyper-util accept loop with HTTP/1's smallest read buffer limit ([`server::Serve`];
//! `--axum-serve` for `axum::serve`'s defaults); the publisher on the main thread. The clients
//! of each run are a child process (this binary with `--clients`, see [`clients`]) on a
//! runtime of one worker: raw HTTP/1.1 for SSE, tokio-tungstenite for pubsub-axum's WebSocket
//! frames and for Engine.IO v4 / Socket.IO v5 by hand. Both processes share the machine's
//! cores, so a latency includes the wait for the client process's thread: on 2 cores it is an
//! upper bound of what a browser on another machine would see.
//!
//! Per run: the server's heap per idle connection (a counting allocator: what the server
//! process allocated from before the clients connected until all were subscribed, divided by
//! the count; kernel socket buffers are not heap), then a burst (as fast as the publisher can),
//! a steady rate and a light one, each message about 256 bytes of JSON with its publish time:
//! deliveries per second, p50 and p99 latency, deliveries lost (a lag the client was told of,
//! or never received); then the heap per connection again, after the traffic. Then the
//! targets, as `target MET:` / `target NOT MET:` lines.
//!
//! `cargo bench -p pubsub-axum --bench gateway [-- --quick]` or `cargo xtask bench gateway`;
//! the tables also go to `target/bench/gateway.md`. `--only sse|ws|naive|sio` runs one
//! contender, `--idle-only` only the heap figures (for a heap profiler). The bench raises its
//! open-file limit to the hard limit (10,000 connections need about 10,300 descriptors in each
//! process) and says so, measuring only the counts that fit, when it cannot.
//! `GATEWAY_IDLE_JOINS=<k>`: each WebSocket client also joins `k` topics nothing is published
//! on (up to 99), as a screen of many records with one busy.

mod clients;
mod report;
mod server;

use std::alloc::System;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use pubsub_core::Event;
use serde::{Deserialize, Serialize};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

use crate::report::{Report, tables, targets};
use crate::server::{Serve, Servers};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The message every contender sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Note {
    n: u64,
    /// Microseconds since the Unix epoch, when published (the wall clock: the clients are
    /// another process).
    t: u64,
    pad: String,
}

impl Event for Note {
    const DOMAIN: &'static str = "bench";
    fn name(&self) -> &'static str {
        "note"
    }
}

/// Microseconds since the Unix epoch.
fn now_us() -> u64 {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
}

/// This process's CPU time (user and system, every thread) in milliseconds, from
/// `/proc/self/stat` (in ticks of 10 ms, Linux's `USER_HZ`); 0 where there is none.
fn cpu_ms() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // The fields after the command name (which may hold spaces), from the third: utime is the
    // 14th, stime the 15th.
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum::<u64>() * 10
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    NaiveSse,
    SocketIo,
    OursSse,
    OursWs,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::NaiveSse, Kind::SocketIo, Kind::OursSse, Kind::OursWs];

    fn label(self) -> &'static str {
        match self {
            Kind::OursSse => "pubsub-axum SSE",
            Kind::OursWs => "pubsub-axum WebSocket",
            Kind::NaiveSse => "naive axum SSE",
            Kind::SocketIo => "socketioxide",
        }
    }

    fn arg(self) -> &'static str {
        match self {
            Kind::OursSse => "sse",
            Kind::OursWs => "ws",
            Kind::NaiveSse => "naive",
            Kind::SocketIo => "sio",
        }
    }

    fn from_arg(arg: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.arg() == arg)
    }
}

/// One connection count and what is offered to it.
#[derive(Clone, Copy)]
struct Config {
    connections: usize,
    burst: u64,
    /// Messages per second, `steady` messages in all.
    rate: u64,
    steady: u64,
    /// A light rate (50,000 deliveries per second), `light` messages in all: the latency of
    /// one message's sweep over every connection, with little queueing.
    light_rate: u64,
    light: u64,
}

impl Config {
    fn all(quick: bool) -> Vec<Config> {
        // The steady rates give both counts the same 250,000 deliveries per second.
        if quick {
            vec![
                Config {
                    connections: 1_000,
                    burst: 200,
                    rate: 250,
                    steady: 250,
                    light_rate: 50,
                    light: 25,
                },
                Config {
                    connections: 10_000,
                    burst: 50,
                    rate: 25,
                    steady: 25,
                    light_rate: 5,
                    light: 5,
                },
            ]
        } else {
            vec![
                // Bursts stay under every contender's queue bound of 1,024 messages; the
                // steady phases last 6 s, the light ones 5 s.
                Config {
                    connections: 1_000,
                    burst: 1_000,
                    rate: 250,
                    steady: 1_500,
                    light_rate: 50,
                    light: 250,
                },
                Config {
                    connections: 10_000,
                    burst: 500,
                    rate: 25,
                    steady: 150,
                    light_rate: 5,
                    light: 25,
                },
            ]
        }
    }
}

/// What one phase (the burst, the steady rate or the light one) measured.
#[derive(Clone, Copy, Default)]
struct Phase {
    delivered_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    lost_percent: f64,
    /// CPU time per delivery, in microseconds: the server process's (the publisher's
    /// included) and the client process's. Less sensitive than deliveries/s to other load on
    /// the machine.
    server_cpu_us: f64,
    client_cpu_us: f64,
}

/// What one run (a contender at a connection count) measured.
struct Run {
    kind: Kind,
    config: Config,
    idle_bytes: f64,
    after_bytes: f64,
    burst: Phase,
    steady: Phase,
    light: Phase,
}

/// A client process and its two pipes.
struct Clients {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Clients {
    fn spawn(addr: SocketAddr, kind: Kind, n: usize) -> Clients {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .args(["--clients", &addr.to_string(), kind.arg(), &n.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the client process");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Clients {
            child,
            stdin,
            stdout,
        }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        line.trim().to_owned()
    }

    fn send(&mut self, line: &str) {
        let _ = writeln!(self.stdin, "{line}");
        let _ = self.stdin.flush();
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done`, for at most `limit`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the heap stops shrinking (less than 64 KiB freed in 200 ms), for at most 10 s.
fn settle() {
    let live = || {
        let stats = GLOBAL.stats();
        stats.bytes_allocated as f64 - stats.bytes_deallocated as f64
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut before = live();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let now = live();
        if before - now < 64.0 * 1024.0 {
            return;
        }
        before = now;
    }
}

fn heap_now(region: &Region<'_, System>) -> f64 {
    let change = region.change();
    // A reallocation's growth is already in `bytes_allocated` (stats_alloc also reports it in
    // `bytes_reallocated`: adding that would count it twice).
    change.bytes_allocated as f64 - change.bytes_deallocated as f64
}

fn run(
    runtime: &tokio::runtime::Runtime,
    servers: &Servers,
    kind: Kind,
    config: Config,
    serve: Serve,
) -> Run {
    let n = config.connections;
    let (addr, listener) = servers.listen(runtime, kind, serve);
    let region = Region::new(GLOBAL);
    let mut clients = Clients::spawn(addr, kind, n);
    let ready = clients.line();
    wait_for(Duration::from_secs(30), || servers.subscribed(kind) >= n);
    if servers.subscribed(kind) < n {
        eprintln!(
            "{}: only {} of {n} connections subscribed ({ready})",
            kind.label(),
            servers.subscribed(kind)
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    let idle_bytes = heap_now(&region) / n as f64;
    let burst = phase(runtime, servers, kind, &mut clients, config.burst, 0, n);
    let steady = phase(
        runtime,
        servers,
        kind,
        &mut clients,
        config.steady,
        config.rate,
        n,
    );
    let light = phase(
        runtime,
        servers,
        kind,
        &mut clients,
        config.light,
        config.light_rate,
        n,
    );
    let after_bytes = heap_now(&region) / n as f64;
    drop(clients);
    listener.abort();
    // This run's connections are gone, and their memory freed, before the next run counts
    // its heap (a count that reaches 0 precedes the last connection's teardown).
    wait_for(Duration::from_secs(20), || servers.subscribed(kind) == 0);
    settle();
    Run {
        kind,
        config,
        idle_bytes,
        after_bytes,
        burst,
        steady,
        light,
    }
}

/// `messages` published at `rate` per second (0: as fast as the publisher can) to `n` clients.
fn phase(
    runtime: &tokio::runtime::Runtime,
    servers: &Servers,
    kind: Kind,
    clients: &mut Clients,
    messages: u64,
    rate: u64,
    n: usize,
) -> Phase {
    if messages == 0 {
        return Phase::default();
    }
    clients.send(&format!("phase {messages}"));
    let go = clients.line();
    assert_eq!(go, "go", "the client process");
    let published_at = now_us();
    let cpu_before = cpu_ms();
    runtime.block_on(async {
        let pad = "x".repeat(200); // about 256 bytes per event, as REALTIME.md's runs
        let pace = (rate > 0).then(|| Duration::from_secs_f64(1.0 / rate as f64));
        let begun = tokio::time::Instant::now();
        for n in 0..messages {
            let note = Note {
                n,
                t: now_us(),
                pad: pad.clone(),
            };
            servers.publish(kind, note).await;
            if let Some(pace) = pace {
                let next = begun + pace * u32::try_from(n + 1).unwrap_or(u32::MAX);
                tokio::time::sleep_until(next).await;
            } else if n % 64 == 63 {
                tokio::task::yield_now().await;
            }
        }
    });
    let result = clients.line();
    let server_cpu = cpu_ms() - cpu_before;
    let numbers: Vec<u64> = result
        .split_whitespace()
        .skip(1)
        .filter_map(|w| w.parse().ok())
        .collect();
    let [delivered, last_us, p50, p99, client_cpu] = numbers[..] else {
        panic!("the client process said {result:?}");
    };
    let expected = messages * n as u64;
    let took_us = last_us.saturating_sub(published_at).max(1);
    Phase {
        delivered_per_s: delivered as f64 / (took_us as f64 / 1e6),
        p50_ms: p50 as f64 / 1000.0,
        p99_ms: p99 as f64 / 1000.0,
        lost_percent: 100.0 * expected.saturating_sub(delivered) as f64 / expected as f64,
        server_cpu_us: server_cpu as f64 * 1000.0 / delivered.max(1) as f64,
        client_cpu_us: client_cpu as f64 * 1000.0 / delivered.max(1) as f64,
    }
}

/// Raises this process's open-file limit (the client processes inherit it) to serve
/// `connections`; the largest count it allows, with a message when that is fewer.
fn raise_open_files(connections: usize) -> usize {
    use rlimit::Resource;
    let needed = connections as u64 + 300;
    let Ok((soft, hard)) = Resource::NOFILE.get() else {
        return connections;
    };
    let raised = if hard >= needed {
        Resource::NOFILE.set(hard, hard).map(|()| hard)
    } else {
        // Raising the hard limit needs root (or CAP_SYS_RESOURCE).
        Resource::NOFILE.set(needed, needed).map(|()| needed)
    };
    let limit = raised.unwrap_or(soft);
    if limit < needed {
        let fits = usize::try_from(limit.saturating_sub(300)).unwrap_or(0);
        eprintln!(
            "the open-file limit is {limit} (hard {hard}) and {connections} connections need \
             about {needed} in each process: run `ulimit -n {needed}` (raising the hard limit \
             needs root) for the larger counts; measuring up to {fits} connections"
        );
        return fits;
    }
    connections
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--clients") {
        let addr = args[at + 1].parse().expect("an address");
        let kind = Kind::from_arg(&args[at + 2]).expect("a kind");
        let n = args[at + 3].parse().expect("a count");
        clients::main(addr, kind, n);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    // `--only sse|ws|naive|sio`: one contender; `--idle-only`: the heap figures alone (for a
    // heap profiler: no traffic after the connections are up).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|at| Kind::from_arg(args.get(at + 1)?));
    let idle_only = args.iter().any(|a| a == "--idle-only");
    let serve = if args.iter().any(|a| a == "--axum-serve") {
        Serve::Axum
    } else {
        Serve::Tuned
    };
    let started = Instant::now();
    let mut configs = Config::all(quick);
    if idle_only {
        for config in &mut configs {
            (config.burst, config.steady, config.light) = (0, 0, 0);
        }
    }
    let most = configs.iter().map(|c| c.connections).max().unwrap_or(0);
    let fits = raise_open_files(most);
    configs.retain(|c| c.connections <= fits);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let servers = runtime.block_on(async { Servers::new() });

    let mut report = Report {
        text: String::new(),
    };
    report.line("## pubsub-axum: N browsers on one topic\n");
    report.line(
        "| connections | offered | transport | delivered/s | p50 | p99 | lost | server CPU/delivery | client CPU/delivery |",
    );
    report.line("|---|---|---|---|---|---|---|---|---|");
    let mut runs = Vec::new();
    for config in configs {
        for kind in Kind::ALL {
            if only.is_some_and(|only| only != kind) {
                continue;
            }
            let run = run(&runtime, &servers, kind, config, serve);
            for (offered, phase) in [
                (format!("burst of {}", config.burst), run.burst),
                (format!("{} msg/s", config.rate), run.steady),
                (format!("{} msg/s", config.light_rate), run.light),
            ] {
                report.line(&format!(
                    "| {} | {offered} | {} | {:.0}k | {:.1} ms | {:.1} ms | {:.2}% | {:.2} µs | {:.2} µs |",
                    config.connections,
                    kind.label(),
                    phase.delivered_per_s / 1e3,
                    phase.p50_ms,
                    phase.p99_ms,
                    phase.lost_percent,
                    phase.server_cpu_us,
                    phase.client_cpu_us,
                ));
            }
            runs.push(run);
        }
    }
    tables(&mut report, &runs);
    targets(&mut report, &runs);
    let mut took = String::new();
    let _ = write!(
        took,
        "\n(the bench took {:.0} s)",
        started.elapsed().as_secs_f64()
    );
    report.line(&took);

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or(dir, |t| std::path::PathBuf::from(t).join("bench"));
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("gateway.md"), report.text);
    }
}
