//! One channel connection: the reader loop (frames, joins, timeouts), which hands replies, joins
//! and leaves to the connection's writer (`writer.rs`) in order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures_util::StreamExt;
use pubsub_core::history::{Recovery, Since};
use pubsub_core::{Broker, Subscription, Topic, tenant_of};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::frames::{self, ClientFrame, Refused};
use super::rate::Budget;
use super::writer::{Pushing, write};
use super::{CLOSE_IDLE, Config};
use crate::auth::Join;

/// The reason a join past the connection's join rate is refused with.
const TOO_FAST: &str = "too many joins, slow down";

/// The WARN line of a join the broker failed, at most once a second.
static JOIN_FAILED: pubsub_core::log_limit::LogLimit =
    pubsub_core::log_limit::LogLimit::new(Duration::from_secs(1));

/// What the reader (and the presence followers) queue for the writer, in order.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A frame to send: a reply, an error, a presence frame.
    Text(String),
    /// A join's subscription, queued right after the join's reply: its pushes follow the reply.
    /// Boxed: every slot of the queue is as large as its largest entry.
    Join(Box<Pushing>),
    /// A left topic: its subscription is dropped before the leave's reply, queued next.
    Leave(Topic),
    Close(u16, &'static str),
}

/// Why the reader stopped.
enum End {
    /// The client closed, or the socket failed.
    Gone,
    /// The writer stopped (a stalled write, or the socket failed).
    WriterDone,
    Close(u16, &'static str),
}

struct Conn<S> {
    broker: Arc<dyn Broker>,
    session: S,
    config: Arc<Config<S>>,
    tx: mpsc::Sender<Outbound>,
    joins: HashMap<Topic, Joined>,
    budget: Budget,
}

/// What the reader keeps of a join (its subscription is the writer's): its presence follower,
/// when it follows presence, aborted when the join is dropped (left, or the connection ended
/// in any way, a panic included); and its tracked presence, untracked with it.
struct Joined {
    presence_task: Option<JoinHandle<()>>,
    #[cfg(feature = "presence")]
    _tracked: Option<pubsub_presence::Tracked>,
}

impl Drop for Joined {
    fn drop(&mut self) {
        if let Some(task) = &self.presence_task {
            task.abort();
        }
    }
}

pub(crate) async fn run<S: Send + Sync + 'static>(
    socket: WebSocket,
    broker: Arc<dyn Broker>,
    session: S,
    config: Arc<Config<S>>,
) {
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel(config.queue_capacity);
    let mut writer = tokio::spawn(write(sink, rx, config.write_timeout));
    let shutdown = config.shutdown.clone();
    let idle_timeout = config.idle_timeout;
    let config_rate = config.join_rate;
    let mut conn = Conn {
        broker,
        session,
        config,
        tx,
        joins: HashMap::new(),
        budget: Budget::new(config_rate, Instant::now()),
    };
    let idle = tokio::time::sleep(idle_timeout);
    tokio::pin!(idle);

    let end = loop {
        let frame = tokio::select! {
            biased;
            () = shutdown.cancelled() => break End::Close(1001, "server shutting down"),
            _ = &mut writer => break End::WriterDone,
            // A frame already there wins over the idle timer: a reader that waited on a full
            // queue does not call a client idle whose frames it had not read yet.
            frame = stream.next() => frame,
            () = &mut idle => break End::Close(CLOSE_IDLE, "idle"),
        };
        let text = match frame {
            None | Some(Ok(WsMessage::Close(_))) => break End::Gone,
            Some(Err(error)) => {
                tracing::debug!(%error, "channel connection failed");
                // Above the maximum message size, or a protocol error: the stream is unusable.
                break End::Close(1009, "frame too large or invalid");
            }
            Some(Ok(WsMessage::Text(text))) => text,
            Some(Ok(WsMessage::Binary(_))) => {
                idle.as_mut().reset(Instant::now() + idle_timeout);
                let refused = Refused {
                    reference: None,
                    reason: "binary frames are not accepted".to_owned(),
                };
                if conn.send(frames::error(&refused)).await.is_err() {
                    break End::WriterDone;
                }
                continue;
            }
            // Pings are answered by the socket itself; any frame shows the client is there.
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {
                idle.as_mut().reset(Instant::now() + idle_timeout);
                continue;
            }
        };
        idle.as_mut().reset(Instant::now() + idle_timeout);
        let handled = tokio::select! {
            biased;
            () = shutdown.cancelled() => break End::Close(1001, "server shutting down"),
            handled = conn.handle(text.as_str()) => handled,
        };
        if handled.is_err() {
            break End::WriterDone;
        }
    };

    conn.joins.clear();
    if let End::Close(code, reason) = end {
        // A full queue means a client that does not read: it gets no close frame.
        let _ = conn.tx.try_send(Outbound::Close(code, reason));
    }
    let write_timeout = conn.config.write_timeout;
    drop(conn);
    if matches!(end, End::WriterDone | End::Gone) {
        writer.abort();
    } else if tokio::time::timeout(write_timeout, &mut writer)
        .await
        .is_err()
    {
        // The writer had its timeout to send what is queued and the close frame.
        writer.abort();
    }
}

/// The connection's writer closed: stop.
struct WriterGone;

