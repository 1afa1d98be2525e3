//! Server-Sent Events: topics to an `EventSource`, resumable, with keep-alives and a clean end on
//! shutdown.
//!
//! # What the browser receives
//!
//! - first, `event: $open` (data `{}`), whose `id` is the stream's resume token: a connection cut
//!   before any message still resumes from where it started;
//! - then one event per message: `event: <the event's name>`, `data: <its JSON>` (the
//!   [`Message::json`] text, made once per message however many streams send it), and, for a
//!   message of a topic with history, an `id`: the resume token with every topic's last position
//!   (see [`resume`](crate::resume));
//! - `event: $reload` (data `{"reason": "..."}`) when the page's state may be missing messages:
//!   a resume that the history cannot serve (too old, another epoch, a topic without history, a
//!   token made for other topics or malformed), or a lag or gap the history could not cover.
//!   The stream goes on live; the page reloads its state (as on its first load);
//! - a comment (`:`) every [`keep_alive`](Sse::keep_alive) interval without traffic.
//!
//! A browser's `EventSource` reconnects by itself with `Last-Event-ID`: the stream resumes from
//! it through the broker's history. The JavaScript client ([`client`](crate::client)) does the
//! same with the `since` query parameter when it must open a new `EventSource`.

mod frame;

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use pubsub_core::history::{Recovery, Since};
use pubsub_core::{Broker, Delivery, Message, Subscription, Topic};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::resume::{MAX_TOKEN_LEN, MAX_TOPICS, ResumeToken, TokenError, topics_hash};

/// The default interval between keep-alive comments: below the 30 s of the shortest common
/// proxy idle timeouts, as Centrifugo's 25 s.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// At most this many buffered deliveries go into one write.
const BATCH: usize = 64;

/// The name of the query parameter that carries a resume token.
pub const SINCE_PARAM: &str = "since";

/// SSE settings, shared by every stream an app serves: cheap to clone, kept in the app's state.
///
/// ```
/// use std::time::Duration;
/// use pubsub_axum::Sse;
/// use tokio_util::sync::CancellationToken;
///
/// let shutdown = CancellationToken::new();
/// let sse = Sse::new().keep_alive(Duration::from_secs(20)).shutdown(shutdown.clone());
/// // ... axum::serve(..).with_graceful_shutdown(shutdown.cancelled_owned())
/// # drop(sse);
/// ```
#[derive(Debug, Clone)]
pub struct Sse {
    keep_alive: Duration,
    shutdown: CancellationToken,
}

impl Default for Sse {
    fn default() -> Self {
        Sse::new()
    }
}

impl Sse {
    /// Keep-alives every [`DEFAULT_KEEP_ALIVE`], no shutdown signal.
    pub fn new() -> Self {
        Sse {
            keep_alive: DEFAULT_KEEP_ALIVE,
            shutdown: CancellationToken::new(),
        }
    }

