// "Also viewing": the page joins its viewers topic over a WebSocket (pubsub-axum's client) with
// presence, and lists who is there, live, whatever node served them. This browser is one key
// (its tabs are metas of it); the name is kept in localStorage and can be changed.
import { Socket } from "/pubsub/client.js";

const root = document.getElementById("viewers");
const list = document.getElementById("viewer-list");
const demo = window.demo || (window.demo = {});

function stored(key, make) {
  let value = localStorage.getItem(key);
  if (!value) {
    value = make();
    localStorage.setItem(key, value);
  }
  return value;
}

// crypto.randomUUID exists only in secure contexts (https, localhost): elsewhere, random text.
const viewer = stored("demo.viewer", () =>
  crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`,
);
const name = stored("demo.name", () => `Guest ${Math.floor(100 + Math.random() * 900)}`);
demo.viewers = []; // what the browser test reads: the names shown

function render(presences) {
  const names = [];
  for (const [key, metas] of Object.entries(presences)) {
    const meta = metas[0] && metas[0].meta;
    const shown = meta && typeof meta.name === "string" ? meta.name.slice(0, 40) : "someone";
    const tabs = metas.length > 1 ? ` (${metas.length} tabs)` : "";
    names.push({ text: shown + tabs + (key === viewer ? " · you" : ""), name: shown });
  }
  names.sort((a, b) => a.text.localeCompare(b.text));
  list.replaceChildren(
    ...names.map(({ text }) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
  demo.viewers = names.map(({ name }) => name);
}

const socket = new Socket("/socket");
socket.join(root.dataset.topic, {
  presence: true,
  params: { viewer, name },
  onPresence: render,
  onError(reason) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: `unavailable: ${reason}` }));
  },
});
socket.connect();
