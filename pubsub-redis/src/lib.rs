//! The `pubsub-core` [`Broker`](pubsub_core::Broker) across many nodes, on Redis pub/sub: a
//! change made on node A refreshes the screens served by node B.
//!
//! [`RedisBroker`] implements the same trait as the in-memory
//! [`MemoryBroker`](pubsub_core::MemoryBroker), so an application swaps backends in one line:
//!
//! ```no_run
//! use std::sync::Arc;
//! use pubsub_core::Broker;
//! use pubsub_redis::{RedisBroker, RedisConfig};
//! # #[tokio::main] async fn main() -> Result<(), pubsub_redis::Error> {
//! // let broker: Arc<dyn Broker> = Arc::new(pubsub_core::MemoryBroker::new());
//! let broker: Arc<dyn Broker> =
//!     Arc::new(RedisBroker::connect(RedisConfig::new("redis://127.0.0.1:6379/")).await?);
//! # let _ = broker; Ok(()) }
//! ```
//!
//! Local subscribers are served by the core's in-memory registry (one per node), so they get the
//! publisher's event value itself, never a copy or a serialisation; the network carries one
//! JSON envelope per message per node, never one per subscriber. The delivery rules of the core
//! hold across nodes (the core's conformance suite runs against two nodes on one server, in both
//! single-server channel modes, and on a six-node Redis Cluster in cluster mode): a subscription is effective when `subscribe` returns, at most once, in order
//! per publisher and topic, bounded buffers with exact lag counts, and `publish_from` skips the
//! publishing subscription.
//!
//! # Channel modes
//!
//! [`ChannelMode::Namespace`] (the default) publishes every message on one channel named after
//! the namespace (`pubsub`); every node receives everything and filters locally. `subscribe`
//! needs no round trip. Use it while most nodes want most topics: a few nodes behind a load
//! balancer. Its cost: every node reads every message, including its own (skipped after a
//! prefix compare).
//!
//! [`ChannelMode::PerTopic`] publishes on one channel per topic (`pubsub:projects:all`); a node
//! SUBSCRIBEs a topic's channel while it has at least one local subscriber to it (reference
//! counted by the core's `TopicObserver`) and UNSUBSCRIBEs when the last one leaves. `subscribe`
//! returns only after Redis confirmed the channel, so a publish on any node that starts after it
//! returns is delivered. Use it for sparse interest across many nodes (per-record topics);
//! Redis holds about 200 bytes per (node, subscribed topic). Subscribing and unsubscribing one
//! topic costs the same whatever the number of topics a node holds (about 190 µs with 1,000 or
//! 1,000,000, a round trip to Redis included). `PUBSUB CHANNELS pubsub:*` shows what the nodes
//! hold. Every node of one namespace must use the same mode.
//!
//! [`ChannelMode::Cluster`] (a Redis Cluster, Redis 7 or later; [`RedisConfig::cluster`] with
//! the seed nodes) publishes on one *sharded* channel per topic, `<namespace>:c{:<topic>}`,
//! with `SPUBLISH`, which Redis delivers on the shard that owns the channel's hash slot only; a
//! node `SSUBSCRIBE`s a topic's channel on that shard while it has local subscribers, reference
//! counted and confirmed before `subscribe` returns, as in per-topic mode. The hash tag
//! `{:<topic>}` is the one of the topic's history keys (see "History and recovery"), so a
//! topic's channel, stream and meta hash live on one shard and the history script runs there.
//! `PUBSUB SHARDCHANNELS pubsub:*` on a primary shows what the nodes hold there. The
//! namespace must not contain `{` or `}`.
//!
//! Which to pick:
//!
//! | mode | pick it when | costs |
//! |---|---|---|
//! | `Namespace` | one Redis; most nodes want most topics (a few nodes behind a load balancer) | every node reads every message; no round trip to subscribe |
//! | `PerTopic` | one Redis; sparse interest across many nodes (per-record topics) | a round trip per first subscriber and last unsubscriber of a topic on a node; ~200 bytes in Redis per (node, topic) |
//! | `Cluster` | more messages than one Redis carries (a few hundred thousand a second) | as `PerTopic`, on the topic's shard; each message costs only its own shard |
//!
//! Plain `PUBLISH` on a Redis Cluster is copied to every node of the cluster, so it gets slower
//! as shards are added; `SPUBLISH` costs one shard, so throughput grows with the shards
//! (measuring that on this machine is left to the bench, issue 15).
//!
//! On a cluster, the `redis` crate's cluster connection routes each `SPUBLISH` (by the slot
//! this crate names, from the channel, so the client neither parses nor copies the command
//! per message) and each `SSUBSCRIBE` (one per slot: Redis takes one slot's channels per
//! command) to the shard that owns the slot, follows a `MOVED` redirect, and reconnects a
//! lost shard's connection by itself. What this crate adds:
//! **a failover is followed**: once per [`RedisConfig::ping_interval`] the subscriber side
//! reads the cluster's slots (`CLUSTER SLOTS`, one node); the subscribed topics whose slot now
//! has another primary are subscribed again, on it, and only their subscribers get
//! [`Delivery::Gap`](pubsub_core::Delivery::Gap) (what was published while the shard was away
//! did not arrive); the other shards' topics are left alone. Measured here
//! (`tests/it/cluster/failover.rs`, `cluster-node-timeout` 1 s, 13 runs): a primary killed
//! during a steady stream, its slots moved to the replica 2.0-2.7 s after the kill (the
//! cluster's own failover), its topics live again 2.1-3.2 s after it, a notice for its topics
//! only, and every publish that succeeded on the other shards delivered once, in order. When
//! the client re-subscribes channels by itself (after it refreshed its slot map), the topics
//! keep their sequence marks, so a message lost meanwhile shows as a hole at the topic's next
//! message from its sender: a notice for that topic only.
//!
//! **A shard's subscriber connection lost without a failover** (killed with `CLIENT KILL`, a
//! network cut, the node restarted) is followed too. The client reconnects it by itself but
//! (redis 1.8.1) subscribes its channels again with one `SSUBSCRIBE` for all of them, which
//! Redis refuses (`CROSSSLOT`) once they lie in more than one slot, so the shard's topics would
//! go silent. So once per ping interval, and at once on the client's `Disconnection` push,
//! the subscriber side asks each primary for the `ssub` count of the client's connection to it
//! (`CLIENT INFO`, one small command per primary; an answer from another node is not taken); a
//! primary whose connection holds fewer sharded channels than this node has topics there (by
//! the slots; counted while none of this node's own subscribes or unsubscribes is under way)
//! gets them all subscribed again, since the count does not say which were lost, and only
//! their subscribers get a notice (`RedisStats::lost_shard_topics`;
//! `tests/it/cluster/shard_lost.rs` kills one primary's subscriber connection during a steady
//! stream, and takes one slot from a primary and gives it back in one transaction, which drops
//! that slot's channels only: back within 25-110 ms here, 6 runs, with a 200 ms ping
//! interval).
//!
//! **A slot migration** (resharding: `CLUSTER SETSLOT .. IMPORTING/MIGRATING`, `MIGRATE` of the
//! slot's keys, history included, `CLUSTER SETSLOT .. NODE`) is followed like a failover: Redis
//! unsubscribes the slot's channels on the old owner (an `sunsubscribe` push, after which the
//! client does not subscribe them again). This node tells that push from the answers to its
//! own `SUNSUBSCRIBE`s (it counts the ones it asked for) and reads the slots at once, again
//! after 25, 50, 100 ms .. while the node it asked has not heard of the move (up to one ping
//! interval; then the regular look and the shard check above take over); the moved topics
//! are subscribed on the new owner with a notice for them only
//! (`tests/it/cluster/reshard.rs`: one slot of a topic with history moved during a steady
//! stream, its publishes keep their history on the new owner; and with a 60 s ping interval a
//! moved topic without history was silent for 12-31 ms, 8 runs).
//!
//! **Topics with history are recovered** after a slot migration or a lost shard connection
//! instead of getting a notice: from the moment they are subscribed again their live messages
//! are held back, the messages after the node's latest position are read from the topic's
//! stream on its (new) shard and delivered, then what was held, as after a reconnect (see
//! "History and recovery"); only what cannot be recovered gets a notice (a trimmed stream).
//! Both tests above check it: every successful publish of such a topic arrives once, in order,
//! without a notice. After a failover they get a notice like the others: the promoted replica
//! (told from the old `CLUSTER SLOTS`) may lack the last entries the old primary delivered
//! (replication is asynchronous) while new messages take their offsets, so its history cannot
//! be trusted to continue what this node delivered (`tests/it/cluster/failover.rs` checks the
//! notice).
//!
//! Also not yet: the shard check compares counts, so a connection that lost one channel while
//! it holds one this node does not count (a subscribe of this node's that timed out but
//! reached Redis late) is not noticed while the counts agree. A cluster whose nodes announce
//! addresses this node cannot reach (NAT, containers, hostnames of another network) is reached
//! through [`RedisConfig::cluster_addresses`] (announced `host:port` to the one to connect
//! to); the shard check tells the primary that answered by its node id, so it acts there too
//! (`tests/it/cluster/translated.rs`). A
//! shard connection cut on the network (half-open: no reset, nothing acknowledged) is dropped by
//! the kernel (Linux): the subscriber's cluster connections have TCP keepalive and
//! `TCP_USER_TIMEOUT` (the publisher's keepalive only: a Redis that stops reading can close the
//! window on a publisher's in-flight envelopes, which is slow, not cut), within about
//! `ping_interval + 3 x ping_timeout` (4 s by default); the client reconnects that shard, and
//! the shard check subscribes its topics again, as after a kill (`tests/it/cluster/half_open.rs`
//! cuts one connection with `iptables`: resumed 1.40-1.49 s after the cut, 3 runs, with the tests' 200 ms /
//! 300 ms). A shard whose process stops answering while its kernel still acknowledges (frozen,
//! overloaded) is not taken for a cut one (the single-server `PING` health check would replace
//! the whole connection, which on a cluster would disturb every shard). A publish that fails on one shard
//! replaces the publisher's cluster connections. The publisher has one cluster connection per
//! primary, and each primary's topics go out on its own: a shard that stops answering holds
//! back only its own topics' publishes. Each admits at most 40 unanswered envelopes (the
//! client's queue to each node holds 50, and its routing task, loaded past that, writes
//! requests out of order), so numbering still follows the wire order; a reordering (a retried
//! redirect, a slot moving to another primary) would show as a hole, never as a duplicate or
//! an out-of-order delivery.
//!
//! # Wire format
//!
//! One JSON object per message, readable with `redis-cli SUBSCRIBE pubsub`:
//!
//! ```json
//! {"v":1,"node":"7f1c0c52-5d5e-4b8e-9a51-2b8f0e6c1d10","seq":42,
//!  "topic":"projects:project:0b6e…","domain":"projects","from":17,
//!  "event":"project_updated","payload":{"uuid":"0b6e…","name":"Roof"}}
//! ```
//!
//! | field | meaning |
//! |---|---|
//! | `v` | format version, [`ENVELOPE_VERSION`] (1); other versions are refused |
//! | `topic` | the topic; must pass [`Topic`](pubsub_core::Topic) validation (and, per-topic and cluster mode, match the channel) |
//! | `domain`, `event` | the event's domain tag and wire name |
//! | `payload` | the event's payload (optional: unit events have none) |
//! | `node` | the sending node's id: a UUID in its hyphenated form (36 characters, any case), made per [`RedisBroker`]; optional for foreign publishers |
//! | `seq` | the sender's sequence number on this topic (see below); optional for foreign publishers |
//! | `from` | optional: the subscription that published it (`publish_from`); ids are per process, so other nodes ignore it |
//! | `offset`, `epoch` | topics with history only: the message's [`Position`](pubsub_core::history::Position), the offset a positive integer and the epoch 16 hex digits (`"epoch":"9f3c…"`); both or neither. Such envelopes carry no `seq` (see "History and recovery") |
//!
//! `event` and `payload` are the event's own serde JSON (`{"event":..,"payload":..}`, serde's
//! adjacently tagged enums, as the core's [`Event`](pubsub_core::Event) docs ask), spliced in
//! without re-serialising. So any client can publish:
//!
//! ```text
//! redis-cli PUBLISH pubsub '{"v":1,"topic":"staff:teams","domain":"staff","event":"team_updated","payload":{"uuid":"…"}}'
//! ```
//!
//! Both additions are optional fields of format 1: a node that predates them ignores them
//! (and delivers the message without a position), so the format version stays 1.
//!
//! # Bad input
//!
//! What Redis delivers is not trusted: anyone who can write to the server can write to the
//! channel. A message that is not JSON, not an envelope, of another version, larger than
//! [`RedisConfig::max_message_bytes`], whose topic fails validation, or whose `node` is not a
//! UUID is counted in [`RedisStats`] and skipped; a `tracing` warning says so at most once a
//! second (with the number of similar lines held back), so a flood cannot fill the logs. A valid
//! envelope whose event a typed subscriber cannot decode (unknown domain or event, wrong
//! payload shape) is skipped by that subscriber and counted in the core's `decode_errors`.
//! Nothing stops the node or any subscriber, and bad input costs the node its decoding, no
//! more: 100,000 forged messages of eight kinds, against 10,000 local subscriptions, leave real
//! deliveries on time and in order, without a reconnect (`tests/it/hostile.rs`).
//!
//! # Sequence numbers and gap notices
//!
//! A node numbers what it sends per topic (a *stream*), in wire order, and only envelopes it
//! actually writes to Redis: a publish whose caller gave up (timed out or cancelled) before it
//! was written takes no number, and one that was numbered is written even if its caller gives
//! up while it waits for Redis's answer, so neither leaves a hole. A receiver remembers the last number per
//! (node, topic). When numbers were skipped (a message written but lost on the way, or a
//! connection that failed with envelopes in flight), that topic's subscribers get
//! [`Delivery::Gap`](pubsub_core::Delivery::Gap): reload. A number not greater than the last
//! one (a duplicate or a replay) is not delivered again, and is counted in
//! [`RedisStats::duplicates`]. The first number seen from a stream sets the baseline; `1`
//! starts a new stream. A sender forgets a topic stream idle for [`RedisConfig::sequence_idle`]
//! (its next number there is 1 again).
//!
//! Gap notices are sent by a task of their own, not by the connection's reader: the first
//! hole is reported at once, later ones at most once per [`RedisConfig::gap_interval`], each
//! topic's subscribers once per interval however many holes it had (and consecutive notices in
//! a subscription's queue merge into one). So a notice can arrive a little after the message
//! that revealed the hole, never before the hole. Holes are counted in
//! [`RedisStats::sequence_gaps`], rounds of notices in [`RedisStats::gap_rounds`], and logged
//! at most once per 10 s.
//!
//! A receiver's memory for other nodes' numbers is bounded: at most
//! [`RedisConfig::sequence_memory`] bytes (about 150 bytes plus the topic's length per
//! stream; default 8 MiB) and [`RedisConfig::sequence_nodes_per_topic`] senders per topic. When
//! full, the streams not seen for longest are forgotten ([`RedisStats::sequence_evictions`]);
//! a forgotten stream's next number sets a new baseline, so the price of a flood of made-up
//! senders is that a real hole right then may go unreported, never a false one.
//! [`RedisStats::sequence_streams`] and [`RedisStats::sequence_bytes`] show the state.
//!
//! # Faults
//!
//! - **Publishing while Redis is down** fails with an error, never hangs or panics, and the
//!   core's domain broadcasts stay best-effort (logged and counted). Local subscribers on the
//!   publishing node still get the message (on topics without history; with history, a
//!   publish that failed is delivered nowhere). The first publish to a frozen server waits for
//!   [`RedisConfig::publish_timeout`]; that timeout (or a failed reconnection) opens a circuit:
//!   publishes fail at once with [`Error::Unavailable`] while a background probe reconnects
//!   (every [`RedisConfig::reconnect_min_delay`], doubling up to
//!   [`RedisConfig::reconnect_max_delay`], default 20 ms to 50 ms); the probe that succeeds
//!   closes the circuit. Measured here: a four-topic broadcast to a frozen server fails after
//!   one timeout (500 ms in the tests) instead of two seconds; publishes resume 0.5-3.5 ms after
//!   the server is thawed, about 30 ms after a restart. On a cluster a timeout opens only the
//!   circuit of the shard that did not answer (its primary's publishing connection): publishes
//!   to the other shards go on, and a probe replaces that connection once the shard answers a
//!   `PING`.
//! - **A lost subscriber connection** (closed, killed with `CLIENT KILL`, or the server
//!   restarted) is noticed at once (the client's RESP3 `Disconnection` push); a **half-open**
//!   one by a periodic `PING` ([`RedisConfig::ping_interval`], [`RedisConfig::ping_timeout`]).
//!   A PING that is late while the reader is still handing over messages (its reply waits
//!   behind them) gets up to eight more timeouts ([`RedisStats::slow_pings`]): a busy
//!   connection is not replaced. The node reconnects (immediately, then with the same delays),
//!   resubscribes every channel it wants, and then gives every local subscriber a
//!   [`Delivery::Gap`](pubsub_core::Delivery::Gap): reload. Topics with history are recovered
//!   from Redis instead, with no notice (see "History and recovery"). A replaced connection's reader may
//!   still be handing over what it had read: from the moment the node lets go of it, those
//!   messages are dropped ([`RedisStats::replaced_connection`]), so nothing arrives twice or
//!   out of order. Measured here: a killed connection is back, with the notice sent, in about
//!   2 ms.
//! - Messages published while both nodes are connected are not lost: Redis delivers in order on
//!   one connection, and a subscriber connection that falls too far behind is disconnected by
//!   Redis, which is the case above.
//!
//! # History and recovery
//!
//! Topics under a [`RedisConfig::history`] policy (the core's
//! [`HistoryConfig`](pubsub_core::history::HistoryConfig): per prefix, at most `size` messages
//! kept for `max_age`) keep their recent messages in Redis, give every message a
//! [`Position`](pubsub_core::history::Position) (offset and epoch), and let a subscriber come
//! back from the last position it saw with
//! [`subscribe_from`](pubsub_core::Broker::subscribe_from) /
//! [`add_topic_from`](pubsub_core::Broker::add_topic_from). Without history configured (the
//! default) nothing below happens: the wire, the commands and their cost are those of a broker
//! without history.
//!
//! **Keys.** Per topic, a stream `<namespace>:h{:<topic>}:s` (the envelopes, entry id
//! `<offset>-1`, fields `e` the envelope and `t` Redis's clock in ms) and a meta hash
//! `<namespace>:h{:<topic>}:m` (fields `epoch`, 16 hex digits, and `offset`, the latest). Both
//! share the hash tag `{:<topic>}`, so they live in one Redis Cluster slot whatever braces the
//! topic holds (Redis hashes the text between a key's first `{` and the first `}` after it; it
//! starts with `:`, so it is never empty, and a namespace with braces is refused when history is
//! configured); cluster mode's channel `<namespace>:c{:<topic>}` shares it too, so on a Redis
//! Cluster the script below runs on the topic's shard and publishes there with `SPUBLISH`.
//! [`RedisConfig::history_keys`] names them; `redis-cli XRANGE 'pubsub:h{:docs:doc:1}:s' - +`
//! shows a history.
//!
//! **Publishing** to a topic with history runs one Lua script (`EVALSHA`, loaded with `SCRIPT LOAD`
//! and run again when Redis does not know it), which atomically: reads the topic's epoch, or makes one (the
//! client sends a random candidate, used only when the meta hash has none or a damaged one, in
//! which case the stream is dropped too and offsets start again at 1); `HINCRBY`s the offset;
//! splices offset and epoch into the envelope (the client sends it as a head and a tail, the
//! script concatenates `head .. offset .. ',"epoch":"' .. epoch .. '"' .. tail`: no JSON in
//! Lua); `XADD`s it with id `<offset>-1` and `MAXLEN ~ <size>`; sets the TTLs; and
//! `PUBLISH`es the envelope (`SPUBLISH` in cluster mode). Approximate trimming drops whole stream nodes (100 entries by
//! default), so a stream keeps up to `size` + 100 entries, for about 1.3x the append
//! throughput of exact trimming (measured with the bench); the size stays exact where it is a
//! promise: a recovery of more than `size` messages is refused, as in the core's in-memory
//! history, whatever the stream still holds. Offsets are thus
//! global: a position received through node A resumes on node B. A stream whose top id is above
//! the next offset (someone wrote into it) is dropped and started again, so no input stops a
//! topic's publishes; recoveries across the reset are refused as too old.
//!
//! **TTLs.** The stream expires `max_age` (rounded up to whole seconds) after the topic's last
//! message; the meta hash twice that (at least a minute more), so a topic quiet for a while
//! keeps its epoch and goes on counting, and a position from before the pause is answered "too
//! old" rather than matched against a restarted count. Within an active topic, an entry older
//! than `max_age` (by Redis's clock, field `t`) is not replayed: a recovery needing it is
//! refused as too old.
//!
//! **Local delivery order.** A publish to a topic with history is not delivered to local
//! subscribers at once (that would let a message with a higher offset overtake another node's
//! lower one): they get it from Redis, through the node's own subscriber connection, in Redis's
//! order, like every other node (own envelopes with a position are not skipped as echoes;
//! `publish_from`'s subscription still skips it). A publish that fails is delivered nowhere.
//! Sequence numbers are not used on these topics: the offsets number them, and the node's copy
//! of the history gives the gap notice for a hole in them (one notice, never two).
//!
//! **Subscribing from a position** registers the subscription locally, confirms the channel
//! (per-topic mode), then reads the topic's meta hash and stream in one script (`XRANGE` from
//! the next offset, at most `size + 1` entries; `XREVRANGE COUNT 1` for
//! [`Since::Latest`](pubsub_core::history::Since::Latest)) and replays what it got, all or
//! nothing: another epoch (or none) answers `EpochChanged`, a position past the latest `Ahead`,
//! a first entry not right after the position (trimmed, expired) or any hole up to the latest
//! `TooOld`, a Redis error or a read longer than [`RedisConfig::subscribe_timeout`]
//! `Unavailable` (logged). Either way the live stream starts right after the latest message
//! Redis held at the read (so does a plain `subscribe` to a topic with history: one more round
//! trip). Redis is read even when the node's own copy could answer: that copy cannot know
//! whether it missed messages while nobody here listened or the connection was down. Stream
//! entries are decoded like channel messages (bounded, validated; a bad one is skipped, counted
//! in [`RedisStats`] and makes any recovery that needed it incomplete, hence refused).
//!
//! **Reconnects become recoveries.** From the moment a lost subscriber connection is let go
//! of, live messages of topics with history are *held back* (in arrival order per topic, at
//! most 16 MiB of envelopes; beyond that a message is dropped, counted in
//! [`RedisStats::held_dropped`], and its topic's next message reveals the hole, which gives a
//! gap notice). Once the new connection has resubscribed every channel, each topic with history
//! and local subscribers is read from Redis after the node's latest position (the latest message
//! it delivered; for a quiet topic, none of whose messages arrived since its subscriptions
//! started, the earliest position they started after), 64 reads in flight at once, on the new
//! connection; its missed messages are delivered in order, then what was
//! held for it (the node drops the ones the read already gave), then it goes live again, under
//! the receiving side's lock so no live message slips in between. Subscribers see every message
//! once, in order, with no notice ([`RedisStats::recovered_topics`]). A topic that cannot be
//! recovered (its epoch changed, its stream was trimmed past the position, Redis failed) gets
//! one [`Delivery::Gap`](pubsub_core::Delivery::Gap) ([`RedisStats::unrecovered_topics`]);
//! topics without history keep the plain gap notice. The node keeps its copy of a topic's
//! history (which serves its subscribers' lag recoveries) only while the topic has local
//! subscribers, and forgets, at a reconnect, the copies it can no longer vouch for, so a later
//! subscriber never gets a false notice from them.
//!
//! **A Redis restarted without persistence** has lost every history: the first publish makes a
//! new epoch. After the reconnect, each topic's read finds another epoch: its subscribers get
//! one gap notice, then the new epoch's messages so far, then the live ones. Never a recovery
//! that looks complete when it is not (`tests/it/history_faults.rs`).
//!
//! **History is a cache, not your source of truth.** It is bounded by size and age, lives in
//! Redis's memory, and is lost with it (a restart without persistence, an eviction policy that
//! evicts it, a `FLUSHALL`). Keep your records in your database, load screens from it, and
//! treat `Unrecoverable` and every notice as "reload". What history promises is that it never
//! pretends: a recovery is complete, or it is refused.
//!
//! ```no_run
//! use std::time::Duration;
//! use pubsub_core::history::{HistoryConfig, HistoryPolicy, Since};
//! use pubsub_core::{Broker, Delivery, Topic};
//! use pubsub_redis::{RedisBroker, RedisConfig};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = RedisConfig::new("redis://127.0.0.1:6379/");
//! config.history = HistoryConfig::new()
//!     .prefix("docs:", HistoryPolicy::new(200, Duration::from_secs(300)));
//! let node = RedisBroker::connect(config).await?;
//! let doc = Topic::new("docs:doc:1")?;
//!
//! let mut screen = node.subscribe(&doc).await?;
//! let mut last_seen = None;
//! if let Some(Delivery::Message(message)) = screen.recv().await {
//!     last_seen = message.position(); // e.g. sent to the browser as an SSE id
//! }
//! drop(screen); // the tab sleeps, or the server is redeployed...
//!
//! if let Some(position) = last_seen {
//!     let (screen, recovery) = node.subscribe_from(&doc, Since::After(position)).await?;
//!     if !recovery.is_recovered() {
//!         // reload the screen from the database
//!     }
//!     # drop(screen);
//! }
//! # Ok(()) }
//! ```
//!
//! # Why the `redis` crate, RESP3 and our own reconnect loop
//!
//! The `redis` crate (1.x, tokio) is the maintained, widely used async client. With RESP3, pub/sub
//! messages arrive as push frames on an ordinary multiplexed connection and are handed to a
//! callback on the connection's reader: we decode them right there, in order, without an extra
//! task hop. It was measured to recover from a killed subscriber connection in 1-4 ms, while its
//! RESP2 `aio::PubSub` streams ended and never recovered; `fred`'s default 32-slot subscriber
//! buffer lost half of a 100k burst. The crate's `ConnectionManager` can resubscribe by itself,
//! but it does not replace a connection whose `PING` times out (a half-open one), and it does not
//! say when resubscription is done; we need both (the gap notice must come after the channels are
//! back, or a subscriber could reload and still miss a message). So one task per node owns the
//! subscriber connection: it alone sends SUBSCRIBE/UNSUBSCRIBE, reconnects and resubscribes.
//! Publishing uses a second connection, shared by every publish with no task in between: each
//! publish numbers its envelope and queues it on the connection under one short lock (so
//! numbers follow the wire order), and the client writes whatever is queued in one go, so
//! concurrent publishes share a round trip; a publish waits only for its own answer.
//!
//! # Scale path
//!
//! One Redis carries a few hundred thousand messages per second. Beyond that,
//! [`ChannelMode::Cluster`] runs on a Redis Cluster with Redis 7 sharded pub/sub
//! (`SSUBSCRIBE`/`SPUBLISH`): per-topic mode mapped onto the shards (see "Channel modes").
//! Hashing topics into a fixed number of bucket channels (`pubsub:{17}`), so each node holds a
//! bounded set of shard subscriptions, is the alternative for nodes that want most topics; it
//! is not implemented.
//!
//! # Examples
//!
//! Cluster mode, with two of the cluster's nodes as seeds (the client finds the others):
//!
//! ```no_run
//! use pubsub_core::{Broker, Topic};
//! use pubsub_redis::{RedisBroker, RedisConfig};
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = RedisConfig::cluster(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"]);
//! let node = RedisBroker::connect(config).await?;
//! let topic = Topic::new("docs:doc:1")?;
//! let _screen = node.subscribe(&topic).await?; // SSUBSCRIBEd on the topic's shard
//! let saved = pubsub_core::Message::from_json("docs", "doc_saved", r#"{"event":"doc_saved"}"#);
//! node.publish(&topic, saved).await?; // SPUBLISHed to that shard
//! # Ok(()) }
//! ```
//!
//! Two nodes (normally two processes) exchanging typed events, with the lag and gap notices a
//! screen reloads on:
//!
//! ```no_run
//! use pubsub_core::{BrokerExt, Delivery, Event, Topic, TypedTopic};
//! use pubsub_redis::{ChannelMode, RedisBroker, RedisConfig};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, Serialize, Deserialize)]
//! #[serde(tag = "event", content = "payload", rename_all = "snake_case")]
//! enum DocEvent {
//!     DocSaved { id: u32 },
//! }
//! impl Event for DocEvent {
//!     const DOMAIN: &'static str = "docs";
//!     fn name(&self) -> &'static str { "doc_saved" }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = RedisConfig::new("redis://127.0.0.1:6379/");
//! config.mode = ChannelMode::PerTopic;
//! let node_a = RedisBroker::connect(config.clone()).await?;
//! let node_b = RedisBroker::connect(config).await?;
//!
//! let topic = TypedTopic::<DocEvent>::new(Topic::new("docs:doc:1")?);
//! let mut screen = node_a.subscribe_events(&topic).await?; // confirmed by Redis on return
//! node_b.publish_event(&topic, DocEvent::DocSaved { id: 1 }).await?;
//!
//! while let Some(delivery) = screen.recv().await {
//!     match delivery {
//!         Delivery::Message(event) => println!("refresh with {event:?}"),
//!         Delivery::Lagged(_) | Delivery::Gap => println!("reload the screen"),
//!     }
//! #   break;
//! }
//! println!("{:?}", node_a.stats());
//! # Ok(()) }
//! ```

mod admission;
mod broker;
mod circuit;
mod cluster;
mod config;
mod conn;
mod envelope;
mod error;
mod gaps;
mod history;
mod hold;
mod inbound;
mod interest;
mod link;
mod log_limit;
mod publisher;
mod recovery;
mod sequence;
mod shard_circuit;
mod shards;
mod shared;
mod stats;

pub use broker::RedisBroker;
pub use config::{ChannelMode, RedisConfig};
pub use envelope::VERSION as ENVELOPE_VERSION;
pub use error::Error;
pub use stats::RedisStats;