    /// Sends a keep-alive comment after `every` without traffic (at least 1 ms).
    #[must_use]
    pub fn keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = every.max(Duration::from_millis(1));
        self
    }

    /// Ends every open stream, cleanly (the body ends, the browser's `EventSource` reconnects
    /// later, elsewhere), when `token` is cancelled: pass the token the server's graceful
    /// shutdown waits on, or axum waits for these streams forever.
    #[must_use]
    pub fn shutdown(mut self, token: CancellationToken) -> Self {
        self.shutdown = token;
        self
    }

    /// A stream of `topics` through `broker`, resumed from `resume` (from the request).
    ///
    /// `topics` must be the same list, in the same order, whenever the same page connects: the
    /// resume token numbers topics by their place in it (a token made for another list is
    /// refused, with a `$reload`). Pass a tenant's scoped broker
    /// ([`MultiTenant::for_tenant`](pubsub_core::MultiTenant::for_tenant)) for a tenant's page.
    ///
    /// # Errors
    ///
    /// [`Error::NoTopics`], [`Error::TooManyTopics`] (more than [`MAX_TOPICS`]), and
    /// [`Error::Broker`] when the broker refuses a subscription. Each answers a status as a
    /// response.
    pub async fn stream<B: Broker + ?Sized>(
        &self,
        broker: &B,
        topics: Vec<Topic>,
        resume: &Resume,
    ) -> Result<SseStream, Error> {
        if topics.is_empty() {
            return Err(Error::NoTopics);
        }
        if topics.len() > MAX_TOPICS {
            return Err(Error::TooManyTopics {
                count: topics.len(),
                max: MAX_TOPICS,
            });
        }
        let (token, mut reload) = match resume {
            Resume::Fresh => (None, None),
            Resume::Token(text) => match ResumeToken::parse(text, &topics) {
                Ok(token) => (Some(token), None),
                Err(error) => (None, Some(error.to_string())),
            },
            Resume::Invalid(error) => (None, Some(error.to_string())),
        };
        let mut subscription: Option<Subscription> = None;
        for (index, topic) in topics.iter().enumerate() {
            let since = match &token {
                Some(token) => {
                    if let Some(position) = token.position(index) {
                        Since::After(position)
                    } else {
                        reload.get_or_insert_with(|| format!("no position for `{topic}`"));
                        Since::Now
                    }
                }
                None => Since::Now,
            };
            let recovery = match subscription.as_mut() {
                None => {
                    let (opened, recovery) = broker.subscribe_from(topic, since).await?;
                    subscription = Some(opened);
                    recovery
                }
                Some(open) => broker.add_topic_from(open, topic, since).await?,
            };
            if let Recovery::Unrecoverable(why) = recovery {
                reload.get_or_insert_with(|| format!("`{topic}`: {why}"));
            }
        }
        let subscription = subscription.ok_or(Error::NoTopics)?;
        Ok(self.open(subscription, topics, reload))
    }

    /// A stream of a subscription made by the app (a typed one through
    /// [`TypedSubscription::into_inner`](pubsub_core::TypedSubscription::into_inner)): the same
    /// events, ids and keep-alives, its topics numbered in name order.
    pub fn from_subscription(&self, subscription: Subscription) -> SseStream {
        let mut topics: Vec<Topic> = subscription.topics().cloned().collect();
        topics.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
        topics.truncate(MAX_TOPICS);
        self.open(subscription, topics, None)
    }

    /// A stream of the app's own events (server-rendered updates, say): each item an event
    /// name and its data, with the same keep-alives and the same clean end on shutdown; no
    /// ids and no resume (the app's events have no positions). The stream ends when `events`
    /// does. An item whose name cannot be an SSE event name (empty, or with a line break) is
    /// skipped.
    ///
    /// ```
    /// use futures_util::stream;
    /// use pubsub_axum::Sse;
    /// let updates = stream::iter([("update", r#"{"html":"<p>hi</p>"}"#.to_owned())]);
    /// let response = Sse::new().events(updates);
    /// # drop(response);
    /// ```
    pub fn events<N, S>(&self, events: S) -> SseStream
    where
        N: AsRef<str>,
        S: Stream<Item = (N, String)> + Send + 'static,
    {
        let events = events.filter_map(|(name, data)| {
            let mut buf = BytesMut::new();
            let framed = frame::push_event(&mut buf, None, name.as_ref(), &data);
            if !framed {
                tracing::warn!("an event without a valid name is skipped");
            }
            std::future::ready(framed.then(|| buf.freeze()))
        });
        SseStream {
            state: State {
                source: Source::App(Box::pin(events)),
                keep_alive: self.keep_alive,
                sleep: None,
                shutdown: self.shutdown.clone(),
                first: None,
            },
        }
    }

    fn open(
        &self,
        subscription: Subscription,
        topics: Vec<Topic>,
        reload: Option<String>,
    ) -> SseStream {
        let token = ResumeToken::empty(topics.len());
        let hash = topics_hash(&topics);
        let mut topics = Followed {
            token,
            hash,
            id: String::new(),
            topics,
            subscription,
        };
        let mut first = BytesMut::new();
        frame::push_event(&mut first, Some(topics.refresh_token()), "$open", "{}");
        if let Some(reason) = reload {
            push_reload(&mut first, &reason);
        }
        SseStream {
            state: State {
                source: Source::Topics(Box::new(topics)),
                keep_alive: self.keep_alive,
                sleep: None,
                shutdown: self.shutdown.clone(),
                first: Some(first.freeze()),
            },
        }
    }
}

