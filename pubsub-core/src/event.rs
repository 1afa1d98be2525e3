//! The [`Event`] trait that every domain's event enum implements.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A domain's event type: serialisable, and able to name its domain and itself.
///
/// Domain crates implement it for one enum each (`CrmEvent`, `ProjectsEvent`, ...). The JSON form
/// (used only when a network backend needs it) should be an object with the event's wire name under
/// `"event"` and its payload under `"payload"`, which serde's adjacently tagged enums give:
///
/// ```
/// use pubsub_core::Event;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// #[serde(tag = "event", content = "payload", rename_all = "snake_case")]
/// enum ShopEvent {
///     OrderPlaced { order: u32 },
///     OrderShipped { order: u32 },
/// }
///
/// impl Event for ShopEvent {
///     const DOMAIN: &'static str = "shop";
///     fn name(&self) -> &'static str {
///         match self {
///             ShopEvent::OrderPlaced { .. } => "order_placed",
///             ShopEvent::OrderShipped { .. } => "order_shipped",
///         }
///     }
/// }
///
/// let json = serde_json::to_string(&ShopEvent::OrderPlaced { order: 7 })?;
/// assert_eq!(json, r#"{"event":"order_placed","payload":{"order":7}}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// Implementors must keep `name()` equal to the `"event"` tag serde writes, so logs, metrics and the
/// wire agree.
pub trait Event: Serialize + DeserializeOwned + Debug + Send + Sync + 'static {
    /// The domain tag, as in the Elixir tuple `{:projects, :project_created, %{..}}` (`"projects"`).
    const DOMAIN: &'static str;

    /// The event's wire name, the Elixir atom's text (`"project_created"`).
    fn name(&self) -> &'static str;
}
