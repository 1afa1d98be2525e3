//! History in Redis: the two Lua scripts (append + publish, read) and what is made of their
//! answers. See the crate docs, "History and recovery", for the key layout and the steps.
//!
//! Everything read back is distrusted as the channel is: a stream entry whose id, envelope,
//! topic or position does not fit is counted, logged at most once a second and skipped, and
//! the recovery it would have been part of is then refused as incomplete (all or nothing).

use std::sync::OnceLock;
use std::time::Duration;

use crate::conn::{Conn, text};
use pubsub_core::history::{Epoch, HistoryPolicy, Position, Unrecoverable};
use pubsub_core::{Message, Topic};
use redis::Value;

use crate::envelope::{self, Reject, Tail};
use crate::shared::Shared;

/// Appends an envelope to a topic's history and publishes it, atomically.
///
/// `KEYS`: stream, meta. `ARGV`: channel, candidate epoch (16 hex digits, used only when the
/// topic has no history), stream length, stream TTL (s), meta TTL (s), envelope head (up to
/// the offset), envelope tail (after the epoch), publish command (`PUBLISH`, or `SPUBLISH` on
/// a cluster: the channel hashes to the keys' slot, so the script runs on the one shard that
/// holds both). Returns `{offset, epoch}`.
///
/// The stream is trimmed with `MAXLEN ~ <size>`: Redis drops whole nodes of entries (100 by
/// default), so it keeps between `size` and `size` + 100 entries, at a fraction of the cost of
/// exact trimming (measured: about 1.3x the append throughput). The size stays exact where it
/// is a promise: a read refuses a recovery of more than `size` messages
/// ([`Snapshot::after`]), as the core's in-memory history does.
///
/// A meta hash or stream that is damaged (another type, an epoch that is not 16 hex digits, an
/// offset that is not a positive integer, a stream whose top id is above the next offset) is
/// replaced: the topic's history starts again in a new epoch, or its stream does (recoveries
/// across it are then refused as too old). So no input can stop the topic's publishes.
const APPEND: &str = r#"
local stream, meta = KEYS[1], KEYS[2]
local epoch = redis.pcall('HGET', meta, 'epoch')
local offset = nil
if type(epoch) == 'string' and string.len(epoch) == 16 and not string.find(epoch, '[^0-9a-f]') then
  local n = redis.pcall('HINCRBY', meta, 'offset', 1)
  if type(n) == 'number' and n >= 1 then offset = n end
end
if not offset then
  redis.call('DEL', meta, stream)
  epoch = ARGV[2]
  redis.call('HSET', meta, 'epoch', epoch, 'offset', 1)
  offset = 1
end
local id = string.format('%d', offset)
local envelope = ARGV[6] .. id .. ',"epoch":"' .. epoch .. '"' .. ARGV[7]
local now = redis.call('TIME')
local at = string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
local added = redis.pcall('XADD', stream, 'MAXLEN', '~', ARGV[3], id .. '-1', 'e', envelope, 't', at)
if type(added) == 'table' and added.err then
  redis.call('DEL', stream)
  redis.call('XADD', stream, 'MAXLEN', '~', ARGV[3], id .. '-1', 'e', envelope, 't', at)
end
redis.call('EXPIRE', stream, ARGV[4])
redis.call('EXPIRE', meta, ARGV[5])
redis.call(ARGV[8], ARGV[1], envelope)
return {offset, epoch}
"#;

/// Reads a topic's history: its epoch and latest offset (from the meta hash), Redis's clock,
/// and the stream's entries from an offset on (`ARGV[1]`, at most `ARGV[2]`), or its latest
/// entry (`ARGV[1]` empty), or none (`ARGV[1]` is `-`: the position only), all at one instant.
///
/// A topic with no meta hash yet gets one, in the candidate epoch `ARGV[3]` at offset 0, with
/// the meta TTL `ARGV[4]`: a subscriber of a topic nobody has published on yet then has a
/// position (offset 0: before the first message), which it can resume from on any node, and
/// the first append counts on from it. (A damaged meta hash is left for the append to
/// replace.)
///
/// `KEYS`: stream, meta. Returns `{epoch or nil, latest or nil, seconds, microseconds, entries}`.
const READ: &str = r"
local stream, meta = KEYS[1], KEYS[2]
local epoch = redis.pcall('HGET', meta, 'epoch')
if type(epoch) ~= 'string' then epoch = false end
local latest = redis.pcall('HGET', meta, 'offset')
if type(latest) ~= 'string' then latest = false end
if not epoch and not latest and redis.call('EXISTS', meta) == 0 then
  redis.call('HSET', meta, 'epoch', ARGV[3], 'offset', 0)
  redis.call('EXPIRE', meta, ARGV[4])
  epoch, latest = ARGV[3], '0'