fn push_reload(buf: &mut BytesMut, reason: &str) {
    let data = serde_json::json!({ "reason": reason }).to_string();
    frame::push_event(buf, None, "$reload", &data);
}

/// Where a request asks its stream to resume from: the `Last-Event-ID` header (an
/// `EventSource`'s own reconnect), else the [`SINCE_PARAM`] query parameter (the JavaScript
/// client's). An extractor that never rejects: a value that is too long or not ASCII is kept as
/// [`Resume::Invalid`], and answered with a `$reload`.
///
/// ```
/// use axum::extract::State;
/// use axum::response::IntoResponse;
/// use pubsub_axum::{Resume, Sse};
/// use pubsub_core::{MemoryBroker, Topic};
///
/// async fn live(State((broker, sse)): State<(MemoryBroker, Sse)>, resume: Resume) -> impl IntoResponse {
///     let topics = vec![Topic::from_static("docs:all")];
///     sse.stream(&broker, topics, &resume).await
/// }
/// # let _: axum::Router = axum::Router::new().route("/live", axum::routing::get(live)).with_state((MemoryBroker::new(), Sse::new()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resume {
    /// A first connection.
    #[default]
    Fresh,
    /// A token to resume from (checked against the topics when the stream opens).
    Token(String),
    /// A token that could not be read at all.
    Invalid(TokenError),
}

impl Resume {
    /// Reads a raw token (a header's or a query parameter's value), bounded.
    pub fn from_raw(raw: &[u8]) -> Resume {
        if raw.is_empty() {
            return Resume::Fresh;
        }
        if raw.len() > MAX_TOKEN_LEN {
            return Resume::Invalid(TokenError::TooLong);
        }
        match std::str::from_utf8(raw) {
            Ok(text) => Resume::Token(text.to_owned()),
            Err(_) => Resume::Invalid(TokenError::Malformed),
        }
    }

    /// The resume asked for by a request's headers and query.
    pub fn from_parts(parts: &Parts) -> Resume {
        if let Some(value) = parts.headers.get("last-event-id") {
            return Resume::from_raw(value.as_bytes());
        }
        let query = parts.uri.query().unwrap_or("");
        for pair in query.split('&') {
            if let Some(value) = pair
                .strip_prefix(SINCE_PARAM)
                .and_then(|rest| rest.strip_prefix('='))
            {
                // A token needs no escapes, but a client may escape every byte.
                if value.len() > 3 * MAX_TOKEN_LEN {
                    return Resume::Invalid(TokenError::TooLong);
                }
                return match percent_decode(value.as_bytes()) {
                    Some(raw) => Resume::from_raw(&raw),
                    None => Resume::Invalid(TokenError::Malformed),
                };
            }
        }
        Resume::Fresh
    }
}

/// `%XX` escapes decoded; `None` for a broken escape.
fn percent_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter();
    while let Some(&byte) = bytes.next() {
        if byte == b'%' {
            let high = char::from(*bytes.next()?).to_digit(16)?;
            let low = char::from(*bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(high * 16 + low).ok()?);
        } else {
            out.push(byte);
        }
    }
    Some(out)
}

impl<S: Send + Sync> FromRequestParts<S> for Resume {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Resume::from_parts(parts))
    }
}

/// One open stream: an axum response (`text/event-stream`) whose body follows the subscription.
#[derive(Debug)]
pub struct SseStream {
    state: State,
}

