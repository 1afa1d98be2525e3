//! Authorization of channel joins: the hook an application implements.

use std::borrow::Cow;
use std::fmt;

use async_trait::async_trait;
use pubsub_core::{TenantKey, Topic};

/// What a client asked to join: the topic, and the join's `params` (a fresh token, say: a
/// client sends them again on every rejoin, so they are checked again each time).
#[derive(Debug, Clone, Copy)]
pub struct Join<'a> {
    /// The topic, as the client named it (validated).
    pub topic: &'a Topic,
    /// The join frame's `params`, `null` when it had none; bounded by the frame size.
    pub params: &'a serde_json::Value,
}

/// A refused join: the reason goes to the client, in the join's reply.
///
/// ```
/// use pubsub_axum::Refusal;
/// assert_eq!(Refusal::unauthorized().reason(), "unauthorized");
/// assert_eq!(Refusal::new("not a member").reason(), "not a member");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    reason: Cow<'static, str>,
}

impl Refusal {
    /// A refusal with this reason (at most 200 bytes are sent).
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Refusal {
            reason: reason.into(),
        }
    }

    /// `unauthorized`, as Phoenix answers.
    pub fn unauthorized() -> Self {
        Refusal::new("unauthorized")
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Who a connection is on a topic it joined, for the topic's presence (see
/// [`Authorize::presence`]): a key (a user id: a user in two tabs is one key) and metadata.
///
/// ```
/// use pubsub_axum::Tracking;
/// let ada = Tracking::new("user:1", serde_json::json!({"name": "Ada"}));
/// assert_eq!(ada.key, "user:1");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    /// The presence key.
    pub key: String,
    /// The presence metadata.
    pub meta: serde_json::Value,
}

impl Tracking {
    /// A presence of `key` with `meta`.
    pub fn new(key: impl Into<String>, meta: serde_json::Value) -> Self {
        Tracking {
            key: key.into(),
            meta,
        }
    }
}

/// Decides, per join, whether a connection may receive a topic.
///
/// `S` is what the app extracted from the upgrade request (a session, a user, a tenant): the
/// connection keeps it and hands it to every decision. The gateway itself refuses, before
/// asking, a topic that names another tenant than [`tenant`](Self::tenant)'s.
///
/// ```
/// use async_trait::async_trait;
/// use pubsub_axum::{Authorize, Join, Refusal};
/// use pubsub_core::TenantKey;
///
/// struct Session { user: u32, tenant: TenantKey }
/// struct Rules;
///
/// #[async_trait]
/// impl Authorize<Session> for Rules {
///     fn tenant<'s>(&self, session: &'s Session) -> Option<&'s TenantKey> {
///         Some(&session.tenant)
///     }
///     async fn join(&self, session: &Session, join: Join<'_>) -> Result<(), Refusal> {
///         // e.g. ask the database whether the user sees this record
///         if join.topic.as_str().ends_with(":admin") && session.user != 1 {
///             return Err(Refusal::unauthorized());
///         }
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Authorize<S>: Send + Sync + 'static {
    /// The session's tenant, when the app is multi-tenant: a join of a topic scoped to any
    /// other tenant, or of an unscoped topic, is refused (`forbidden`) without asking
    /// [`join`](Self::join). `None` (the default): single-tenant, every topic goes to `join`.
    fn tenant<'s>(&self, session: &'s S) -> Option<&'s TenantKey> {
        let _ = session;
        None
    }

    /// Whether `session` may join. Implementors must answer in bounded time: the connection
    /// reads its next frame once this returns.
    async fn join(&self, session: &S, join: Join<'_>) -> Result<(), Refusal>;

    /// What to track in the topic's presence for `session` on a join this allowed, when the
    /// channels have a presence node (`Channels::presence`, feature `presence`); untracked when
    /// the connection leaves the topic or ends. `None` (the default): nothing is tracked.
    ///
    /// ```
    /// use pubsub_axum::{Authorize, Join, Refusal, Tracking};
    /// struct Rules;
    /// #[async_trait::async_trait]
    /// impl Authorize<String> for Rules {
    ///     async fn join(&self, _: &String, _: Join<'_>) -> Result<(), Refusal> { Ok(()) }
    ///     fn presence(&self, user: &String, _join: Join<'_>) -> Option<Tracking> {
    ///         Some(Tracking::new(user.clone(), serde_json::json!({"name": user})))
    ///     }
    /// }
    /// ```
    fn presence(&self, session: &S, join: Join<'_>) -> Option<Tracking> {
        let _ = (session, join);
        None
    }
}

/// Allows every join (still refusing other tenants' topics: there are none without a tenant).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

#[async_trait]
impl<S: Send + Sync> Authorize<S> for AllowAll {
    async fn join(&self, _session: &S, _join: Join<'_>) -> Result<(), Refusal> {
        Ok(())
    }
}

/// A synchronous rule as an [`Authorize`]: `allow_if(|session, topic| ...)`.
///
/// ```
/// use pubsub_axum::allow_if;
/// let rules = allow_if(|user: &u32, topic| *user == 1 || !topic.as_str().starts_with("admin:"));
/// # drop(rules);
/// ```
pub fn allow_if<S, F>(rule: F) -> AllowIf<F>
where
    F: Fn(&S, &Topic) -> bool + Send + Sync + 'static,
{
    AllowIf(rule)
}

/// See [`allow_if`].
#[derive(Clone, Copy)]
pub struct AllowIf<F>(F);

impl<F> fmt::Debug for AllowIf<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AllowIf")
    }
}

#[async_trait]
impl<S, F> Authorize<S> for AllowIf<F>
where
    S: Send + Sync,
    F: Fn(&S, &Topic) -> bool + Send + Sync + 'static,
{
    async fn join(&self, session: &S, join: Join<'_>) -> Result<(), Refusal> {
        if (self.0)(session, join.topic) {
            Ok(())
        } else {
            Err(Refusal::unauthorized())
        }
    }
}
