//! The wire enum [`CrmEvent`], its payloads, and the small "kind" enums each broadcast function
//! takes, so a function only accepts the events its rule covers.

mod kinds;
mod payloads;

pub use kinds::{
    CompanyMemberChange, ContactOptChange, InteractionChange, ListChange, ListEventKind,
    ListLocaleChange, ListMemberChange,
};
pub use payloads::{
    CompanyMemberPayload, CompanyVisibilityPayload, ContactOptPayload, InteractionPayload,
    ListLocalePayload, ListMemberPayload, ListPayload,
};

use pubsub_core::Event;
use serde::{Deserialize, Serialize};

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
