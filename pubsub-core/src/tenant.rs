//! Tenant scoping: [`TenantKey`], the [`Scoped`] wrapper that threads a tenant into every topic,
//! and [`MultiTenant`], the mode that refuses unscoped topics.
//!
//! The PhoenixKit modules call tenant scoping a framework-wide gap and sketch its shape: the
//! tenant goes right after a topic's first segment, so `projects:all` becomes
//! `projects:org:<tenant>:all` and `phoenix_kit_catalogue` becomes
//! `phoenix_kit_catalogue:org:<tenant>`. The domain crates' topic functions work unchanged: the
//! wrapper rewrites every topic it publishes or subscribes to.
//!
//! Isolation rests on two facts, both tested: a tenant key is a single segment of
//! `[A-Za-z0-9_-]` (no `:`, no whitespace, no look-alike of `:`), so a scoped topic names exactly
//! one tenant; and every topic a [`Scoped`] broker touches is scoped with its own tenant, so
//! nothing it publishes reaches another tenant's subscriptions, and nothing it subscribes to
//! receives another tenant's publishes.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::broker::Broker;
use crate::error::Error;
use crate::history::{Recovery, Since};
use crate::message::Message;
use crate::subscription::Subscription;
use crate::topic::{SEPARATOR, Topic};

/// The segment that marks a tenant scope, as in the seeds' `projects:org:<org_id>:all`.
pub const SCOPE_SEGMENT: &str = "org";

/// The longest tenant key accepted, in bytes.
pub const MAX_TENANT_LEN: usize = 64;

/// Why a tenant key was refused.
///
/// ```
/// use pubsub_core::{TenantError, TenantKey};
/// assert!(matches!(TenantKey::new("acme:all"), Err(TenantError::InvalidChar { ch: ':', .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    /// The key was empty.
    #[error("tenant key is empty")]
    Empty,
    /// The key is longer than [`MAX_TENANT_LEN`] bytes.
    #[error("tenant key is {len} bytes long, more than the maximum of {max}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The maximum, [`MAX_TENANT_LEN`].
        max: usize,
    },
    /// The key holds a character other than ASCII letters, digits, `-` and `_`.
    #[error(
        "tenant key `{key}` has {ch:?} at byte {position}; only ASCII letters, digits, `-` and `_` are allowed"
    )]
    InvalidChar {
        /// The refused key.
        key: String,
        /// The offending character.
        ch: char,
        /// Its byte offset.
        position: usize,
    },
}

/// A validated tenant identifier (an organisation's id or slug), one topic segment long.
///
/// Only ASCII letters, digits, `-` and `_`, 1 to [`MAX_TENANT_LEN`] bytes: nothing that could
/// close the segment early (`:` or any Unicode look-alike of it), hide in whitespace, or be
/// confused with another key. UUIDs fit.
///
/// ```
/// use pubsub_core::TenantKey;
///
/// let acme = TenantKey::new("acme")?;
/// assert_eq!(acme.as_str(), "acme");
/// assert!(TenantKey::new("6f1c2a9e-0b7d-4c1e-9a55-2f7a1d3e4b5c").is_ok());
/// assert!(TenantKey::new("acme:all").is_err());
/// assert!(TenantKey::new("acme\u{ff1a}all").is_err()); // fullwidth colon
/// # Ok::<(), pubsub_core::TenantError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantKey(Box<str>);

