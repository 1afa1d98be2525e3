//! The wire enum [`CrmEvent`], its payloads, and the small "kind" enums each broadcast function
//! takes, so a function only accepts the events its rule covers.

use pubsub_core::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every CRM event, as subscribers receive it (Elixir: `{:crm, :interaction_created, %{..}}`).
///
/// The wire form is `{"event": "<atom text>", "payload": {..}}`; unknown payload fields are
/// ignored, and an unknown event name is a decode error that names it.
///
/// ```
/// use crm_events::{CrmEvent, InteractionPayload};
/// # fn main() -> Result<(), serde_json::Error> {
/// let id = uuid::Uuid::nil();
/// let event = CrmEvent::InteractionCreated(InteractionPayload { interaction_uuid: id });
/// assert_eq!(
///     serde_json::to_string(&event)?,
///     r#"{"event":"interaction_created","payload":{"interaction_uuid":"00000000-0000-0000-0000-000000000000"}}"#
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum CrmEvent {
    /// `interaction_created`: an interaction was logged.
    InteractionCreated(InteractionPayload),
    /// `interaction_updated`: an interaction was edited (possibly changing who is involved).
    InteractionUpdated(InteractionPayload),
    /// `interaction_deleted`: an interaction was removed.
    InteractionDeleted(InteractionPayload),
    /// `company_visibility_changed`: a company's interactions became visible or hidden in the
    /// feeds of its contacts.
    CompanyVisibilityChanged(CompanyVisibilityPayload),
    /// `member_joined`: a contact joined a company.
    MemberJoined(CompanyMemberPayload),
    /// `member_left`: a contact left a company.
    MemberLeft(CompanyMemberPayload),
    /// `member_changed`: a contact's role in a company changed.
    MemberChanged(CompanyMemberPayload),
    /// `list_created`: a mailing list was created.
    ListCreated(ListPayload),
    /// `list_updated`: a mailing list was edited.
    ListUpdated(ListPayload),
    /// `list_archived`: a mailing list was archived.
    ListArchived(ListPayload),
    /// `list_unarchived`: a mailing list was restored from the archive.
    ListUnarchived(ListPayload),
    /// `list_recounted`: a mailing list's subscriber count was recomputed.
    ListRecounted(ListPayload),
    /// `member_added`: a contact was added to a mailing list.
    MemberAdded(ListMemberPayload),
    /// `member_removed`: a contact was removed from a mailing list.
    MemberRemoved(ListMemberPayload),
    /// `list_locale_applied`: a locale was applied to a mailing list's members.
    ListLocaleApplied(ListLocalePayload),
    /// `contact_opt_out`: a contact opted out of mailings.
    ContactOptOut(ContactOptPayload),
    /// `contact_opt_in`: a contact opted back in.
    ContactOptIn(ContactOptPayload),
}

impl Event for CrmEvent {
    const DOMAIN: &'static str = "crm";

    fn name(&self) -> &'static str {
        match self {
            CrmEvent::InteractionCreated(_) => "interaction_created",
            CrmEvent::InteractionUpdated(_) => "interaction_updated",
            CrmEvent::InteractionDeleted(_) => "interaction_deleted",
            CrmEvent::CompanyVisibilityChanged(_) => "company_visibility_changed",
            CrmEvent::MemberJoined(_) => "member_joined",
            CrmEvent::MemberLeft(_) => "member_left",
            CrmEvent::MemberChanged(_) => "member_changed",
            CrmEvent::ListCreated(_) => "list_created",
            CrmEvent::ListUpdated(_) => "list_updated",
            CrmEvent::ListArchived(_) => "list_archived",
            CrmEvent::ListUnarchived(_) => "list_unarchived",
            CrmEvent::ListRecounted(_) => "list_recounted",
            CrmEvent::MemberAdded(_) => "member_added",
            CrmEvent::MemberRemoved(_) => "member_removed",
            CrmEvent::ListLocaleApplied(_) => "list_locale_applied",
            CrmEvent::ContactOptOut(_) => "contact_opt_out",
            CrmEvent::ContactOptIn(_) => "contact_opt_in",
        }
    }
}

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

