//! The processes the browser test runs: demo nodes and chromedriver, killed on drop.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process killed on drop.
pub(crate) struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts a demo node (the binary cargo built for this test) with `args`; returns it and the
/// URL it printed.
pub(crate) fn demo(args: &[&str]) -> Result<(Proc, String), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting the demo: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let proc = Proc(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("demo: listening on ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(20))
        .map_err(|_| "the demo did not print its URL".to_owned())?;
    Ok((proc, url))
}

/// Starts chromedriver on a free port; returns it and its URL once it answers.
pub(crate) fn chromedriver() -> Result<(Proc, String), String> {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting chromedriver: {e}"))?;
    let proc = Proc(child);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ureq::get(&format!("{url}/status")).call().is_ok() {
            return Ok((proc, url));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("chromedriver did not answer within 10 s".to_owned())
}