impl TenantKey {
    /// Validates `key`.
    ///
    /// # Errors
    ///
    /// A [`TenantError`] naming the rule `key` breaks.
    pub fn new(key: impl AsRef<str>) -> Result<Self, TenantError> {
        let key = key.as_ref();
        if key.is_empty() {
            return Err(TenantError::Empty);
        }
        if key.len() > MAX_TENANT_LEN {
            return Err(TenantError::TooLong {
                len: key.len(),
                max: MAX_TENANT_LEN,
            });
        }
        if let Some((position, ch)) = key
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(TenantError::InvalidChar {
                key: key.to_owned(),
                ch,
                position,
            });
        }
        Ok(TenantKey(key.into()))
    }

    /// Whether `key` is a valid tenant key (what [`new`](Self::new) accepts).
    fn is_valid(key: &str) -> bool {
        !key.is_empty()
            && key.len() <= MAX_TENANT_LEN
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `topic` scoped to this tenant: `org:<key>` inserted after its first segment.
    ///
    /// ```
    /// use pubsub_core::{TenantKey, Topic};
    /// let acme = TenantKey::new("acme")?;
    /// assert_eq!(acme.scope(&Topic::new("projects:all")?)?.as_str(), "projects:org:acme:all");
    /// assert_eq!(
    ///     acme.scope(&Topic::new("phoenix_kit_catalogue")?)?.as_str(),
    ///     "phoenix_kit_catalogue:org:acme"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`TopicError::TooLong`](crate::TopicError::TooLong) when the scoped name exceeds the
    /// maximum topic length.
    pub fn scope(&self, topic: &Topic) -> Result<Topic, crate::TopicError> {
        let name = topic.as_str();
        let (first, rest) = match name.split_once(SEPARATOR) {
            Some((first, rest)) => (first, Some(rest)),
            None => (name, None),
        };
        let mut scoped = String::with_capacity(name.len() + SCOPE_SEGMENT.len() + self.0.len() + 2);
        scoped.push_str(first);
        scoped.push(SEPARATOR);
        scoped.push_str(SCOPE_SEGMENT);
        scoped.push(SEPARATOR);
        scoped.push_str(&self.0);
        if let Some(rest) = rest {
            scoped.push(SEPARATOR);
            scoped.push_str(rest);
        }
        Topic::try_from(scoped)
    }

    /// Whether `scoped` is [`scope`](Self::scope) of `topic`, compared in place (no name is
    /// built): what a lookup of an unscoped name among scoped ones needs, per message.
    pub(crate) fn is_scope_of(&self, scoped: &str, topic: &str) -> bool {
        let (first, rest) = match topic.split_once(SEPARATOR) {
            Some((first, rest)) => (first, Some(rest)),
            None => (topic, None),
        };
        let Some(after) = scoped
            .strip_prefix(first)
            .and_then(|s| s.strip_prefix(SEPARATOR))
            .and_then(|s| s.strip_prefix(SCOPE_SEGMENT))
            .and_then(|s| s.strip_prefix(SEPARATOR))
            .and_then(|s| s.strip_prefix(self.0.as_ref()))
        else {
            return false;
        };
        match rest {
            None => after.is_empty(),
            Some(rest) => after
                .strip_prefix(SEPARATOR)
                .is_some_and(|after| after == rest),
        }
    }
}

impl fmt::Display for TenantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TenantKey {
    type Err = TenantError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TenantKey::new(s)
    }
}

/// The tenant a topic is scoped to, if it has the scoped shape `<first>:org:<tenant>[:...]`.
///
/// ```
/// use pubsub_core::{Topic, tenant_of};
/// assert_eq!(tenant_of(&Topic::new("projects:org:acme:all")?).map(|t| t.to_string()), Some("acme".into()));
/// assert!(tenant_of(&Topic::new("projects:all")?).is_none());
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
pub fn tenant_of(topic: &Topic) -> Option<TenantKey> {
    scope_of(topic).map(|key| TenantKey(key.into()))
}

/// The tenant segment of a scoped topic, without allocating (see [`tenant_of`]).
pub(crate) fn scope_of(topic: &Topic) -> Option<&str> {
    let mut segments = topic.segments();
    segments.next()?;
    if segments.next()? != SCOPE_SEGMENT {
        return None;
    }
    segments.next().filter(|key| TenantKey::is_valid(key))
}