end
local now = redis.call('TIME')
local entries
if ARGV[1] == '' then
  entries = redis.pcall('XREVRANGE', stream, '+', '-', 'COUNT', 1)
elseif ARGV[1] == '-' then
  entries = {}
else
  entries = redis.pcall('XRANGE', stream, ARGV[1], '+', 'COUNT', ARGV[2])
end
if type(entries) ~= 'table' or entries.err then entries = {} end
return {epoch, latest, now[1], now[2], entries}
";

fn append_script() -> &'static redis::Script {
    static SCRIPT: OnceLock<redis::Script> = OnceLock::new();
    SCRIPT.get_or_init(|| redis::Script::new(APPEND))
}

fn read_script() -> &'static redis::Script {
    static SCRIPT: OnceLock<redis::Script> = OnceLock::new();
    SCRIPT.get_or_init(|| redis::Script::new(READ))
}

/// `EVALSHA <script's hash> 2`, to be completed with the two keys and the arguments.
fn evalsha(script: &redis::Script, capacity: usize) -> redis::Cmd {
    let mut cmd = redis::Cmd::with_capacity(12, capacity + 64);
    cmd.arg("EVALSHA").arg(script.get_hash()).arg(2);
    cmd
}

/// Runs an [`evalsha`] command; when Redis does not know the script (`NOSCRIPT`: a restart, a
/// `SCRIPT FLUSH`), loads `source` and runs it again. What `redis::Script::invoke_async` does,
/// without its copy of every key and argument into a vector of its own before the command.
async fn run<T: redis::FromRedisValue>(
    conn: &mut Conn,
    source: &str,
    cmd: &redis::Cmd,
) -> redis::RedisResult<T> {
    match cmd.query_async(conn).await {
        Err(error)
            if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
        {
            redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(source)
                .query_async::<()>(conn)
                .await?;
            cmd.query_async(conn).await
        }
        result => result,
    }
}

/// Whole seconds, rounded up.
fn seconds(age: Duration) -> u64 {
    age.as_secs() + u64::from(age.subsec_nanos() > 0)
}

/// The TTLs of a topic's stream and meta hash, in seconds. The stream lives `max_age` after
/// the topic's last message. The meta hash (epoch and offset) lives twice as long (at least a
/// minute more): a topic quiet for a while keeps its epoch and goes on counting, so a position
/// from before the pause is answered "too old" rather than matched against a restarted count.
pub(crate) fn ttls(policy: &HistoryPolicy) -> (u64, u64) {
    let stream = seconds(policy.max_age()).max(1);
    (stream, stream.saturating_mul(2).max(stream + 60))
}

/// Runs the append script (see [`run`]). Every key and argument is written straight into the
/// command's buffer: the envelope's tail is copied once, with no string per key or argument.
pub(crate) async fn append(
    conn: &mut Conn,
    shared: &Shared,
    topic: &Topic,
    tail: &Tail,
    policy: &HistoryPolicy,
) -> Result<Position, redis::RedisError> {
    use redis::RedisWrite as _;
    use std::io::Write as _;
    let config = &shared.config;
    let (stream_ttl, meta_ttl) = ttls(policy);
    let keys = 2 * (config.namespace.len() + topic.len() + 6);
    let mut cmd = evalsha(
        append_script(),
        keys + config.namespace.len() + topic.len() + shared.history_head.len() + tail.len() + 64,
    );
    for suffix in ['s', 'm'] {
        let _ = write!(
            cmd.writer_for_next_arg(),
            "{}",
            config.history_key(topic, suffix)
        );
    }
    config.write_channel_arg(topic, &mut cmd);
    let _ = write!(cmd.writer_for_next_arg(), "{}", Epoch::random());
    cmd.arg(policy.size())
        .arg(stream_ttl)
        .arg(meta_ttl)
        .arg(shared.history_head.as_str())
        .arg(tail.as_str())
        .arg(config.publish_command());
    let (offset, epoch): (u64, String) = run(conn, APPEND, &cmd).await?;
    let epoch = envelope::epoch_of(&epoch).ok_or_else(|| {
        redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "the history script returned an epoch that is not 16 hex digits",
        ))
    })?;
    Ok(Position::new(offset, epoch))
}