/// Which interaction event to send: the kind taken by
/// [`broadcast_interaction`](crate::broadcast_interaction) and
/// [`broadcast_interaction_to`](crate::broadcast_interaction_to).
///
/// ```
/// use crm_events::{CrmEvent, InteractionChange, InteractionPayload};
/// let id = uuid::Uuid::new_v4();
/// assert_eq!(
///     InteractionChange::Deleted.event(id),
///     CrmEvent::InteractionDeleted(InteractionPayload { interaction_uuid: id })
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InteractionChange {
    /// `interaction_created`.
    Created,
    /// `interaction_updated`.
    Updated,
    /// `interaction_deleted`.
    Deleted,
}

impl InteractionChange {
    /// The wire event for interaction `interaction_uuid`.
    ///
    /// ```
    /// # use crm_events::InteractionChange;
    /// let event = InteractionChange::Created.event(uuid::Uuid::new_v4());
    /// assert_eq!(pubsub_core::Event::name(&event), "interaction_created");
    /// ```
    pub fn event(self, interaction_uuid: Uuid) -> CrmEvent {
        let payload = InteractionPayload { interaction_uuid };
        match self {
            InteractionChange::Created => CrmEvent::InteractionCreated(payload),
            InteractionChange::Updated => CrmEvent::InteractionUpdated(payload),
            InteractionChange::Deleted => CrmEvent::InteractionDeleted(payload),
        }
    }
}

/// Which roster event to send: the kind taken by
/// [`broadcast_company_event`](crate::broadcast_company_event).
///
/// ```
/// use crm_events::{CompanyMemberChange, CompanyMemberPayload, CrmEvent};
/// let contact = uuid::Uuid::new_v4();
/// assert_eq!(
///     CompanyMemberChange::Joined.event(contact),
///     CrmEvent::MemberJoined(CompanyMemberPayload { contact_uuid: contact })
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompanyMemberChange {
    /// `member_joined`.
    Joined,
    /// `member_left`.
    Left,
    /// `member_changed`.
    Changed,
}

impl CompanyMemberChange {
    /// The wire event for contact `contact_uuid`.
    ///
    /// ```
    /// # use crm_events::CompanyMemberChange;
    /// let event = CompanyMemberChange::Left.event(uuid::Uuid::new_v4());
    /// assert_eq!(pubsub_core::Event::name(&event), "member_left");
    /// ```
    pub fn event(self, contact_uuid: Uuid) -> CrmEvent {
        let payload = CompanyMemberPayload { contact_uuid };
        match self {
            CompanyMemberChange::Joined => CrmEvent::MemberJoined(payload),
            CompanyMemberChange::Left => CrmEvent::MemberLeft(payload),
            CompanyMemberChange::Changed => CrmEvent::MemberChanged(payload),
        }
    }
}

/// A kind of `crm:lists` event, paired with the payload type it carries.
///
/// The list events have four payload shapes, so [`broadcast_list_event`](crate::broadcast_list_event)
/// takes a kind and *that kind's* payload: [`ListChange`] with [`ListPayload`],
/// [`ListMemberChange`] with [`ListMemberPayload`], [`ListLocaleChange`] with
/// [`ListLocalePayload`], [`ContactOptChange`] with [`ContactOptPayload`]. A mismatched pair does
/// not compile. The trait is sealed: the four kinds are the whole list.
///
/// ```
/// use crm_events::{ListEventKind, ListMemberChange, ListMemberPayload};
/// let payload = ListMemberPayload {
///     list_uuid: uuid::Uuid::new_v4(),
///     member_uuid: uuid::Uuid::new_v4(),
///     subscriber_count: 3,
///     status: "active".to_owned(),
/// };
/// let event = ListMemberChange::Added.event(payload);
/// assert_eq!(pubsub_core::Event::name(&event), "member_added");
/// ```
pub trait ListEventKind: sealed::Sealed + Copy {
    /// The payload this kind of event carries.
    type Payload;