/// A broker handle for one tenant: every topic it publishes or subscribes to is scoped with the
/// tenant (see [`TenantKey::scope`]), around any [`Broker`], in-memory or networked.
///
/// Subscriptions it makes hold the scoped topics (what
/// [`Subscription::topics`](crate::Subscription::topics) shows) and remember the tenant
/// ([`Subscription::scope`](crate::Subscription::scope)): a topic of another tenant cannot be
/// added to them, through any handle ([`Error::ForeignScope`]). Add and remove topics through
/// this wrapper, with unscoped names, as when subscribing.
///
/// Cloning is cheap when the inner broker's clone is (a [`MemoryBroker`](crate::MemoryBroker),
/// a `RedisBroker`, an `Arc`): a handle from [`MultiTenant::for_tenant`] owns its broker, so it
/// can move into a spawned task (an SSE stream, a WebSocket connection).
///
/// ```
/// use pubsub_core::{BrokerExt, MemoryBroker, MultiTenant, TenantKey, Topic, TypedTopic};
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Saved;
/// # impl pubsub_core::Event for Saved { const DOMAIN: &'static str = "docs"; fn name(&self) -> &'static str { "saved" } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = MultiTenant::new(MemoryBroker::new());
/// let acme = broker.for_tenant(TenantKey::new("acme")?);
/// let globex = broker.for_tenant(TenantKey::new("globex")?);
/// let all = TypedTopic::<Saved>::new(Topic::new("docs:all")?);
///
/// let mut acme_screen = acme.subscribe_events(&all).await?;
/// let mut globex_screen = globex.subscribe_events(&all).await?;
/// acme.publish_event(&all, Saved).await?;
///
/// assert!(acme_screen.try_recv().is_ok());
/// assert!(globex_screen.try_recv().is_err()); // another tenant: nothing
///
/// // Another tenant's handle cannot add its topics to acme's subscription.
/// assert!(globex.add_event_topic(&mut acme_screen, &all).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Scoped<B> {
    inner: B,
    tenant: Arc<TenantKey>,
}

impl<B> Scoped<B> {
    /// Scopes `inner` to `tenant`.
    pub fn new(inner: B, tenant: TenantKey) -> Self {
        Scoped {
            inner,
            tenant: Arc::new(tenant),
        }
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantKey {
        &self.tenant
    }

    /// The wrapped broker.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }

    /// The wrapped broker, by value.
    pub fn into_inner(self) -> B {
        self.inner
    }

    fn scope(&self, topic: &Topic) -> Result<Topic, Error> {
        Ok(self.tenant.scope(topic)?)
    }
}

#[async_trait]
impl<B: Broker> Broker for Scoped<B> {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        let scoped = self.scope(topic)?;
        self.inner.publish(&scoped, message).await
    }

    // Subscribing is subscribing from now: the scoping lives once, in the `_from` methods.
    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        Ok(self.subscribe_from(topic, Since::Now).await?.0)
    }

    async fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.add_topic_from(subscription, topic, Since::Now)
            .await
            .map(drop)
    }

    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        self.scope(topic)
            .is_ok_and(|scoped| self.inner.remove_topic(subscription, &scoped))
    }

    async fn subscribe_from(
        &self,
        topic: &Topic,
        since: Since,
    ) -> Result<(Subscription, Recovery), Error> {
        let scoped = self.scope(topic)?;
        let (mut subscription, recovery) = self.inner.subscribe_from(&scoped, since).await?;
        subscription.scope_to(&self.tenant);
        Ok((subscription, recovery))
    }

    async fn add_topic_from(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<Recovery, Error> {
        let scoped = self.scope(topic)?;
        if subscription.topic_count() == 0 && subscription.scope().is_none() {
            subscription.scope_to(&self.tenant);
        }
        self.inner
            .add_topic_from(subscription, &scoped, since)
            .await
    }
}

/// Multi-tenant mode: a broker that refuses any publish or subscription whose topic has no tenant
/// scope, with [`Error::Unscoped`] (the seeds' "subscribe raises if the scope is missing").
///
/// Give each request or screen a [`Scoped`] handle from [`for_tenant`](Self::for_tenant); a code
/// path that forgot to scope fails loudly instead of leaking across tenants. A subscription made
/// here is scoped to its first topic's tenant and refuses topics of any other. Single-tenant apps
/// use the inner broker directly, with today's global topics.
///
/// ```
/// use pubsub_core::{Broker, Error, MemoryBroker, MultiTenant, Topic};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = MultiTenant::new(MemoryBroker::new());
/// let err = broker.subscribe(&Topic::new("projects:all")?).await.unwrap_err();
/// assert!(matches!(err, Error::Unscoped { .. }));
///
/// let mut acme = broker.subscribe(&Topic::new("projects:org:acme:all")?).await?;
/// let err = broker.add_topic(&mut acme, &Topic::new("projects:org:globex:all")?).await.unwrap_err();
/// assert!(matches!(err, Error::ForeignScope { .. }));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MultiTenant<B> {
    inner: B,
}

