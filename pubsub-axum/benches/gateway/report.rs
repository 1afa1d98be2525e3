//! The bench's report: its tables (printed, and kept for `target/bench/gateway.md`), the ratios
//! and the target lines, as pubsub-core's benches print them.

use crate::{Kind, Run};

fn ratio(a: f64, b: f64) -> String {
    if a > 0.0 && b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "n/a".to_owned()
    }
}

pub(crate) struct Report {
    pub(crate) text: String,
}

impl Report {
    pub(crate) fn line(&mut self, line: &str) {
        println!("{line}");
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn check(&mut self, target: &str, met: bool) {
        self.line(&format!(
            "target {}: {target}",
            if met { "MET" } else { "NOT MET" }
        ));
    }
}

fn find(runs: &[Run], kind: Kind, connections: usize) -> Option<&Run> {
    runs.iter()
        .find(|r| r.kind == kind && r.config.connections == connections)
}

pub(crate) fn tables(report: &mut Report, runs: &[Run]) {
    report.line("\n### Ratios (burst deliveries/s)\n");
    report.line(
        "| connections | SSE / naive | WS / naive | SSE / socketioxide | WS / socketioxide |",
    );
    report.line("|---|---|---|---|---|");
    let mut counts: Vec<usize> = runs.iter().map(|r| r.config.connections).collect();
    counts.dedup();
    for &count in &counts {
        let rate = |kind| find(runs, kind, count).map_or(0.0, |r| r.burst.delivered_per_s);
        report.line(&format!(
            "| {count} | {} | {} | {} | {} |",
            ratio(rate(Kind::OursSse), rate(Kind::NaiveSse)),
            ratio(rate(Kind::OursWs), rate(Kind::NaiveSse)),
            ratio(rate(Kind::OursSse), rate(Kind::SocketIo)),
            ratio(rate(Kind::OursWs), rate(Kind::SocketIo)),
        ));
    }
    report.line("\n### Server CPU per burst delivery, theirs / ours (higher: ours costs less)\n");
    report.line(
        "| connections | naive / SSE | naive / WS | socketioxide / SSE | socketioxide / WS |",
    );
    report.line("|---|---|---|---|---|");
    for &count in &counts {
        let cpu = |kind| find(runs, kind, count).map_or(0.0, |r| r.burst.server_cpu_us);
        report.line(&format!(
            "| {count} | {} | {} | {} | {} |",
            ratio(cpu(Kind::NaiveSse), cpu(Kind::OursSse)),
            ratio(cpu(Kind::NaiveSse), cpu(Kind::OursWs)),
            ratio(cpu(Kind::SocketIo), cpu(Kind::OursSse)),
            ratio(cpu(Kind::SocketIo), cpu(Kind::OursWs)),
        ));
    }
    report.line(
        "\n### Server heap per connection (idle: subscribed, nothing sent yet; after: the same connections after the traffic)\n",
    );
    report.line("| connections | transport | idle | after traffic |");
    report.line("|---|---|---|---|");
    for r in runs {
        report.line(&format!(
            "| {} | {} | {:.1} KiB | {:.1} KiB |",
            r.config.connections,
            r.kind.label(),
            r.idle_bytes / 1024.0,
            r.after_bytes / 1024.0,
        ));
    }
}

pub(crate) fn targets(report: &mut Report, runs: &[Run]) {
    let Some(count) = runs.iter().map(|r| r.config.connections).max() else {
        return;
    };
    report.line("");
    if count < 10_000 {
        report.line(&format!(
            "(the targets are for 10,000 connections; this run's largest count is {count})"
        ));
    }
    let get = |kind| find(runs, kind, count);
    let (Some(naive), Some(sio)) = (get(Kind::NaiveSse), get(Kind::SocketIo)) else {
        return;
    };
    for kind in [Kind::OursSse, Kind::OursWs] {
        let Some(ours) = get(kind) else { continue };
        let label = kind.label();
        let (rate, naive_rate, sio_rate) = (
            ours.burst.delivered_per_s,
            naive.burst.delivered_per_s,
            sio.burst.delivered_per_s,
        );
        report.check(
            &format!(
                "{label} at {count} connections delivers >= 2x the naive fan-out's deliveries/s ({:.0}k vs {:.0}k: {})",
                rate / 1e3,
                naive_rate / 1e3,
                ratio(rate, naive_rate)
            ),
            rate >= 2.0 * naive_rate,
        );
        report.check(
            &format!(
                "{label} at {count} connections delivers >= socketioxide's deliveries/s ({:.0}k vs {:.0}k: {})",
                rate / 1e3,
                sio_rate / 1e3,
                ratio(rate, sio_rate)
            ),
            rate >= sio_rate,
        );
        for (rate, phase) in [
            (ours.config.rate, ours.steady),
            (ours.config.light_rate, ours.light),
        ] {
            report.check(
                &format!(
                    "{label} at {count} connections, {rate} msg/s: p99 < 50 ms ({:.1} ms; the clients share the 2 cores)",
                    phase.p99_ms
                ),
                phase.p99_ms < 50.0,
            );
        }
        report.check(
            &format!(
                "{label} at {count} connections: < 16 KiB server heap per idle connection ({:.1} KiB)",
                ours.idle_bytes / 1024.0
            ),
            ours.idle_bytes < 16.0 * 1024.0,
        );
    }
}
