// The activity page on pubsub-axum's LiveSource: every job event of every resource, listed as
// it comes. The stream's id is a resume token; after a dropped stream LiveSource reopens it
// with `?since=<token>` and the history fills the gap, so the list misses nothing.
import { LiveSource } from "/pubsub/client.js";

const $ = (id) => document.getElementById(id);
const log = $("log");
const demo = window.demo;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAMES = ["workflow_started", "process_created", "step_started", "step_progress", "step_completed", "workflow_completed"];
// What the browser test reads.
Object.assign(demo, { opens: 0, reloads: 0, skipped: 0, events: [] });

const conn = $("conn");
const source = new LiveSource(log.dataset.sse, {
  onOpen() {
    demo.opens += 1;
    conn.textContent = "live · SSE";
    conn.className = "pill live";
  },
  onReload(reason) {
    demo.reloads += 1;
    const badge = $("reloaded");
    badge.textContent = "reloaded after " + (reason || "a gap");
    badge.hidden = false;
  },
});

for (const name of NAMES) {
  source.on(name, (body) => {
    const workflow = body && body.payload && body.payload.workflow_uuid;
    if (typeof workflow !== "string" || !UUID.test(workflow)) {
      demo.skipped += 1;
      return;
    }
    demo.events.push(name + " " + workflow);
    demo.received += 1;
    $("received").textContent = demo.received;
    const li = document.createElement("li");
    li.className = "row";
    li.dataset.event = name;
    li.dataset.workflow = workflow;
    li.textContent = `${name} · job ${workflow}`; // text, never HTML: events come from the wire
    log.prepend(li);
    while (log.children.length > 200) log.lastChild.remove();
  });
}

// EventSource reports a failed connection only as an `error`: show it on the pill.
setInterval(() => {
  if (source.source && source.source.readyState !== EventSource.OPEN) {
    conn.textContent = "reconnecting…";
    conn.className = "pill";
  }
}, 200);

$("cut").addEventListener("click", () =>
  fetch("/api/cut", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ms: 1500 }) }),
);
window.addEventListener("pagehide", () => source.close());
