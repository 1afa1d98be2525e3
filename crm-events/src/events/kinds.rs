//! The kind enums the broadcast functions take, each mapping into the flat [`CrmEvent`].

use uuid::Uuid;

use super::CrmEvent;
use super::payloads::{
    CompanyMemberPayload, ContactOptPayload, InteractionPayload, ListLocalePayload,
    ListMemberPayload, ListPayload,
};

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
