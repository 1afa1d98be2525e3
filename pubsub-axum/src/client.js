// pubsub-axum's browser client: one ES module, no build step, no dependency.
//
//   import { Socket, LiveSource } from "/pubsub/client.js";
//
//   // WebSocket channels: one connection, many topics.
//   const socket = new Socket("/socket");
//   const doc = socket.join("docs:doc:1", {
//     onEvent(event, payload, position) { ... },   // every application event, in order
//     onReload(reason) { ... },                     // messages may be missing: reload the state
//     onError(reason) { ... },                      // the join was refused ("unauthorized")
//     presence: true,                               // also follow who is on the topic:
//     onPresence(presences, diff) { ... },          // { key: [{ id, meta }] }, after each change
//   });
//   socket.connect();
//   doc.leave();
//
//   // Server-Sent Events: the same, read-only, over one EventSource.
//   const live = new LiveSource("/live/docs", { onReload(reason) { ... } });
//   live.on("doc_saved", (payload) => { ... });
//
// Both reconnect by themselves, with backoff and jitter, and resume from the last position
// they received: nothing published meanwhile is missed while the server's history covers the
// gap; when it cannot, `onReload` is called (and the stream goes on live).

const BACKOFF_MS = [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000];
// A connection that lasted this long starts the backoff again from the first step; one that
// closes sooner (a server that accepts, then drops) keeps climbing it.
const STABLE_MS = 5000;

function backoff(tries) {
  const base = BACKOFF_MS[Math.min(tries, BACKOFF_MS.length - 1)];
  return base / 2 + Math.random() * base; // jitter: 50 % to 150 %
}

// Applies a `$presence_diff` payload ({ joins, leaves }, each { key: { metas } }) to
// `presences` ({ key: [{ id, meta }] }): leaves first (by id), then joins (an update is a leave
// and a join of one id).
export function applyPresenceDiff(presences, diff) {
  for (const [key, { metas }] of Object.entries((diff && diff.leaves) || {})) {
    const gone = new Set(metas.map((meta) => meta.id));
    const kept = (presences[key] || []).filter((meta) => !gone.has(meta.id));
    if (kept.length) presences[key] = kept;
    else delete presences[key];
  }
  for (const [key, { metas }] of Object.entries((diff && diff.joins) || {})) {
    const fresh = new Set(metas.map((meta) => meta.id));
    presences[key] = (presences[key] || []).filter((meta) => !fresh.has(meta.id)).concat(metas);
  }
  return presences;
}

function presenceState(payload) {
  const presences = {};
  for (const [key, { metas }] of Object.entries(payload || {})) presences[key] = metas;
  return presences;
}

function socketUrl(path) {
  const url = new URL(path, window.location.href);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  return url.toString();
}

/** One channel: a topic joined over a `Socket`. */
export class Channel {
  constructor(socket, topic, options) {
    this.socket = socket;
    this.topic = topic;
    this.options = options;
    this.position = options.since || null; // the last position received: where to rejoin from
    this.state = "closed"; // closed | joining | joined | refused | left
    this.joinRef = null;
    this.presences = {}; // with `presence: true`: { key: [{ id, meta }] }, replaced on each rejoin
  }

  _join() {
    if (this.state === "left") return;
    this.state = "joining";
    const params = typeof this.options.params === "function" ? this.options.params() : this.options.params;
    const payload = { params: params || {} };
    if (this.position) payload.since = this.position;
    if (this.options.presence) payload.presence = true;
    const sentSince = Boolean(this.position);
    this.joinRef = this.socket._push(this.topic, "$join", payload, (reply) => {
      if (this.state !== "joining") return;
      if (reply.status !== "ok") {
        this.state = "refused";
        this._call("onError", reply.response && reply.response.reason);
        return;
      }
      const response = reply.response || {};
      this.state = "joined";
      if (!response.recovered || !this.position) this.position = response.position || null;
      this._call("onJoin", response);
      if (sentSince && !response.recovered) this._call("onReload", response.reason || "unrecoverable");
    });
  }

  _receive(frame) {
    if (frame.join_ref !== this.joinRef || this.state !== "joined") return;
    if (frame.event === "$reload") {
      this._call("onReload", frame.payload && frame.payload.reason);
      return;
    }
    if (frame.event === "$presence_state") {
      this.presences = presenceState(frame.payload);
      this._call("onPresence", this.presences, null);
      return;
    }
    if (frame.event === "$presence_diff") {
      applyPresenceDiff(this.presences, frame.payload);
      this._call("onPresence", this.presences, frame.payload);
      return;
    }
    if (frame.position) this.position = frame.position;
    this._call("onEvent", frame.event, frame.payload, frame.position || null);
  }

  _call(name, ...args) {
    const callback = this.options[name];
    if (typeof callback !== "function") return;
    try {
      callback(...args);
    } catch (error) {
      console.error(`pubsub: ${name} for ${this.topic} threw`, error);
    }
  }

  /** Stops receiving this topic. */
  leave() {
    if (this.state === "joined" || this.state === "joining") this.socket._push(this.topic, "$leave", {});
    this.state = "left";
    this.socket.channels.delete(this.topic);
  }
}

/** A WebSocket connection that holds any number of channels. */
export class Socket {
  constructor(path, options = {}) {
    this.url = socketUrl(path);
    this.options = options;
    this.heartbeatMs = options.heartbeatMs || 25000;
    this.channels = new Map();
    this.replies = new Map();
    this.ref = 0;
    this.tries = 0;
    this.ws = null;
    this.openedAt = null;
    this.wanted = false;
    this.timer = null;
    this.heartbeat = null;
    this.pendingHeartbeat = null;
  }

