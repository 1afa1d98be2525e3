//! A minimal W3C WebDriver client over HTTP (chromedriver), with just what the test needs:
//! sessions, navigation, scripts and screenshots.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::base64;

/// The Chromium flags that work headless, as root, without network.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,960",
];

/// One browser (a WebDriver session).
pub(crate) struct Browser {
    agent: ureq::Agent,
    base: String,
    pub(crate) name: &'static str,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn unwrap(answer: Value, what: &str) -> Result<Value, String> {
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("{what}: {error}: {message}"));
    }
    Ok(value)
}

impl Browser {
    /// Starts a headless Chromium through the chromedriver at `driver`, with a fresh profile.
    pub(crate) fn open(driver: &str, profile: &Path, name: &'static str) -> Result<Self, String> {
        let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
        }}});
        let agent = agent();
        let answer: Value = agent
            .post(&format!("{driver}/session"))
            .send_json(&caps)
            .map_err(|e| format!("new session: {e}"))?
            .body_mut()
            .read_json()
            .map_err(|e| format!("new session: {e}"))?;
        let value = unwrap(answer, "new session")?;
        let id = value["sessionId"].as_str().ok_or("no session id")?;
        Ok(Browser {
            agent,
            base: format!("{driver}/session/{id}"),
            name,
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self.agent.post(&url).send_json(body.unwrap_or(&json!({}))),
        };
        let answer: Value = response
            .map_err(|e| format!("{path}: {e}"))?
            .body_mut()
            .read_json()
            .map_err(|e| format!("{path}: {e}"))?;
        unwrap(answer, path)
    }

    /// Opens `url` and waits for the page's first live snapshot.
    pub(crate) fn goto(&self, url: &str) -> Result<(), String> {
        self.call("POST", "/url", Some(&json!({ "url": url })))?;
        self.wait(
            "the page's first snapshot",
            Duration::from_secs(10),
            "return (window.demo && window.demo.refreshes > 0) || !document.querySelector('main').dataset.live",
            &[],
        )
        .map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub(crate) fn js(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Runs `script` asynchronously: it ends by calling its last argument with its value.
    pub(crate) fn js_async(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.call(
            "POST",
            "/execute/async",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Polls `script` every 20 ms until it returns something truthy; returns how long it took.
    pub(crate) fn wait(
        &self,
        what: &str,
        timeout: Duration,
        script: &str,
        args: &[Value],
    ) -> Result<Duration, String> {
        let started = Instant::now();
        loop {
            let value = self.js(script, args)?;
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                return Err(format!(
                    "{}: {what} did not happen within {timeout:?}",
                    self.name
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Saves a PNG screenshot of the viewport.
    pub(crate) fn screenshot(&self, path: &Path) -> Result<(), String> {
        let value = self.call("GET", "/screenshot", None)?;
        let data = value.as_str().ok_or("screenshot is not a string")?;
        let png = base64::decode(data).ok_or("screenshot is not base64")?;
        if !png.starts_with(b"\x89PNG") {
            return Err("screenshot is not a PNG".to_owned());
        }
        std::fs::write(path, png).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    /// Ends the session (and the browser).
    pub(crate) fn close(self) {
        let _ = self.agent.delete(&self.base).call();
    }
}