/// One valid history entry.
#[derive(Debug)]
struct Entry {
    offset: u64,
    /// When Redis added it, in ms since the Unix epoch (`None`: not said; kept).
    at_ms: Option<u64>,
    message: Message,
}

/// A topic's history as Redis held it at one instant.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// The meta hash's epoch (`None`: no history, or a damaged one).
    epoch: Option<Epoch>,
    /// The meta hash's latest offset.
    latest: u64,
    /// Redis's clock, ms since the Unix epoch.
    now_ms: u64,
    /// The valid entries read, in stream order.
    entries: Vec<Entry>,
}

/// Where [`read`] starts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum From {
    /// The entries from this offset on, at most the policy's size + 1.
    Offset(u64),
    /// The latest entry.
    Latest,
    /// No entry: the epoch and latest offset only (where a live subscription starts).
    Position,
}

/// Reads `topic`'s history (one script call: meta and entries at one instant).
pub(crate) async fn read(
    conn: &mut Conn,
    shared: &Shared,
    topic: &Topic,
    from: From,
    policy: &HistoryPolicy,
) -> Result<Snapshot, redis::RedisError> {
    let (stream, meta) = shared.config.history_keys(topic);
    let (start, count) = match from {
        From::Offset(offset) => (offset.to_string(), policy.size() + 1),
        From::Latest => (String::new(), 1),
        From::Position => ("-".to_owned(), 0),
    };
    let (_, meta_ttl) = ttls(policy);
    let mut cmd = evalsha(read_script(), stream.len() + meta.len() + 80);
    cmd.arg(&stream)
        .arg(meta)
        .arg(start)
        .arg(count)
        .arg(Epoch::random().to_string())
        .arg(meta_ttl);
    let value: Value = run(conn, READ, &cmd).await?;
    Ok(snapshot(shared, topic, &stream, value))
}

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        other => text(other).and_then(|t| t.parse().ok()),
    }
}

/// Makes a [`Snapshot`] of the read script's answer, skipping (and counting) what does not fit.
fn snapshot(shared: &Shared, topic: &Topic, stream: &str, value: Value) -> Snapshot {
    let parts = match value {
        Value::Array(parts) => parts,
        _ => Vec::new(),
    };
    let epoch = parts.first().and_then(text).and_then(envelope::epoch_of);
    let latest = parts.get(1).and_then(number);
    let now_ms = match (parts.get(2).and_then(number), parts.get(3).and_then(number)) {
        (Some(s), Some(us)) => s.saturating_mul(1000).saturating_add(us / 1000),
        _ => 0,
    };
    let (epoch, latest) = match (epoch, latest) {
        (Some(epoch), Some(latest)) => (Some(epoch), latest),
        _ => (None, 0),
    };
    let mut entries = Vec::new();
    if let (Some(epoch), Some(Value::Array(raw))) = (epoch, parts.get(4)) {
        for item in raw {
            match entry(shared, topic, epoch, item) {
                Ok(entry) => entries.push(entry),
                Err((reason, payload)) => {
                    crate::inbound::reject(shared, stream, payload.as_bytes(), reason);
                }
            }
        }
    }
    Snapshot {
        epoch,
        latest,
        now_ms,
        entries,
    }
}