  /** Opens the connection (and keeps it open until `disconnect`). */
  connect() {
    this.wanted = true;
    if (this.ws) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.openedAt = Date.now();
      this._call("onOpen");
      for (const channel of this.channels.values()) channel._join();
      this.heartbeat = setInterval(() => this._beat(), this.heartbeatMs);
    };
    ws.onmessage = (message) => this._receive(message.data);
    ws.onclose = (event) => this._closed(ws, event);
    ws.onerror = () => {}; // onclose follows
  }

  /** Closes the connection for good. */
  disconnect() {
    this.wanted = false;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "bye");
  }

  /** Joins `topic`; see the module's comment for the callbacks. */
  join(topic, options = {}) {
    const existing = this.channels.get(topic);
    if (existing) return existing;
    const channel = new Channel(this, topic, options);
    this.channels.set(topic, channel);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) channel._join();
    return channel;
  }

  _push(topic, event, payload, onReply) {
    this.ref += 1;
    const ref = String(this.ref);
    // Sent only on an open socket (a channel joins again when the socket opens); a reply is
    // awaited only for what was sent.
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      if (onReply) this.replies.set(ref, onReply);
      this.ws.send(JSON.stringify({ ref, topic, event, payload }));
    }
    return ref;
  }

  _beat() {
    if (this.pendingHeartbeat) {
      // The last one was never answered: the connection is dead even if the browser says not.
      // Reconnect now; the browser's own close event, whenever it comes, is then ignored.
      const ws = this.ws;
      this._closed(ws, { code: 4002, reason: "heartbeat timeout" });
      ws.close(4002, "heartbeat timeout");
      return;
    }
    this.pendingHeartbeat = this._push(null, "$heartbeat", {}, () => {
      this.pendingHeartbeat = null;
    });
  }

  _receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (error) {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (frame.event === "$reply") {
      const onReply = this.replies.get(frame.ref);
      this.replies.delete(frame.ref);
      if (onReply) onReply(frame.payload || {});
      return;
    }
    if (frame.event === "$error") {
      console.warn("pubsub: the server refused a frame:", frame.payload && frame.payload.reason);
      return;
    }
    const channel = this.channels.get(frame.topic);
    if (channel) channel._receive(frame);
  }

  _closed(ws, event) {
    if (this.ws !== ws) return;
    this.ws = null;
    clearInterval(this.heartbeat);
    this.pendingHeartbeat = null;
    this.replies.clear();
    for (const channel of this.channels.values()) {
      if (channel.state === "joined" || channel.state === "joining") channel.state = "closed";
    }
    this._call("onClose", event);
    if (!this.wanted) return;
    if (this.openedAt && Date.now() - this.openedAt > STABLE_MS) this.tries = 0;
    this.openedAt = null;
    const delay = backoff(this.tries);
    this.tries += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  _call(name, ...args) {
    const callback = this.options[name];
    if (typeof callback === "function") callback(...args);
  }
}

/**
 * An EventSource that resumes: the events of the server's `Sse` stream at `path`, with
 * `on(name, callback)` per event name, `onReload(reason)`, `onOpen()`.
 */
export class LiveSource {
  constructor(path, options = {}) {
    this.path = path;
    this.options = options;
    this.token = options.since || null; // the stream's resume token (its last event id)
    this.handlers = new Map();
    this.tries = 0;
    this.source = null;
    this.openedAt = null;
    this.timer = null;
    this.closed = false;
    this._open();
  }

  /** Calls `callback(payload, position)` for every `name` event. */
  on(name, callback) {
    if (!this.handlers.has(name)) {
      this.handlers.set(name, []);
      if (this.source) this._listen(this.source, name);
    }
    this.handlers.get(name).push(callback);
    return this;
  }

  /** Closes the stream for good. */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.source) this.source.close();
  }

  _open() {
    const url = new URL(this.path, window.location.href);
    if (this.token) url.searchParams.set("since", this.token);
    const source = new EventSource(url.toString());
    this.source = source;
    source.addEventListener("$open", (event) => {
      this.openedAt = Date.now();
      this._track(event);
      this._call("onOpen");
    });
    source.addEventListener("$reload", (event) => {
      let reason = null;
      try {
        reason = JSON.parse(event.data).reason;
      } catch (error) {
        // keep null
      }
      this._call("onReload", reason);
    });
    for (const name of this.handlers.keys()) this._listen(source, name);
    source.onerror = () => {
      // Reconnect ourselves, with backoff and jitter and the last token, rather than at the
      // browser's fixed pace (or never, after an HTTP error).
      source.close();
      if (this.source !== source || this.closed) return;
      if (this.openedAt && Date.now() - this.openedAt > STABLE_MS) this.tries = 0;
      this.openedAt = null;
      const delay = backoff(this.tries);
      this.tries += 1;
      this.timer = setTimeout(() => this._open(), delay);
    };
  }

  _listen(source, name) {
    source.addEventListener(name, (event) => {
      if (this.source !== source) return;
      this._track(event);
      let payload;
      try {
        payload = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      for (const callback of this.handlers.get(name) || []) {
        try {
          callback(payload, event.lastEventId || null);
        } catch (error) {
          console.error(`pubsub: handler for ${name} threw`, error);
        }
      }
    });
  }

  _track(event) {
    if (event.lastEventId) this.token = event.lastEventId;
  }

  _call(name, ...args) {
    const callback = this.options[name];
    if (typeof callback === "function") callback(...args);
  }
}
