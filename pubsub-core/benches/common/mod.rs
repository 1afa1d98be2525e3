//! Shared pieces of the benchmarks: the event type, the naive baseline broker, medians, reports.

// Reason: each bench binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use pubsub_core::Event;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// The benchmarks' event: small, like a real payload of identifiers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub(crate) enum Tick {
    Tick { id: u64 },
}

impl Event for Tick {
    const DOMAIN: &'static str = "bench";
    fn name(&self) -> &'static str {
        "tick"
    }
}

type NaiveMap = HashMap<String, Vec<mpsc::UnboundedSender<Arc<Tick>>>>;

/// The naive design: one lock around a map of unbounded channels.
#[derive(Debug, Default, Clone)]
pub(crate) struct NaiveBroker {
    topics: Arc<RwLock<NaiveMap>>,
}

impl NaiveBroker {
    pub(crate) fn subscribe(&self, topic: &str) -> mpsc::UnboundedReceiver<Arc<Tick>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.topics
            .write()
            .unwrap()
            .entry(topic.to_owned())
            .or_default()
            .push(tx);
        rx
    }

    pub(crate) fn publish(&self, topic: &str, event: &Arc<Tick>) -> usize {
        let topics = self.topics.read().unwrap();
        let Some(subscribers) = topics.get(topic) else {
            return 0;
        };
        for tx in subscribers {
            let _ = tx.send(Arc::clone(event));
        }
        subscribers.len()
    }

    /// Removes closed senders of `topic` (the naive unsubscribe: a scan).
    pub(crate) fn cleanup(&self, topic: &str) {
        let mut topics = self.topics.write().unwrap();
        if let Some(subscribers) = topics.get_mut(topic) {
            subscribers.retain(|tx| !tx.is_closed());
            if subscribers.is_empty() {
                topics.remove(topic);
            }
        }
    }
}

/// A tiny deterministic PRNG (xorshift64*), so every design sees the same topic sequence.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        usize::try_from(x % n as u64).unwrap()
    }
}

/// The median of `samples` (sorted in place).
pub(crate) fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    if samples.len() % 2 == 0 {
        f64::midpoint(samples[mid - 1], samples[mid])
    } else {
        samples[mid]
    }
}

/// Min, median and max of some samples.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spread {
    pub(crate) min: f64,
    pub(crate) median: f64,
    pub(crate) max: f64,
}

impl Spread {
    pub(crate) fn of(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        let median = median(&mut sorted);
        Spread {
            min: sorted.first().copied().unwrap_or(f64::NAN),
            median,
            max: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2} [{:.2}-{:.2}]", self.median, self.min, self.max)
    }
}

/// Per-round ratios `a[i] / b[i]` (the designs run interleaved, round by round).
pub(crate) fn ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a / b).collect()
}

/// One table row: a named measurement of several designs, with a unit.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) unit: &'static str,
    /// (design, value), ours first.
    pub(crate) values: Vec<(&'static str, f64)>,
    /// What the ratio means, e.g. "ours / broadcast".
    pub(crate) note: String,
}

/// A report: rows printed as a Markdown table, and written as Markdown and JSON to target/bench/.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) title: String,
    pub(crate) rows: Vec<Row>,
    pub(crate) checks: Vec<(String, bool)>,
}

impl Report {
    pub(crate) fn new(title: &str) -> Self {
        Report {
            title: title.to_owned(),
            ..Report::default()
        }
    }

    pub(crate) fn row(
        &mut self,
        name: impl Into<String>,
        unit: &'static str,
        values: Vec<(&'static str, f64)>,
        note: impl Into<String>,
    ) {
        let row = Row {
            name: name.into(),
            unit,
            values,
            note: note.into(),
        };
        println!("{}", Self::format_row(&row));
        self.rows.push(row);
    }

    pub(crate) fn check(&mut self, target: impl Into<String>, met: bool) {
        let target = target.into();
        println!("target {}: {target}", if met { "MET" } else { "NOT MET" });
        self.checks.push((target, met));
    }

    fn format_value(v: f64) -> String {
        if v >= 1e6 {
            format!("{:.2}M", v / 1e6)
        } else if v >= 1e4 {
            format!("{:.1}k", v / 1e3)
        } else if v >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    }

    fn format_row(row: &Row) -> String {
        let values: Vec<String> = row
            .values
            .iter()
            .map(|(design, v)| format!("{design}: {}", Self::format_value(*v)))
            .collect();
        format!(
            "| {} | {} | {} | {} |",
            row.name,
            row.unit,
            values.join(", "),
            row.note
        )
    }

    pub(crate) fn markdown(&self) -> String {
        let mut out = format!(
            "## {}\n\n| measurement | unit | results | ratio |\n|---|---|---|---|\n",
            self.title
        );
        for row in &self.rows {
            let _ = writeln!(out, "{}", Self::format_row(row));
        }
        if !self.checks.is_empty() {
            out.push_str("\n| target | met |\n|---|---|\n");
            for (target, met) in &self.checks {
                let _ = writeln!(out, "| {target} | {} |", if *met { "yes" } else { "no" });
            }
        }
        out
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "rows": self.rows.iter().map(|r| serde_json::json!({
                "name": r.name,
                "unit": r.unit,
                "values": r.values.iter().map(|(d, v)| serde_json::json!({"design": d, "value": v})).collect::<Vec<_>>(),
                "ratio": r.note,
            })).collect::<Vec<_>>(),
            "targets": self.checks.iter().map(|(t, m)| serde_json::json!({"target": t, "met": m})).collect::<Vec<_>>(),
        })
    }

    /// Writes `target/bench/<stem>.md` and `.json`.
    pub(crate) fn save(&self, stem: &str) {
        let dir = target_dir().join("bench");
        std::fs::create_dir_all(&dir).expect("create target/bench");
        let machine = machine();
        let md = format!("{}\n_{machine}_\n", self.markdown());
        std::fs::write(dir.join(format!("{stem}.md")), md).expect("write markdown");
        let mut json = self.json();
        json["machine"] = serde_json::Value::String(machine);
        std::fs::write(
            dir.join(format!("{stem}.json")),
            serde_json::to_string_pretty(&json).expect("json"),
        )
        .expect("write json");
        println!("\nwrote {}", dir.join(format!("{stem}.md")).display());
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        },
        PathBuf::from,
    )
}

/// Cores and the date, for the record.
pub(crate) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let date = std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    format!(
        "{cores} cores, {}, release build, measured {}",
        std::env::consts::ARCH,
        date.trim()
    )
}

/// Quick mode (`--quick`): fewer rounds and smaller sizes, for smoke runs.
pub(crate) fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

/// Whether section `name` should run: all run unless non-flag arguments name some
/// (`cargo xtask bench fanout`; `fanout1$` for exactly that one).
pub(crate) fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    // A trailing `$` asks for the exact name (`fanout1$` is N = 1 only).
    filters.is_empty()
        || filters.iter().any(|f| match f.strip_suffix('$') {
            Some(exact) => name == exact,
            None => name.contains(f.as_str()),
        })
}