/// One stream entry, `[id, [field, value, ...]]`: id `<offset>-1`, field `e` the envelope (of
/// this topic, at this offset and epoch), field `t` when it was added.
fn entry(
    shared: &Shared,
    topic: &Topic,
    epoch: Epoch,
    item: &Value,
) -> Result<Entry, (Reject, String)> {
    let bad = |reason: Reject, what: &str| (reason, what.to_owned());
    let Value::Array(pair) = item else {
        return Err(bad(
            Reject::Malformed,
            "a stream entry that is not [id, fields]",
        ));
    };
    let (Some(id), Some(Value::Array(fields))) = (pair.first().and_then(text), pair.get(1)) else {
        return Err(bad(
            Reject::Malformed,
            "a stream entry that is not [id, fields]",
        ));
    };
    let offset = id
        .strip_suffix("-1")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| bad(Reject::InvalidPosition, id))?;
    let (mut envelope, mut at_ms) = (None, None);
    for field in fields.chunks(2) {
        match (field.first().and_then(text), field.get(1)) {
            (Some("e"), Some(value)) => envelope = Some(value),
            (Some("t"), Some(value)) => at_ms = number(value),
            _ => {}
        }
    }
    let payload: &[u8] = match envelope {
        Some(Value::BulkString(b)) => b,
        _ => return Err(bad(Reject::Malformed, id)),
    };
    let preview = || String::from_utf8_lossy(&payload[..payload.len().min(120)]).into_owned();
    let incoming = envelope::decode(payload, shared.config.max_message_bytes)
        .map_err(|reason| (reason, preview()))?;
    if incoming.topic != *topic {
        return Err((Reject::InvalidTopic, preview()));
    }
    if incoming.position != Some(Position::new(offset, epoch)) {
        return Err((Reject::InvalidPosition, preview()));
    }
    let mut message = incoming.message;
    if incoming.node == Some(shared.node)
        && let Some(from) = incoming.from
    {
        // This node's own publish: the subscription it came from skips it, as live.
        message = message.with_origin(from);
    }
    Ok(Entry {
        offset,
        at_ms,
        message,
    })
}

impl Snapshot {
    /// The epoch Redis holds for the topic, if any.
    pub(crate) fn epoch(&self) -> Option<Epoch> {
        self.epoch
    }

    /// The topic's latest position in Redis, if it has history there.
    pub(crate) fn latest_position(&self) -> Option<Position> {
        self.epoch.map(|epoch| Position::new(self.latest, epoch))
    }

