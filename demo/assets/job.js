// A job's page over WebSocket channels (pubsub-axum's client): join the workflow, then the
// process; draw every step event; after a cut connection the client rejoins from the last
// positions and the missed events arrive in order. Events come from the wire: anything out of
// range is counted and ignored, never trusted.
import { Socket } from "/pubsub/client.js";

const $ = (id) => document.getElementById(id);
const root = $("job");
const demo = window.demo;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const total = Math.min(Math.max(parseInt(root.dataset.total, 10) || 1, 1), 64);
const job = root.dataset.job;
// What the browser test reads: socket closes seen, reloads asked, skipped events, and the
// offsets of every event received per topic (contiguous when nothing was missed).
Object.assign(demo, { cuts: 0, reloads: 0, skipped: 0, offsets: {}, socket: "connecting" });

const conn = $("conn");
const socket = new Socket(root.dataset.socket, {
  onOpen() {
    demo.socket = "open";
    conn.textContent = "live · WebSocket";
    conn.className = "pill live";
  },
  onClose() {
    demo.cuts += 1;
    demo.socket = "closed";
    conn.textContent = "reconnecting…";
    conn.className = "pill";
  },
});

function counted(topic, position) {
  demo.received += 1;
  $("received").textContent = demo.received;
  const offset = position ? parseInt(position.split(".")[0], 10) : NaN;
  if (Number.isFinite(offset)) (demo.offsets[topic] = demo.offsets[topic] || []).push(offset);
}

function refreshed() {
  demo.refreshes += 1;
  $("refreshes").textContent = demo.refreshes;
}

function reloaded(reason) {
  demo.reloads += 1;
  const badge = $("reloaded");
  badge.textContent = "reloaded after " + (reason || "a gap");
  badge.hidden = false;
  load();
}

let process = null;

// The job as saved (subscribe first, then load: nothing falls between the two).
async function load() {
  const response = await fetch("/fragments/jobs/" + job);
  if (!response.ok) return;
  const fragment = await response.json();
  if (typeof fragment.html === "string") $("live").innerHTML = fragment.html;
  refreshed();
  if (typeof fragment.process === "string") follow(fragment.process);
}

function follow(id) {
  if (process || !UUID.test(id)) return;
  process = id;
  const topic = "jobs:process:" + id;
  socket.join(topic, {
    onEvent(event, body, position) {
      counted(topic, position);
      const step = body && body.payload;
      if (["step_started", "step_progress", "step_completed"].includes(event) && step) draw(step.step, step.percent);
    },
    onReload: reloaded,
  });
}

// The progress block after a step event: the same drawing as the server's.
function draw(step, percent) {
  if (!Number.isInteger(step) || step < 1 || step > total || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    demo.skipped += 1;
    return;
  }
  const block = $("progress");
  if (!block) return;
  const done = percent === 100 ? step : step - 1;
  const overall = Math.min(100, Math.floor(((step - 1) * 100 + percent) / total));
  block.querySelector(".fill").style.width = overall + "%";
  block.querySelector("p").textContent = `${overall}% · step ${step} of ${total}`;
  block.querySelectorAll("ol.steps li").forEach((li, index) => {
    const n = index + 1;
    const note = li.querySelector("span");
    li.className = n <= done ? "done" : n === step ? "current" : "";
    if (note) note.textContent = n <= done ? "done" : n === step ? `${percent}%` : "";
  });
  refreshed();
}

const workflow = "jobs:workflow:" + job;
socket.join(workflow, {
  onJoin: () => load(),
  onEvent(event, body, position) {
    counted(workflow, position);
    const payload = body && body.payload;
    if (event === "process_created" && payload) follow(payload.process_uuid);
    if (event === "workflow_completed") load();
  },
  onReload: reloaded,
});
if (root.dataset.process) follow(root.dataset.process);
socket.connect();

$("cut").addEventListener("click", () =>
  fetch("/api/cut", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ms: 1500 }) }),
);
window.addEventListener("pagehide", () => socket.disconnect());
