//! House rules checked from `cargo metadata` and the manifests, not from memory.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::steps::{cargo, root};

/// Which workspace crates each workspace crate may depend on (normal and build dependencies).
/// A crate missing from this table may not exist: adding one means stating its rule here.
const ALLOWED: &[(&str, &[&str])] = &[
    ("pubsub-core", &[]),
    ("pubsub-redis", &["pubsub-core"]),
    ("pubsub-axum", &["pubsub-core", "pubsub-presence"]),
    ("pubsub-presence", &["pubsub-core"]),
    ("crm-events", &["pubsub-core"]),
    ("projects-events", &["pubsub-core"]),
    ("staff-events", &["pubsub-core"]),
    ("catalogue-events", &["pubsub-core"]),
    (
        "demo",
        &[
            "pubsub-core",
            "pubsub-redis",
            "pubsub-axum",
            "pubsub-presence",
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

/// The crates an application depends on: each must package for crates.io, with the metadata
/// crates.io shows (`cargo xtask test-all` runs `cargo package` on them).
const LIBRARY_CRATES: &[&str] = &[
    "pubsub-core",
    "pubsub-redis",
    "pubsub-axum",
    "pubsub-presence",
    "crm-events",
    "projects-events",
    "staff-events",
    "catalogue-events",
];

/// The workspace's app and tools: `publish = false`, and left out of `cargo package`.
pub(crate) const UNPUBLISHED_CRATES: &[&str] = &["demo", "xtask"];

/// The crates.io category slugs our crates may use: a subset of <https://crates.io/category_slugs>
/// (crates.io ignores, with only a warning, a slug it does not know). Add from that list.
const CATEGORY_SLUGS: &[&str] = &[
    "asynchronous",
    "concurrency",
    "database",
    "network-programming",
    "web-programming",
    "web-programming::http-server",
    "web-programming::websocket",
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
/// `unsafe_code = "forbid"`; every library crate is publishable with full crates.io metadata
/// ([`publishing_problems`]), and the app and tools are not.
pub(crate) fn check_manifests() -> Result<()> {
    let metadata = metadata()?;
    let mut problems = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or("?");
        let path = package["manifest_path"].as_str().context("manifest path")?;
        problems.extend(publishing_problems(package));
        let manifest = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let inherits = manifest
            .split("[lints]")
            .nth(1)
            .is_some_and(|rest| rest.trim_start().starts_with("workspace = true"));
        if !inherits {
            problems.push(format!("{name}: missing `[lints] workspace = true`"));
        }
        let src = Path::new(path).with_file_name("src");
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

/// What keeps `package` (an entry of `cargo metadata`'s `packages`) from being what its role
/// needs: a library crate is publishable and has a description, a README file that exists, 1-5
/// valid keywords, 1-5 known categories, a license, an `https://` repository and a
/// `rust-version`; an app or tool is `publish = false`; every member has one of the two roles.
fn publishing_problems(package: &Value) -> Vec<String> {
    let name = package["name"].as_str().unwrap_or("?");
    // `null` means any registry; a list names the allowed ones (`[]` is `publish = false`).
    let publish = package["publish"].as_array();
    let publishable =
        publish.is_none_or(|registries| registries.iter().any(|r| r.as_str() == Some("crates-io")));
    let mut problems = Vec::new();
    if UNPUBLISHED_CRATES.contains(&name) {
        if publish.is_none_or(|registries| !registries.is_empty()) {
            problems.push(format!("{name}: must be `publish = false`"));
        }
        return problems;
    }
    if !LIBRARY_CRATES.contains(&name) {
        problems.push(format!(
            "{name}: neither a library crate nor unpublished in xtask/src/deps.rs"
        ));
        return problems;
    }
    if !publishable {
        problems.push(format!("{name}: must be publishable to crates.io"));
    }
    for field in ["description", "license", "rust_version"] {
        if package[field]
            .as_str()
            .is_none_or(|value| value.trim().is_empty())
        {
            problems.push(format!("{name}: no {}", field.replace('_', "-")));
        }
    }
    if !package["repository"]
        .as_str()
        .is_some_and(|url| url.starts_with("https://"))
    {
        problems.push(format!("{name}: no https:// repository"));
    }
    match package["readme"].as_str() {
        None => problems.push(format!("{name}: no readme")),
        Some(readme) => {
            let manifest = Path::new(package["manifest_path"].as_str().unwrap_or(""));
            if !manifest.with_file_name(readme).is_file() {
                problems.push(format!("{name}: readme {readme} does not exist"));
            }
        }
    }
    let keywords: Vec<&str> = strings(&package["keywords"]);
    if keywords.is_empty() || keywords.len() > 5 {
        problems.push(format!(
            "{name}: needs 1 to 5 keywords, has {}",
            keywords.len()
        ));
    }
    for keyword in keywords {
        if !is_valid_keyword(keyword) {
            problems.push(format!(
                "{name}: keyword `{keyword}` is not a crates.io keyword \
                 (a letter, then letters, digits, `_`, `-` or `+`; at most 20)"
            ));
        }
    }
    let categories: Vec<&str> = strings(&package["categories"]);
    if categories.is_empty() || categories.len() > 5 {
        problems.push(format!(
            "{name}: needs 1 to 5 categories, has {}",
            categories.len()
        ));
    }
    for category in categories {
        if !CATEGORY_SLUGS.contains(&category) {
            problems.push(format!(
                "{name}: category `{category}` is not in CATEGORY_SLUGS (xtask/src/deps.rs)"
            ));
        }
    }
    problems
}

fn strings(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// crates.io's keyword rule: ASCII, starts with a letter, then letters, digits, `_`, `-` or `+`;
/// at most 20 characters.
fn is_valid_keyword(keyword: &str) -> bool {
    keyword.len() <= 20
        && keyword.starts_with(|c: char| c.is_ascii_alphabetic())
        && keyword
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
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

#[cfg(test)]
mod tests;
