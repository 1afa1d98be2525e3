//! What the browser test does: the two-page contact check, and a tour of the other pages.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use demo::Sample;
use serde_json::json;

use crate::webdriver::Browser;

/// How long a change may take to show on the other page.
const AT_ONCE: Duration = Duration::from_secs(1);

/// Steps passed and where screenshots go.
pub(crate) struct Report {
    pub(crate) passed: usize,
    dir: PathBuf,
}

impl Report {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Report { passed: 0, dir }
    }

    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn shot(&self, browser: &Browser, name: &str) -> Result<(), String> {
        browser.screenshot(&self.dir.join(format!("{name}.png")))
    }

    fn pass(&mut self, step: &str, took: Duration) {
        self.passed += 1;
        println!("  ok  {step} ({} ms)", took.as_millis());
    }
}

const FEED_HAS: &str = "return [...document.querySelectorAll('#feed li')].some(li => li.dataset.note === arguments[0]);";
const TWO_VIEWERS: &str = "return ((window.demo && window.demo.viewers) || []).length === 2;";
const FEED_LACKS: &str = "return ![...document.querySelectorAll('#feed li')].some(li => li.dataset.note === arguments[0]);";

/// Grace's contact page in two browsers (on `url_a` and `url_b`): an interaction logged in A
/// with Grace as a party appears in B; edited in A to drop Grace, it leaves B.
pub(crate) fn two_pages(
    report: &mut Report,
    a: &Browser,
    b: &Browser,
    url_a: &str,
    url_b: &str,
    tag: &str,
) -> Result<(), String> {
    let page = format!("contacts/{}", Sample::GRACE);
    a.goto(&format!("{url_a}{page}"))?;
    b.goto(&format!("{url_b}{page}"))?;
    // Two browsers (two profiles: two viewers), on one node or on two.
    let took = b.wait(
        "both viewers listed on page B",
        AT_ONCE * 5,
        TWO_VIEWERS,
        &[],
    )?;
    a.wait(
        "both viewers listed on page A",
        AT_ONCE * 5,
        TWO_VIEWERS,
        &[],
    )?;
    report.pass(&format!("{tag}: each page lists both viewers"), took);
    report.shot(b, &format!("{tag}-1-page-b-before"))?;

    let note = format!("Browser check {tag}");
    let note_arg = [json!(note)];
    a.js(
        "const f = document.getElementById('new-interaction');
         f.querySelector('[name=contact_id]').value = arguments[0];
         f.querySelector('[name=kind]').value = 'meeting';
         f.querySelector('[name=note]').value = arguments[1];
         f.querySelector('[data-party=\"new-' + arguments[2] + '\"]').checked = true;
         f.querySelector('button[type=submit]').click();
         return true;",
        &[json!(Sample::ADA), json!(note), json!(Sample::GRACE)],
    )?;
    let took = b.wait(
        "the new interaction on page B",
        AT_ONCE,
        FEED_HAS,
        &note_arg,
    )?;
    report.pass(&format!("{tag}: added in A, shown in B"), took);
    report.shot(b, &format!("{tag}-2-page-b-added"))?;
    a.wait(
        "the new interaction on page A",
        AT_ONCE,
        FEED_HAS,
        &note_arg,
    )?;

    a.js(
        "const li = [...document.querySelectorAll('#feed li')].find(l => l.dataset.note === arguments[0]);
         li.querySelector('details').open = true;
         li.querySelector('[data-party$=\"-' + arguments[1] + '\"]').checked = false;
         return true;",
        &[json!(note), json!(Sample::GRACE)],
    )?;
    report.shot(a, &format!("{tag}-3-page-a-editing"))?;
    a.js(
        "const li = [...document.querySelectorAll('#feed li')].find(l => l.dataset.note === arguments[0]);
         li.querySelector('form.edit-form button[type=submit]').click();
         return true;",
        &note_arg,
    )?;
    let took = b.wait("the entry to leave page B", AT_ONCE, FEED_LACKS, &note_arg)?;
    report.pass(
        &format!("{tag}: Grace removed in A, entry gone from B"),
        took,
    );
    a.wait("the entry to leave page A", AT_ONCE, FEED_LACKS, &note_arg)?;
    report.shot(b, &format!("{tag}-4-page-b-removed"))?;
    let received = b.js("return window.demo.received;", &[])?;
    if received.as_u64().unwrap_or(0) < 2 {
        return Err(format!(
            "page B's event counter shows {received}, expected at least 2"
        ));
    }
    Ok(())
}

