use serde_json::{Value, json};

use super::{is_valid_keyword, publishing_problems};
use crate::steps::root;

/// A `cargo metadata` package entry for a library crate with everything crates.io wants; its
/// README is pubsub-core's, which exists.
fn library() -> Value {
    json!({
        "name": "pubsub-core",
        "manifest_path": root().join("pubsub-core/Cargo.toml"),
        "publish": null,
        "description": "Typed publish/subscribe.",
        "license": "MIT OR Apache-2.0",
        "rust_version": "1.85",
        "repository": "https://github.com/live-pubsub/live-pubsub",
        "readme": "README.md",
        "keywords": ["pubsub", "realtime"],
        "categories": ["asynchronous"],
    })
}

#[test]
fn a_library_crate_with_full_metadata_passes() {
    assert_eq!(publishing_problems(&library()), Vec::<String>::new());
}

#[test]
fn a_library_crate_that_is_not_publishable_is_reported() {
    let mut package = library();
    package["publish"] = json!([]);
    assert_eq!(
        publishing_problems(&package),
        ["pubsub-core: must be publishable to crates.io"]
    );
}

#[test]
fn each_missing_field_of_a_library_crate_is_named() {
    let mut package = library();
    for field in [
        "description",
        "license",
        "rust_version",
        "repository",
        "readme",
    ] {
        package[field] = Value::Null;
    }
    package["keywords"] = json!([]);
    package["categories"] = json!([]);
    assert_eq!(
        publishing_problems(&package),
        [
            "pubsub-core: no description",
            "pubsub-core: no license",
            "pubsub-core: no rust-version",
            "pubsub-core: no https:// repository",
            "pubsub-core: no readme",
            "pubsub-core: needs 1 to 5 keywords, has 0",
            "pubsub-core: needs 1 to 5 categories, has 0",
        ]
    );
}

#[test]
fn a_readme_that_does_not_exist_is_reported() {
    let mut package = library();
    package["readme"] = json!("../README.md.missing");
    assert_eq!(
        publishing_problems(&package),
        ["pubsub-core: readme ../README.md.missing does not exist"]
    );
}

#[test]
fn six_keywords_and_an_unknown_category_are_reported() {
    let mut package = library();
    package["keywords"] = json!(["a", "b", "c", "d", "e", "f"]);
    package["categories"] = json!(["async"]);
    assert_eq!(
        publishing_problems(&package),
        [
            "pubsub-core: needs 1 to 5 keywords, has 6",
            "pubsub-core: category `async` is not in CATEGORY_SLUGS (xtask/src/deps.rs)",
        ]
    );
}

#[test]
fn keywords_follow_the_crates_io_rule() {
    assert!(is_valid_keyword("publish-subscribe"));
    assert!(is_valid_keyword("c++"));
    assert!(!is_valid_keyword("pub sub"));
    assert!(!is_valid_keyword("1pubsub"));
    assert!(!is_valid_keyword("a-keyword-longer-than-20"));
}

#[test]
fn the_app_and_tools_must_not_be_publishable() {
    let mut demo = json!({ "name": "demo", "publish": [] });
    assert_eq!(publishing_problems(&demo), Vec::<String>::new());
    demo["publish"] = Value::Null;
    assert_eq!(
        publishing_problems(&demo),
        ["demo: must be `publish = false`"]
    );
}

#[test]
fn a_member_without_a_stated_role_is_reported() {
    let package = json!({ "name": "newcomer", "publish": null });
    assert_eq!(
        publishing_problems(&package),
        ["newcomer: neither a library crate nor unpublished in xtask/src/deps.rs"]
    );
}
