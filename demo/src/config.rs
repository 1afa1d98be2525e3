//! Command-line settings.

use anyhow::{Context, Result, bail};

/// How the demo runs: `demo [--port N] [--redis URL] [--namespace NAME] [--capacity N]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The HTTP port on 127.0.0.1 (0: any free port). Default 4000.
    pub port: u16,
    /// A Redis URL: use `RedisBroker` and keep the store in Redis, shared with other nodes.
    pub redis: Option<String>,
    /// The Redis namespace of the broker's channels and the store's keys. Default `demo`.
    pub namespace: String,
    /// Each subscription's buffer. Small by default (64) so a burst shows the lag path.
    pub capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 4000,
            redis: None,
            namespace: "demo".to_owned(),
            capacity: 64,
        }
    }
}

/// The usage line.
pub const USAGE: &str =
    "usage: demo [--port N] [--redis redis://127.0.0.1:6379/] [--namespace NAME] [--capacity N]";

impl Config {
    /// Parses the arguments after the program name.
    ///
    /// # Errors
    ///
    /// On an unknown flag, a missing value or a value that does not parse.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut config = Config::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--port" => config.port = value()?.parse().context("--port")?,
                "--redis" => config.redis = Some(value()?),
                "--namespace" => config.namespace = value()?,
                "--capacity" => config.capacity = value()?.parse().context("--capacity")?,
                other => bail!("unknown argument `{other}`\n{USAGE}"),
            }
        }
        if config.capacity == 0 {
            bail!("--capacity must be at least 1");
        }
        Ok(config)
    }
}