/// The other pages, once each, with a screenshot: the lag indicator after a burst, the project,
/// team and catalogue pages after a change, and a background job's progress.
pub(crate) fn tour(report: &mut Report, a: &Browser, url: &str) -> Result<(), String> {
    a.goto(&format!("{url}contacts/{}", Sample::ADA))?;
    let started = Instant::now();
    a.js(
        "document.querySelector('button[data-post$=\"/burst\"]').click(); return true;",
        &[],
    )?;
    a.wait(
        "the reloaded-after-lag badge",
        Duration::from_secs(3),
        "return !document.getElementById('reloaded').hidden;",
        &[],
    )?;
    report.pass("burst: page reloaded after lag", started.elapsed());
    report.shot(a, "3-lag-reloaded")?;

    a.goto(&format!("{url}projects/{}", Sample::PROJECT))?;
    let took = click_and_wait(
        a,
        "#assignments li:nth-child(3) button.seg:nth-child(3)",
        "#assignments li:nth-child(3).status-done",
    )?;
    report.pass("project: a row refreshed", took);
    report.shot(a, "4-project")?;

    a.goto(&format!("{url}teams/{}", Sample::TEAM))?;
    let took = click_and_wait(
        a,
        "#live form button[type=submit]",
        "#members li:nth-child(4)",
    )?;
    report.pass("team: member list reloaded", took);
    report.shot(a, "5-team")?;

    a.goto(&format!("{url}catalogue"))?;
    let took = click_and_wait(
        a,
        "#items tr:nth-child(2) button:nth-child(1)",
        "#items tr.flash",
    )?;
    report.pass("catalogue: a row refreshed", took);
    report.shot(a, "6-catalogue")?;

    let started = start_a_job(
        a,
        url,
        "the job page with progress",
        "parseFloat(f.style.width) >= 20 && parseFloat(f.style.width) < 90",
    )?;
    report.shot(a, "7-job-running")?;
    a.wait(
        "the completed job",
        Duration::from_secs(8),
        "return document.querySelector('#live .tag-completed') !== null;",
        &[],
    )?;
    report.pass(
        "job: followed its process, reloaded on completion",
        started.elapsed(),
    );
    report.shot(a, "8-job-completed")?;

    a.goto(url)?;
    report.shot(a, "0-home")?;
    Ok(())
}

/// Starts a job from the jobs list, whose page it opens, and waits (5 s at most) for that page
/// with its progress bar `f` where `progress` holds; when the job was started.
fn start_a_job(a: &Browser, url: &str, what: &str, progress: &str) -> Result<Instant, String> {
    a.goto(&format!("{url}jobs"))?;
    let started = Instant::now();
    a.js(
        "document.querySelector('button[data-follow]').click(); return true;",
        &[],
    )?;
    a.wait(
        what,
        Duration::from_secs(5),
        &format!(
            "const f = document.querySelector('#progress .fill'); return location.pathname.startsWith('/jobs/') && f !== null && {progress};"
        ),
        &[],
    )?;
    Ok(started)
}

