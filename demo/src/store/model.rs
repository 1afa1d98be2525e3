//! The records the demo keeps: a few fields each, enough for the pages to show something real.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A record type of the [`Store`](crate::store::Store): stored as JSON under its kind.
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The collection's name (`"contact"`, `"interaction"`, ...).
    const KIND: &'static str;
    /// The record's identity.
    fn id(&self) -> Uuid;
}

macro_rules! record {
    ($ty:ty, $kind:literal) => {
        impl Record for $ty {
            const KIND: &'static str = $kind;
            fn id(&self) -> Uuid {
                self.id
            }
        }
    };
}

/// A CRM contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Identity.
    pub id: Uuid,
    /// Full name.
    pub name: String,
    /// Employer, for display.
    pub company: String,
}
record!(Contact, "contact");

/// A logged call, email or meeting: a subject contact and the other parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// Identity.
    pub id: Uuid,
    /// The subject contact.
    pub contact_id: Uuid,
    /// The other contacts taking part.
    pub party_ids: Vec<Uuid>,
    /// `call`, `email`, `meeting` or `note`.
    pub kind: String,
    /// Free text.
    pub note: String,
    /// When it was logged (milliseconds since the epoch): the feed's order, newest first.
    pub at: u64,
}
record!(Interaction, "interaction");

impl Interaction {
    /// Whether `contact` is the subject or a party: whether it belongs in `contact`'s feed.
    pub fn involves(&self, contact: Uuid) -> bool {
        self.contact_id == contact || self.party_ids.contains(&contact)
    }

    /// The same interaction in the shape `crm-events` routes by.
    pub fn to_event_model(&self) -> crm_events::Interaction {
        crm_events::Interaction::new(self.id)
            .with_contact(self.contact_id)
            .with_parties(
                self.party_ids
                    .iter()
                    .copied()
                    .map(crm_events::Party::contact),
            )
    }
}

/// A project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Identity.
    pub id: Uuid,
    /// Name.
    pub name: String,
}
record!(Project, "project");

/// A task assigned within a project: one row of the project page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Identity.
    pub id: Uuid,
    /// The project it belongs to.
    pub project_id: Uuid,
    /// What to do.
    pub title: String,
    /// `todo`, `doing` or `done`.
    pub status: String,
    /// Order on the page.
    pub position: u32,
}
record!(Assignment, "assignment");

/// A staff team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Identity.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Its department, if any.
    pub department_id: Option<Uuid>,
}
record!(Team, "team");

/// A staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Identity.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Job title.
    pub role: String,
    /// `available`, `busy` or `away`.
    pub status: String,
}
record!(Person, "person");

/// A person's membership of a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Identity.
    pub id: Uuid,
    /// The team.
    pub team_id: Uuid,
    /// The member.
    pub person_id: Uuid,
}
record!(Membership, "membership");

/// A catalogue item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Identity.
    pub id: Uuid,
    /// The catalogue it belongs to.
    pub catalogue_id: Uuid,
    /// Name.
    pub name: String,
    /// Price in cents.
    pub price_cents: u64,
    /// Units in stock.
    pub stock: u32,
}
record!(Item, "item");

/// A background job (a workflow) and what is known of its run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Identity: the workflow's id.
    pub id: Uuid,
    /// The resource it works on.
    pub resource_id: Uuid,
    /// What it does.
    pub name: String,
    /// The process running it, once created.
    pub process_id: Option<Uuid>,
    /// Steps finished so far.
    pub steps_done: u32,
    /// Steps in all.
    pub steps_total: u32,
    /// `queued`, `running` or `completed`.
    pub status: String,
    /// When it started (milliseconds since the epoch).
    pub at: u64,
}
record!(Job, "job");

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