impl SseStream {
    /// The body alone (for tests and custom responses).
    pub fn into_body(self) -> Body {
        let stream = futures_util::stream::unfold(self.state, |mut state| async move {
            state
                .next()
                .await
                .map(|bytes| (Ok::<_, Infallible>(bytes), state))
        });
        Body::from_stream(stream)
    }
}

impl IntoResponse for SseStream {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.into_body());
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        // Proxies that buffer (nginx) would hold events back.
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

struct State {
    source: Source,
    keep_alive: Duration,
    /// Made on the first poll, inside the runtime.
    sleep: Option<Pin<Box<Sleep>>>,
    shutdown: CancellationToken,
    first: Option<Bytes>,
}

/// Where a stream's events come from.
enum Source {
    /// Topics through a subscription, with resume tokens.
    Topics(Box<Followed>),
    /// The app's own events, already framed.
    App(Pin<Box<dyn Stream<Item = Bytes> + Send>>),
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Topics(topics) => topics.topics.len(),
            Source::App(_) => 0,
        };
        f.debug_struct("SseStream")
            .field("topics", &source)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl State {
    /// The next chunk of the body; `None` ends it (shutdown, or the source ended).
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        let shutdown = self.shutdown.clone();
        let keep_alive = self.keep_alive;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(keep_alive)));
        let chunk = tokio::select! {
            biased;
            () = shutdown.cancelled() => None,
            chunk = self.source.next() => Some(chunk?),
            () = sleep.as_mut() => Some(Bytes::from_static(frame::KEEP_ALIVE)),
        };
        sleep.as_mut().reset(Instant::now() + keep_alive);
        chunk
    }
}

impl Source {
    async fn next(&mut self) -> Option<Bytes> {
        match self {
            Source::Topics(topics) => topics.next().await,
            Source::App(events) => events.next().await,
        }
    }
}

/// A stream's topics, its subscription and its resume token.
struct Followed {
    subscription: Subscription,
    /// The stream's topics, in the token's order, as it was asked for them ([`Subscription::position`]
    /// finds a tenant's handle's scoped names from them, in place).
    topics: Vec<Topic>,
    token: ResumeToken,
    /// The hash, in every token, of the topics as the stream was asked for them.
    hash: u32,
    /// The last token's text, its buffer kept for the next.
    id: String,
}

impl Followed {
    /// What is buffered, framed in one chunk; `None` when the broker is gone.
    async fn next(&mut self) -> Option<Bytes> {
        let delivery = self.subscription.recv().await?;
        let mut buf = BytesMut::new();
        self.push(delivery, &mut buf);
        for _ in 1..BATCH {
            match self.subscription.try_recv() {
                Ok(delivery) => self.push(delivery, &mut buf),
                Err(_) => break,
            }
        }
        Some(buf.freeze())
    }

    fn push(&mut self, delivery: Delivery<Message>, buf: &mut BytesMut) {
        match delivery {
            Delivery::Message(message) => {
                let json = match message.json() {
                    Ok(json) => json,
                    Err(error) => {
                        tracing::warn!(%error, "an event that cannot be encoded is skipped");
                        return;
                    }
                };
                let id = message.position().map(|_| self.refresh_token());
                if !frame::push_event(buf, id, message.name(), json) {
                    tracing::warn!(
                        name = message.name(),
                        "an event without a valid name is skipped"
                    );
                }
            }
            Delivery::Lagged(missed) => push_reload(buf, &format!("lagged: {missed} missed")),
            Delivery::Gap => push_reload(buf, "gap: messages may have been lost"),
        }
    }

    /// The resume token with every topic's last position now.
    fn refresh_token(&mut self) -> &str {
        for (index, topic) in self.topics.iter().enumerate() {
            if let Some(position) = self.subscription.position(topic) {
                self.token.set(index, position);
            }
        }
        self.token.encode_into(self.hash, &mut self.id);
        &self.id
    }
}
