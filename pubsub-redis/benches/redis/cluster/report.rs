//! The cluster section's report: per configuration the median [min-max] over the rounds of
//! each figure, and per-round ratios between configurations.

use std::fmt::Write as _;

use serde_json::json;

use super::{Channels, PUBLISHERS, Run, SHAPES, Setup, Shape, TOPICS};
use crate::median;

/// One figure of a run.
type Figure = fn(&Run) -> f64;

/// Median and range of a figure over the rounds.
#[derive(Debug, Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let values: Vec<f64> = values.into_iter().collect();
        Spread {
            median: median(values.clone()),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// `median [min-max]`, with `decimals` decimals and `unit` after each.
    fn show(self, decimals: usize, unit: &str) -> String {
        let Spread { median, min, max } = self;
        format!("{median:.decimals$}{unit} [{min:.decimals$}-{max:.decimals$}{unit}]")
    }

    fn json(self) -> serde_json::Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

/// Each node's share of the Redis CPU over all `runs`, as `34/33/33%`.
fn cpu_split(runs: &[Run]) -> (String, Vec<f64>) {
    let nodes = runs[0].node_us.len();
    let per_node: Vec<f64> = (0..nodes)
        .map(|n| runs.iter().map(|r| r.node_us[n]).sum::<f64>())
        .collect();
    let total: f64 = per_node.iter().sum();
    let shares: Vec<f64> = per_node.iter().map(|n| n / total).collect();
    let shown: Vec<String> = shares.iter().map(|s| format!("{:.0}", s * 100.0)).collect();
    (format!("{}%", shown.join("/")), shares)
}

/// Per-round ratios of two configurations' figure.
fn ratio(runs: &[Vec<Run>], of: Shape, to: Shape, figure: Figure) -> Spread {
    Spread::of(
        runs[of.index()]
            .iter()
            .zip(&runs[to.index()])
            .map(|(a, b)| figure(a) / figure(b)),
    )
}

/// The section's Markdown and JSON.
pub(super) fn report(
    setups: &[Setup],
    runs: &[Vec<Run>],
    rounds: usize,
    messages: usize,
) -> (String, serde_json::Value) {
    let total = messages / TOPICS * TOPICS;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## Redis Cluster: sharded pub/sub against plain PUBLISH\n\n\
         {total} messages per run over {TOPICS} topics, from {PUBLISHERS} concurrent publishers (each taking every \
         {PUBLISHERS}th topic; more than the 40 in flight the node admits per shard, so every \
         shard's pipeline is full) on one node to a node subscribed to every topic; clusters without replicas; {rounds} \
         interleaved rounds, median [min-max]. Redis CPU: `used_cpu_sys` + `used_cpu_user` of \
         every node of the cluster, before and after each run, per delivered message (the nodes' \
         housekeeping included). Ceiling: the delivered rate at which the busiest node would use \
         a whole core. Bench process: both `RedisBroker` nodes and the publishers, on the same \
         cores as Redis.\n\n\
         | configuration | topics per node | delivered/s | Redis CPU µs/msg (all nodes) | busiest node µs/msg | ceiling msg/s | Redis CPU split | bench process CPU µs/msg |\n\
         |---|---|---:|---:|---:|---:|---|---:|"
    );
    let mut configurations = serde_json::Map::new();
    for ((shape, setup), runs) in SHAPES.iter().zip(setups).zip(runs) {
        let delivered = Spread::of(runs.iter().map(|r| r.per_second));
        let redis = Spread::of(runs.iter().map(Run::redis_us));
        let busiest = Spread::of(runs.iter().map(Run::busiest_us));
        let ceiling = Spread::of(runs.iter().map(Run::ceiling));
        let client = Spread::of(runs.iter().map(|r| r.client_us));
        let (split, shares) = cpu_split(runs);
        let placed: Vec<String> = setup.topics_per_node.iter().map(usize::to_string).collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {split} | {} |",
            shape.name(),
            placed.join("/"),
            delivered.show(0, ""),
            redis.show(2, ""),
            busiest.show(2, ""),
            ceiling.show(0, ""),
            client.show(1, ""),
        );
        configurations.insert(
            shape.name(),
            json!({
                "primaries": shape.primaries,
                "publishers": shape.publishers,
                "topics_per_node": setup.topics_per_node,
                "delivered_per_second": delivered.json(),
                "redis_cpu_us_per_message": redis.json(),
                "busiest_node_cpu_us_per_message": busiest.json(),
                "ceiling_per_second": ceiling.json(),
                "redis_cpu_share_per_node": shares,
                "bench_process_cpu_us_per_message": client.json(),
            }),
        );
    }
    let ratio_json = ratios(&mut md, runs);
    let _ = writeln!(
        md,
        "\nTarget (issue 15): sharded at 3 shards at least 2x 1 shard, in delivered/s or, where the \
         2 cores are the limit, in the ceiling; plain PUBLISH not scaling (its Redis CPU per \
         message grows with the nodes, all of it on every node)."
    );
    let json = json!({
        "messages_per_run": total,
        "topics": TOPICS,
        "publishers": PUBLISHERS,
        "rounds": rounds,
        "configurations": configurations,
        "ratios": ratio_json,
    });
    (md, json)
}

pub(super) const fn sharded(primaries: usize) -> Shape {
    Shape {
        channels: Channels::Sharded,
        primaries,
        publishers: PUBLISHERS,
    }
}

pub(super) const fn plain(primaries: usize) -> Shape {
    Shape {
        channels: Channels::Plain,
        primaries,
        publishers: PUBLISHERS,
    }
}

/// A per-round ratio reported: `figure` of `of` over that of `to`.
struct Ratio {
    name: &'static str,
    of: Shape,
    to: Shape,
    figure: Figure,
}

const RATIOS: [Ratio; 5] = [
    Ratio {
        name: "sharded, 3 shards / 1 shard: delivered/s",
        of: sharded(3),
        to: sharded(1),
        figure: |r| r.per_second,
    },
    Ratio {
        name: "sharded, 3 shards / 1 shard: ceiling",
        of: sharded(3),
        to: sharded(1),
        figure: Run::ceiling,
    },
    Ratio {
        name: "plain, 3 shards / 1 shard: delivered/s",
        of: plain(3),
        to: plain(1),
        figure: |r| r.per_second,
    },
    Ratio {
        name: "plain, 3 shards / 1 shard: Redis CPU per message",
        of: plain(3),
        to: plain(1),
        figure: Run::redis_us,
    },
    Ratio {
        name: "3 shards, plain / sharded: Redis CPU per message",
        of: plain(3),
        to: sharded(3),
        figure: Run::redis_us,
    },
];

/// The per-round ratios' table, appended to `md`, and their JSON.
fn ratios(md: &mut String, runs: &[Vec<Run>]) -> serde_json::Map<String, serde_json::Value> {
    let _ = writeln!(md, "\n| per-round ratio | median [min-max] |\n|---|---:|");
    let mut json = serde_json::Map::new();
    for Ratio {
        name,
        of,
        to,
        figure,
    } in RATIOS
    {
        let r = ratio(runs, of, to, figure);
        let _ = writeln!(md, "| {name} | {} |", r.show(2, "x"));
        json.insert(name.to_owned(), r.json());
    }
    json
}