    /// The entries still young enough for `policy`, in order.
    fn fresh<'a>(&'a self, policy: &HistoryPolicy) -> impl Iterator<Item = &'a Entry> + 'a {
        let max_age = u64::try_from(policy.max_age().as_millis()).unwrap_or(u64::MAX);
        let cutoff = self.now_ms.saturating_sub(max_age);
        self.entries
            .iter()
            .filter(move |entry| entry.at_ms.is_none_or(|at| at >= cutoff))
    }

    /// Every message after `after`, up to the latest, or why not: all or nothing.
    pub(crate) fn after(
        &self,
        after: Position,
        policy: &HistoryPolicy,
    ) -> Result<Vec<Message>, Unrecoverable> {
        if self.epoch != Some(after.epoch) {
            return Err(Unrecoverable::EpochChanged);
        }
        if after.offset > self.latest {
            return Err(Unrecoverable::Ahead);
        }
        // The size is exact here, whatever the approximate trimming left in the stream.
        if self.latest - after.offset > policy.size() as u64 {
            return Err(Unrecoverable::TooOld);
        }
        self.contiguous(after.offset, policy)
            .ok_or(Unrecoverable::TooOld)
    }

    /// Every message of the epoch from its first (offset 1) to the latest, if the history
    /// still holds them all: after a Redis restart, what the new epoch already has.
    pub(crate) fn whole_epoch(&self, policy: &HistoryPolicy) -> Option<Vec<Message>> {
        self.epoch?;
        if self.latest > policy.size() as u64 {
            return None;
        }
        self.contiguous(0, policy)
    }

    /// The messages at `after + 1 ..= latest`, if every one of them was read, valid and young
    /// enough.
    fn contiguous(&self, after: u64, policy: &HistoryPolicy) -> Option<Vec<Message>> {
        let mut expected = after + 1;
        let mut messages = Vec::new();
        for entry in self.fresh(policy) {
            if entry.offset < expected {
                continue;
            }
            if entry.offset != expected || expected > self.latest {
                return None;
            }
            messages.push(entry.message.clone());
            expected += 1;
        }
        (expected == self.latest + 1).then_some(messages)
    }

    /// The latest message, if it is still young enough (0 or 1 messages).
    pub(crate) fn latest(&self, policy: &HistoryPolicy) -> Vec<Message> {
        self.fresh(policy)
            .filter(|entry| entry.offset == self.latest)
            .map(|entry| entry.message.clone())
            .take(1)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, Snapshot, seconds, ttls};
    use pubsub_core::Message;
    use pubsub_core::history::{Epoch, HistoryPolicy, Position, Unrecoverable};
    use std::time::Duration;

    const EPOCH: Epoch = Epoch::new(7);
    const NOW: u64 = 1_000_000;

    fn snapshot(latest: u64, offsets: &[u64]) -> Snapshot {
        Snapshot {
            epoch: Some(EPOCH),
            latest,
            now_ms: NOW,
            entries: offsets
                .iter()
                .map(|&offset| Entry {
                    offset,
                    at_ms: Some(NOW - 10),
                    message: Message::from_json("d", "e", "{}")
                        .with_position(Position::new(offset, EPOCH)),
                })
                .collect(),
        }
    }

    fn offsets(messages: &[Message]) -> Vec<u64> {
        messages
            .iter()
            .map(|m| m.position().map_or(0, |p| p.offset))
            .collect()
    }

    fn policy(size: usize) -> HistoryPolicy {
        HistoryPolicy::new(size, Duration::from_secs(60))
    }

    #[test]
    fn a_read_gives_every_message_after_the_position_up_to_the_latest_or_nothing() {
        let at = |offset| Position::new(offset, EPOCH);
        let ok = snapshot(6, &[4, 5, 6]).after(at(3), &policy(10)).unwrap();
        assert_eq!(offsets(&ok), [4, 5, 6]);
        assert_eq!(snapshot(6, &[]).after(at(6), &policy(10)), Ok(vec![]));
        let too_old = Err(Unrecoverable::TooOld);
        // A hole, a first entry past the position, an end short of the latest.
        assert_eq!(snapshot(6, &[4, 6]).after(at(3), &policy(10)), too_old);
        assert_eq!(snapshot(6, &[5, 6]).after(at(3), &policy(10)), too_old);
        assert_eq!(snapshot(6, &[4, 5]).after(at(3), &policy(10)), too_old);
        assert_eq!(snapshot(6, &[]).after(at(3), &policy(10)), too_old);
        // More than the size, though the stream (trimmed approximately) still has them all.
        assert_eq!(snapshot(6, &[4, 5, 6]).after(at(3), &policy(2)), too_old);
        assert_eq!(
            snapshot(6, &[4, 5, 6]).after(at(7), &policy(10)),
            Err(Unrecoverable::Ahead)
        );
        assert_eq!(
            snapshot(6, &[4, 5, 6]).after(Position::new(3, Epoch::new(8)), &policy(10)),
            Err(Unrecoverable::EpochChanged)
        );
        let mut none = snapshot(6, &[4, 5, 6]);
        none.epoch = None;
        assert_eq!(
            none.after(at(3), &policy(10)),
            Err(Unrecoverable::EpochChanged)
        );
    }

    #[test]
    fn an_entry_older_than_the_max_age_is_not_replayed() {
        let mut old = snapshot(6, &[4, 5, 6]);
        old.entries[0].at_ms = Some(NOW - 61_000);
        let at = Position::new(3, EPOCH);
        assert_eq!(old.after(at, &policy(10)), Err(Unrecoverable::TooOld));
        assert_eq!(
            offsets(&old.after(Position::new(4, EPOCH), &policy(10)).unwrap()),
            [5, 6]
        );
        old.entries[2].at_ms = Some(NOW - 61_000);
        assert!(old.latest(&policy(10)).is_empty());
    }

    #[test]
    fn the_whole_epoch_only_when_it_starts_at_one_and_fits_the_size() {
        assert_eq!(
            offsets(&snapshot(3, &[1, 2, 3]).whole_epoch(&policy(10)).unwrap()),
            [1, 2, 3]
        );
        assert!(snapshot(3, &[2, 3]).whole_epoch(&policy(10)).is_none());
        assert!(snapshot(3, &[1, 2, 3]).whole_epoch(&policy(2)).is_none());
        assert_eq!(offsets(&snapshot(3, &[3]).latest(&policy(10))), [3]);
        assert!(snapshot(4, &[3]).latest(&policy(10)).is_empty());
    }

    #[test]
    fn ttls_round_up_and_the_meta_hash_outlives_the_stream() {
        assert_eq!(seconds(Duration::from_millis(1500)), 2);
        assert_eq!(seconds(Duration::from_secs(3)), 3);
        let policy = HistoryPolicy::new(10, Duration::from_millis(2500));
        assert_eq!(ttls(&policy), (3, 63));
        let policy = HistoryPolicy::new(10, Duration::from_secs(600));
        assert_eq!(ttls(&policy), (600, 1200));
    }
}
