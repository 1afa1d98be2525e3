//! The payload structs: exactly the fields SPEC.md names, identifiers and counters only.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Payload of `interaction_created`, `interaction_updated` and `interaction_deleted`.
///
/// ```
/// # use crm_events::InteractionPayload;
/// let payload = InteractionPayload { interaction_uuid: uuid::Uuid::new_v4() };
/// assert_ne!(payload.interaction_uuid, uuid::Uuid::nil());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InteractionPayload {
    /// The interaction that changed; the feed re-fetches it (or drops it when it is gone).
    pub interaction_uuid: Uuid,
}

/// Payload of `company_visibility_changed`.
///
/// ```
/// # use crm_events::CompanyVisibilityPayload;
/// let payload = CompanyVisibilityPayload { company_uuid: uuid::Uuid::new_v4() };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CompanyVisibilityPayload {
    /// The company whose interactions' visibility changed.
    pub company_uuid: Uuid,
}

/// Payload of `member_joined`, `member_left` and `member_changed` (a company's roster).
///
/// ```
/// # use crm_events::CompanyMemberPayload;
/// let payload = CompanyMemberPayload { contact_uuid: uuid::Uuid::new_v4() };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CompanyMemberPayload {
    /// The contact who joined, left or changed role.
    pub contact_uuid: Uuid,
}

/// Payload of `list_created`, `list_updated`, `list_archived`, `list_unarchived` and
/// `list_recounted`.
///
/// ```
/// # use crm_events::ListPayload;
/// let payload = ListPayload {
///     list_uuid: uuid::Uuid::new_v4(),
///     subscriber_count: 120,
///     status: "active".to_owned(),
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListPayload {
    /// The list.
    pub list_uuid: Uuid,
    /// Its subscriber count after the change.
    pub subscriber_count: u64,
    /// Its status after the change, as the application names it (`"active"`, `"archived"`).
    pub status: String,
}

/// Payload of `member_added` and `member_removed` (a mailing list's membership).
///
/// ```
/// # use crm_events::ListMemberPayload;
/// let payload = ListMemberPayload {
///     list_uuid: uuid::Uuid::new_v4(),
///     member_uuid: uuid::Uuid::new_v4(),
///     subscriber_count: 121,
///     status: "active".to_owned(),
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListMemberPayload {
    /// The list.
    pub list_uuid: Uuid,
    /// The membership that was added or removed.
    pub member_uuid: Uuid,
    /// The list's subscriber count after the change.
    pub subscriber_count: u64,
    /// The list's status after the change.
    pub status: String,
}

/// Payload of `list_locale_applied`.
///
/// ```
/// # use crm_events::ListLocalePayload;
/// let payload = ListLocalePayload {
///     list_uuid: uuid::Uuid::new_v4(),
///     locale: "de".to_owned(),
///     mode: "missing_only".to_owned(),
///     updated_count: 17,
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListLocalePayload {
    /// The list.
    pub list_uuid: Uuid,
    /// The locale applied (`"de"`).
    pub locale: String,
    /// How it was applied, as the application names the mode.
    pub mode: String,
    /// How many members were updated.
    pub updated_count: u64,
}

/// Payload of `contact_opt_out` and `contact_opt_in`.
///
/// `opted_out_at` is the contact's opt-out time after the change, as the RFC 3339 text the
/// application stores (`"2024-05-01T09:30:00Z"`); opting in clears it, so it is `None` (JSON
/// `null`) then.
///
/// ```
/// # use crm_events::ContactOptPayload;
/// let payload = ContactOptPayload {
///     contact_uuid: uuid::Uuid::new_v4(),
///     opted_out_at: Some("2024-05-01T09:30:00Z".to_owned()),
/// };
/// # let _ = payload;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactOptPayload {
    /// The contact.
    pub contact_uuid: Uuid,
    /// When the contact opted out; `None` once opted in.
    pub opted_out_at: Option<String>,
}