/// A job's page follows it over WebSocket channels. Mid-job its connection is cut server-side
/// (`POST /api/cut`: every socket closed, new ones refused for 1.5 s, while the job goes on
/// publishing); the page reconnects by itself, rejoins from its last positions and shows every
/// step event published meanwhile, in order, once, without a reload.
pub(crate) fn cut_and_resume(report: &mut Report, a: &Browser, url: &str) -> Result<(), String> {
    start_a_job(
        a,
        url,
        "the job page's socket, with progress",
        "window.demo !== undefined && window.demo.socket === 'open' && parseFloat(f.style.width) >= 5",
    )?;
    let boot = a.js("return window.demo.boot;", &[])?;
    let started = Instant::now();
    a.js("document.getElementById('cut').click(); return true;", &[])?;
    a.wait(
        "the page to see its socket cut",
        Duration::from_secs(2),
        "return window.demo.cuts >= 1;",
        &[],
    )?;
    report.shot(a, "9-job-cut")?;
    a.wait(
        "the job to complete on the page after the reconnect",
        Duration::from_secs(12),
        "return window.demo !== undefined && window.demo.socket === 'open' && document.querySelector('#live .tag-completed') !== null;",
        &[],
    )?;
    report.shot(a, "10-job-resumed")?;
    let seen = a.js(
        "const d = window.demo; const topic = Object.keys(d.offsets).find(t => t.startsWith('jobs:process:'));
         return { boot: d.boot, reloads: d.reloads, skipped: d.skipped, cuts: d.cuts, offsets: topic ? d.offsets[topic] : [] };",
        &[],
    )?;
    if seen["boot"] != boot {
        return Err("the page was reloaded".to_owned());
    }
    if seen["reloads"] != json!(0) || seen["skipped"] != json!(0) {
        return Err(format!(
            "the page reloaded its state or skipped events: {seen}"
        ));
    }
    let offsets: Vec<u64> = seen["offsets"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default();
    // 4 steps of 22 events each (started, 20 progress, completed) on the process's topic.
    let contiguous = offsets.windows(2).all(|w| w[1] == w[0] + 1);
    if offsets.last() != Some(&88) || !contiguous || offsets.len() < 40 {
        return Err(format!(
            "the process's events on the page are not every one, in order, once: {offsets:?}"
        ));
    }
    report.pass(
        &format!(
            "job over WebSocket: cut mid-job, reconnected, all {} step events since its join shown, no reload",
            offsets.len()
        ),
        started.elapsed(),
    );
    Ok(())
}

/// The activity page follows every resource's jobs over a resumable SSE stream (the JS
/// client's `LiveSource`). Its stream is cut server-side and two jobs start while it is down;
/// the page reopens the stream with its resume token and lists each job's start (replayed from
/// the history) and completion (live), once each, without a reload.
pub(crate) fn sse_resume(report: &mut Report, a: &Browser, url: &str) -> Result<(), String> {
    a.goto(&format!("{url}activity"))?;
    a.wait(
        "the activity stream",
        Duration::from_secs(5),
        "return window.demo.opens >= 1;",
        &[],
    )?;
    let boot = a.js("return window.demo.boot;", &[])?;
    let started = Instant::now();
    // The cut, then two jobs while the stream is down.
    let jobs = a.js_async(
        "const done = arguments[arguments.length - 1];
         const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(r => r.json());
         (async () => {
           await post('/api/cut', { ms: 1500 });
           await new Promise(r => setTimeout(r, 200));
           const first = await post('/api/jobs', { resource_id: arguments[0] });
           const second = await post('/api/jobs', { resource_id: arguments[1] });
           done([first.id, second.id]);
         })();",
        &[json!(Sample::RESOURCES[0].0), json!(Sample::RESOURCES[1].0)],
    )?;
    a.wait(
        "both jobs' start and completion on the page after the reconnect",
        Duration::from_secs(12),
        "const e = window.demo.events; return window.demo.opens >= 2 && arguments[0].every(id => e.includes('workflow_started ' + id) && e.includes('workflow_completed ' + id));",
        &[jobs.clone()],
    )?;
    report.shot(a, "11-activity-resumed")?;
    let seen = a.js(
        "const d = window.demo; return { boot: d.boot, reloads: d.reloads, skipped: d.skipped, opens: d.opens, events: d.events.filter(e => arguments[0].some(id => e.endsWith(id))) };",
        &[jobs.clone()],
    )?;
    if seen["boot"] != boot {
        return Err("the activity page was reloaded".to_owned());
    }
    if seen["reloads"] != json!(0) || seen["skipped"] != json!(0) {
        return Err(format!(
            "the activity page reloaded or skipped events: {seen}"
        ));
    }
    let events = seen["events"].as_array().map_or(0, Vec::len);
    if events != 4 {
        return Err(format!(
            "expected each job's start and completion once: {seen}"
        ));
    }
    report.pass(
        "activity over SSE: cut, two jobs started meanwhile, reopened with its token, every event once, no reload",
        started.elapsed(),
    );
    Ok(())
}

fn click_and_wait(browser: &Browser, click: &str, then: &str) -> Result<Duration, String> {
    browser.js(
        "const el = document.querySelector(arguments[0]); if (!el) return false; el.click(); return true;",
        &[json!(click)],
    )?;
    browser.wait(
        &format!("`{then}`"),
        AT_ONCE,
        "return document.querySelector(arguments[0]) !== null;",
        &[json!(then)],
    )
}
