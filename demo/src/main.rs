//! `demo [--port N] [--redis URL] [--namespace NAME] [--capacity N]`: the live demo's server.

use anyhow::Result;
use demo::{AppState, Config};

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .init();
    let config = Config::from_args(std::env::args().skip(1))?;
    let state = AppState::connect(&config).await?;
    let shutdown = state.shutdown.clone();
    let presence = std::sync::Arc::clone(&state.presence);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            shutdown.cancel(); // a graceful stop: every page's stream and socket ends
        }
    });
    let served = demo::serve(state, config.port, |url| {
        println!("demo: listening on {url}");
        println!("demo: open it in two tabs and change something in one");
    })
    .await;
    // A clean exit: this node's viewers leave every other node's pages at once.
    presence.shutdown().await;
    served
}