    /// The wire event.
    fn event(self, payload: Self::Payload) -> CrmEvent;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ListChange {}
    impl Sealed for super::ListMemberChange {}
    impl Sealed for super::ListLocaleChange {}
    impl Sealed for super::ContactOptChange {}
}

/// A change to a mailing list itself; carries a [`ListPayload`].
///
/// ```
/// use crm_events::{CrmEvent, ListChange, ListEventKind, ListPayload};
/// let payload = ListPayload { list_uuid: uuid::Uuid::new_v4(), subscriber_count: 0, status: "archived".into() };
/// assert!(matches!(ListChange::Archived.event(payload), CrmEvent::ListArchived(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListChange {
    /// `list_created`.
    Created,
    /// `list_updated`.
    Updated,
    /// `list_archived`.
    Archived,
    /// `list_unarchived`.
    Unarchived,
    /// `list_recounted`.
    Recounted,
}

impl ListEventKind for ListChange {
    type Payload = ListPayload;

    fn event(self, payload: ListPayload) -> CrmEvent {
        match self {
            ListChange::Created => CrmEvent::ListCreated(payload),
            ListChange::Updated => CrmEvent::ListUpdated(payload),
            ListChange::Archived => CrmEvent::ListArchived(payload),
            ListChange::Unarchived => CrmEvent::ListUnarchived(payload),
            ListChange::Recounted => CrmEvent::ListRecounted(payload),
        }
    }
}

/// A change to a mailing list's membership; carries a [`ListMemberPayload`].
///
/// ```
/// use crm_events::{CrmEvent, ListEventKind, ListMemberChange, ListMemberPayload};
/// let payload = ListMemberPayload {
///     list_uuid: uuid::Uuid::new_v4(),
///     member_uuid: uuid::Uuid::new_v4(),
///     subscriber_count: 0,
///     status: "active".into(),
/// };
/// assert!(matches!(ListMemberChange::Removed.event(payload), CrmEvent::MemberRemoved(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListMemberChange {
    /// `member_added`.
    Added,
    /// `member_removed`.
    Removed,
}

impl ListEventKind for ListMemberChange {
    type Payload = ListMemberPayload;

    fn event(self, payload: ListMemberPayload) -> CrmEvent {
        match self {
            ListMemberChange::Added => CrmEvent::MemberAdded(payload),
            ListMemberChange::Removed => CrmEvent::MemberRemoved(payload),
        }
    }
}

/// A locale applied to a mailing list; carries a [`ListLocalePayload`].
///
/// ```
/// use crm_events::{CrmEvent, ListEventKind, ListLocaleChange, ListLocalePayload};
/// let payload = ListLocalePayload {
///     list_uuid: uuid::Uuid::new_v4(),
///     locale: "fr".into(),
///     mode: "overwrite".into(),
///     updated_count: 2,
/// };
/// assert!(matches!(ListLocaleChange::Applied.event(payload), CrmEvent::ListLocaleApplied(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListLocaleChange {
    /// `list_locale_applied`.
    Applied,
}

impl ListEventKind for ListLocaleChange {
    type Payload = ListLocalePayload;

    fn event(self, payload: ListLocalePayload) -> CrmEvent {
        match self {
            ListLocaleChange::Applied => CrmEvent::ListLocaleApplied(payload),
        }
    }
}

/// A contact opting out of or back into mailings; carries a [`ContactOptPayload`].
///
/// ```
/// use crm_events::{ContactOptChange, ContactOptPayload, CrmEvent, ListEventKind};
/// let payload = ContactOptPayload { contact_uuid: uuid::Uuid::new_v4(), opted_out_at: None };
/// assert!(matches!(ContactOptChange::OptIn.event(payload), CrmEvent::ContactOptIn(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactOptChange {
    /// `contact_opt_out`.
    OptOut,
    /// `contact_opt_in`.
    OptIn,
}

impl ListEventKind for ContactOptChange {
    type Payload = ContactOptPayload;

    fn event(self, payload: ContactOptPayload) -> CrmEvent {
        match self {
            ContactOptChange::OptOut => CrmEvent::ContactOptOut(payload),
            ContactOptChange::OptIn => CrmEvent::ContactOptIn(payload),
        }
    }
}