impl<B> MultiTenant<B> {
    /// Puts `inner` in multi-tenant mode.
    pub fn new(inner: B) -> Self {
        MultiTenant { inner }
    }

    /// An owned handle scoped to `tenant`: cheap to clone, `'static` when the broker is, so it
    /// can move into a spawned task.
    ///
    /// ```
    /// use pubsub_core::{Broker, MemoryBroker, MultiTenant, TenantKey, Topic};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let broker = MultiTenant::new(MemoryBroker::new());
    /// let acme = broker.for_tenant(TenantKey::new("acme")?);
    /// let task = tokio::spawn(async move {
    ///     // e.g. an SSE stream for one of acme's screens
    ///     acme.subscribe(&Topic::new("projects:all")?).await.map(drop)
    /// });
    /// task.await??;
    /// # Ok(()) }
    /// ```
    pub fn for_tenant(&self, tenant: TenantKey) -> Scoped<Self>
    where
        B: Clone,
    {
        Scoped::new(self.clone(), tenant)
    }

    /// A handle scoped to `tenant` that borrows this broker (for brokers that do not clone).
    pub fn for_tenant_ref(&self, tenant: TenantKey) -> Scoped<&Self> {
        Scoped::new(self, tenant)
    }

    /// The wrapped broker.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }

    /// The wrapped broker, by value.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

fn require_scope(topic: &Topic) -> Result<(), Error> {
    if scope_of(topic).is_some() {
        Ok(())
    } else {
        Err(Error::Unscoped {
            topic: topic.as_str().to_owned(),
        })
    }
}

/// Scopes a subscription that holds no topic yet to `topic`'s tenant.
fn scope_from(subscription: &mut Subscription, topic: &Topic) {
    if subscription.scope().is_none() {
        if let Some(tenant) = tenant_of(topic) {
            subscription.scope_to(&Arc::new(tenant));
        }
    }
}

#[async_trait]
impl<B: Broker> Broker for MultiTenant<B> {
    async fn publish(&self, topic: &Topic, message: Message) -> Result<(), Error> {
        require_scope(topic)?;
        self.inner.publish(topic, message).await
    }

    // As for `Scoped`: the checks live once, in the `_from` methods.
    async fn subscribe(&self, topic: &Topic) -> Result<Subscription, Error> {
        Ok(self.subscribe_from(topic, Since::Now).await?.0)
    }

    async fn add_topic(&self, subscription: &mut Subscription, topic: &Topic) -> Result<(), Error> {
        self.add_topic_from(subscription, topic, Since::Now)
            .await
            .map(drop)
    }

    fn remove_topic(&self, subscription: &mut Subscription, topic: &Topic) -> bool {
        self.inner.remove_topic(subscription, topic)
    }

    async fn subscribe_from(
        &self,
        topic: &Topic,
        since: Since,
    ) -> Result<(Subscription, Recovery), Error> {
        require_scope(topic)?;
        let (mut subscription, recovery) = self.inner.subscribe_from(topic, since).await?;
        scope_from(&mut subscription, topic);
        Ok((subscription, recovery))
    }

    async fn add_topic_from(
        &self,
        subscription: &mut Subscription,
        topic: &Topic,
        since: Since,
    ) -> Result<Recovery, Error> {
        require_scope(topic)?;
        if subscription.topic_count() == 0 {
            scope_from(subscription, topic);
        }
        self.inner.add_topic_from(subscription, topic, since).await
    }
}

#[cfg(test)]
mod tests;