impl<S: Send + Sync + 'static> Conn<S> {
    async fn send(&self, frame: String) -> Result<(), WriterGone> {
        self.tx
            .send(Outbound::Text(frame))
            .await
            .map_err(|_| WriterGone)
    }

    async fn handle(&mut self, text: &str) -> Result<(), WriterGone> {
        match frames::parse(text) {
            Err(refused) => self.send(frames::error(&refused)).await,
            Ok(ClientFrame::Heartbeat { reference }) => {
                self.send(frames::reply_ok(&reference, None, &json!({})))
                    .await
            }
            Ok(ClientFrame::Leave { reference, topic }) => {
                let frame = match self.joins.remove(&topic) {
                    Some(joined) => {
                        drop(joined);
                        self.tx
                            .send(Outbound::Leave(topic.clone()))
                            .await
                            .map_err(|_| WriterGone)?;
                        frames::reply_ok(&reference, Some(&topic), &json!({}))
                    }
                    None => frames::reply_error(&reference, Some(&topic), "not joined"),
                };
                self.send(frame).await
            }
            Ok(ClientFrame::Join {
                reference,
                topic,
                since,
                params,
                presence,
            }) => {
                match self.join(&topic, since, &params).await {
                    Err(reason) => {
                        self.send(frames::reply_error(&reference, Some(&topic), &reason))
                            .await
                    }
                    #[cfg_attr(not(feature = "presence"), allow(unused_mut))]
                    Ok((subscription, mut response)) => {
                        let prefix = frames::push_prefix(&reference, &topic);
                        #[cfg(feature = "presence")]
                        let tracked = super::presence::track(
                            self.config.presence.as_ref(),
                            self.config.authorize.presence(
                                &self.session,
                                crate::auth::Join {
                                    topic: &topic,
                                    params: &params,
                                },
                            ),
                            presence,
                            &topic,
                            &mut response,
                        )
                        .await;
                        self.send(frames::reply_ok(&reference, Some(&topic), &response))
                            .await?;
                        // After the reply: the replayed messages come right after it, and so does
                        // the presence state. The follower starts once the join reached the writer,
                        // so a writer gone meanwhile leaves no follower behind.
                        #[cfg(feature = "presence")]
                        let follow_prefix = prefix.clone();
                        self.tx
                            .send(Outbound::Join(Box::new(Pushing {
                                topic: topic.clone(),
                                prefix,
                                subscription,
                            })))
                            .await
                            .map_err(|_| WriterGone)?;
                        #[cfg(feature = "presence")]
                        let presence_task =
                            self.config.presence.as_ref().filter(|_| presence).map(|p| {
                                super::presence::follow(p, &topic, &follow_prefix, &self.tx)
                            });
                        #[cfg(not(feature = "presence"))]
                        let presence_task = {
                            let _ = presence;
                            None
                        };
                        self.joins.insert(
                            topic,
                            Joined {
                                presence_task,
                                #[cfg(feature = "presence")]
                                _tracked: tracked,
                            },
                        );
                        Ok(())
                    }
                }
            }
        }
    }

    /// Checks and subscribes one join; the reply's response, or the refusal's reason.
    async fn join(
        &mut self,
        topic: &Topic,
        since: Option<pubsub_core::history::Position>,
        params: &serde_json::Value,
    ) -> Result<(Subscription, serde_json::Value), String> {
        if !self.budget.take(Instant::now()) {
            return Err(TOO_FAST.to_owned());
        }
        if self.joins.contains_key(topic) {
            return Err("already joined".to_owned());
        }
        if self.joins.len() >= self.config.max_joins {
            return Err(format!(
                "too many topics (at most {})",
                self.config.max_joins
            ));
        }
        let authorize = &self.config.authorize;
        if let Some(tenant) = authorize.tenant(&self.session) {
            if tenant_of(topic).as_ref() != Some(tenant) {
                return Err("forbidden".to_owned());
            }
        }
        authorize
            .join(&self.session, Join { topic, params })
            .await
            .map_err(|refusal| refusal.reason().to_owned())?;
        let since = since.map_or(Since::Now, Since::After);
        let (subscription, recovery) = match self.broker.subscribe_from(topic, since).await {
            Ok(done) => done,
            Err(
                error @ (pubsub_core::Error::Unscoped { .. }
                | pubsub_core::Error::ForeignScope { .. }
                | pubsub_core::Error::Topic(_)),
            ) => {
                tracing::debug!(%error, "join refused by the broker");
                return Err("forbidden".to_owned());
            }
            Err(error) => {
                // Every client's join fails while the backend is down: one line per second.
                if let Some(held_back) = JOIN_FAILED.allow() {
                    tracing::warn!(%error, held_back, "join failed (held_back: lines left out since the last)");
                }
                return Err("unavailable".to_owned());
            }
        };
        let position = subscription.position(topic).map(|p| p.to_string());
        let response = match recovery {
            Recovery::Live => json!({ "recovered": true, "replayed": 0, "position": position }),
            Recovery::Recovered { count } => {
                json!({ "recovered": true, "replayed": count, "position": position })
            }
            Recovery::Unrecoverable(why) => json!({
                "recovered": false,
                "replayed": 0,
                "position": position,
                "reason": why.to_string(),
            }),
        };
        Ok((subscription, response))
    }
}
