//! House rules checked from `cargo metadata` and the manifests, not from memory.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::steps::{cargo, root};

/// Which workspace crates each workspace crate may depend on (normal and build dependencies).
/// A crate missing from this table may not exist: adding one means stating its rule here.
const ALLOWED: &[(&str, &[&str])] = &[
    ("pubsub-core", &[]),
    ("pubsub-redis", &["pubsub-core"]),
    ("crm-events", &["pubsub-core"]),
    ("projects-events", &["pubsub-core"]),
    ("staff-events", &["pubsub-core"]),
    ("catalogue-events", &["pubsub-core"]),
    (
        "demo",
        &[
            "pubsub-core",
            "pubsub-redis",
            "crm-events",
            "projects-events",
            "staff-events",
            "catalogue-events",
        ],
    ),
    ("xtask", &[]),
];

/// The domain crates, each of which must build on its own.
pub(crate) const DOMAIN_CRATES: &[&str] = &[
    "crm-events",
    "projects-events",
    "staff-events",
    "catalogue-events",
];

fn metadata() -> Result<Value> {
    // `--no-deps` reads only the workspace's manifests: no resolution, no network.
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("parsing cargo metadata")
}

/// The dependency rule of ARCHITECTURE.md: domain crates depend on `pubsub-core` and no other
/// workspace crate; `pubsub-core` on none; `pubsub-redis` on `pubsub-core` only.
pub(crate) fn check_dependency_rule() -> Result<()> {
    let metadata = metadata()?;
    let packages = metadata["packages"].as_array().context("no packages")?;
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut violations = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or("?");
        let Some(rule) = allowed.get(name) else {
            violations.push(format!(
                "{name}: no dependency rule stated in xtask/src/deps.rs"
            ));
            continue;
        };
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or("?");
            let is_dev = dep["kind"].as_str() == Some("dev");
            if is_dev || !members.contains(&dep_name) || dep_name == name {
                continue;
            }
            if !rule.contains(&dep_name) {
                violations.push(format!("{name} must not depend on {dep_name}"));
            }
        }
    }
    if violations.is_empty() {
        println!("dependency rule holds for {} crates", packages.len());
        Ok(())
    } else {
        bail!("dependency rule broken:\n  {}", violations.join("\n  "))
    }
}

/// Every member inherits the workspace lints (`[lints] workspace = true`), and none weakens
/// `unsafe_code = "forbid"`.
pub(crate) fn check_manifests() -> Result<()> {
    let metadata = metadata()?;
    let mut problems = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or("?");
        let path = package["manifest_path"].as_str().context("manifest path")?;
        let manifest = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let inherits = manifest
            .split("[lints]")
            .nth(1)
            .is_some_and(|rest| rest.trim_start().starts_with("workspace = true"));
        if !inherits {
            problems.push(format!("{name}: missing `[lints] workspace = true`"));
        }
        let src = std::path::Path::new(path).with_file_name("src");
        for file in rust_files(&src) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            // Spelled in two parts so this file does not match itself.
            if text.contains(concat!("allow(", "unsafe_code)")) {
                problems.push(format!("{}: allows unsafe code", file.display()));
            }
        }
    }
    let root_manifest = std::fs::read_to_string(root().join("Cargo.toml"))?;
    if !root_manifest.contains("unsafe_code = \"forbid\"") {
        problems.push("workspace lints must forbid unsafe code".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("{}", problems.join("; "))
    }
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
