//! The input of the interaction rules: what the broadcast needs to know about an interaction.
//!
//! An interaction's feed entries follow its *involved contacts*: the subject contact and every
//! party whose contact is resolved. Whether the parties were loaded matters: "not loaded" is
//! [`Parties::NotLoaded`], never an empty list, so code cannot mistake one for the other.

use uuid::Uuid;

/// An interaction, reduced to what decides who is told about it.
///
/// ```
/// use crm_events::{Interaction, Parties, Party};
/// use uuid::Uuid;
///
/// let (subject, guest, company) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
/// let call = Interaction::new(Uuid::new_v4())
///     .with_contact(subject)
///     .with_company(company)
///     .with_parties([Party::contact(guest), Party::unresolved()]);
/// assert_eq!(call.contact_uuid, Some(subject));
/// assert!(matches!(call.parties, Parties::Loaded(ref p) if p.len() == 2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Interaction {
    /// The interaction's own id (the payload's `interaction_uuid`).
    pub uuid: Uuid,
    /// The subject contact (`interactions.contact_uuid`); `None` when it has none.
    pub contact_uuid: Option<Uuid>,
    /// The company the interaction is anchored to; `None` when it has none. The anchor never
    /// changes, so updates and deletes reach the same company topic as the create.
    pub company_uuid: Option<Uuid>,
    /// The parties, if they were loaded.
    pub parties: Parties,
}

impl Interaction {
    /// An interaction with no subject, no company, and parties not loaded.
    ///
    /// ```
    /// # use crm_events::{Interaction, Parties};
    /// let i = Interaction::new(uuid::Uuid::new_v4());
    /// assert_eq!((i.contact_uuid, i.company_uuid, i.parties), (None, None, Parties::NotLoaded));
    /// ```
    #[must_use]
    pub fn new(uuid: Uuid) -> Self {
        Interaction {
            uuid,
            contact_uuid: None,
            company_uuid: None,
            parties: Parties::NotLoaded,
        }
    }

    /// The same interaction with subject contact `contact_uuid`.
    ///
    /// ```
    /// # use crm_events::Interaction;
    /// let subject = uuid::Uuid::new_v4();
    /// assert_eq!(Interaction::new(uuid::Uuid::new_v4()).with_contact(subject).contact_uuid, Some(subject));
    /// ```
    #[must_use]
    pub fn with_contact(mut self, contact_uuid: Uuid) -> Self {
        self.contact_uuid = Some(contact_uuid);
        self
    }

    /// The same interaction anchored to company `company_uuid`.
    ///
    /// ```
    /// # use crm_events::Interaction;
    /// let company = uuid::Uuid::new_v4();
    /// assert_eq!(Interaction::new(uuid::Uuid::new_v4()).with_company(company).company_uuid, Some(company));
    /// ```
    #[must_use]
    pub fn with_company(mut self, company_uuid: Uuid) -> Self {
        self.company_uuid = Some(company_uuid);
        self
    }

    /// The same interaction with its parties loaded: `parties`.
    ///
    /// ```
    /// # use crm_events::{Interaction, Parties};
    /// let none_at_all = Interaction::new(uuid::Uuid::new_v4()).with_parties([]);
    /// assert_eq!(none_at_all.parties, Parties::Loaded(vec![])); // loaded, and empty
    /// ```
    #[must_use]
    pub fn with_parties(mut self, parties: impl IntoIterator<Item = Party>) -> Self {
        self.parties = Parties::Loaded(parties.into_iter().collect());
        self
    }
}

/// An interaction's parties: loaded (possibly none), or not loaded.
///
/// Not loaded counts as "no party contacts" for the fan-out; it is never an error.
///
/// ```
/// use crm_events::{Parties, Party};
/// let loaded = Parties::Loaded(vec![Party::contact(uuid::Uuid::new_v4())]);
/// assert_ne!(loaded, Parties::NotLoaded);
/// assert_eq!(Parties::default(), Parties::NotLoaded);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Parties {
    /// The association was not loaded: who the parties are is unknown here.
    #[default]
    NotLoaded,
    /// The parties, in their stored order (possibly none).
    Loaded(Vec<Party>),
}

/// One party of an interaction, by the contact it resolved to, if any.
///
/// ```
/// use crm_events::Party;
/// let id = uuid::Uuid::new_v4();
/// assert_eq!(Party::contact(id).contact_uuid, Some(id));
/// assert_eq!(Party::unresolved().contact_uuid, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Party {
    /// The party's resolved contact; `None` when the party is not (or no longer) a contact, such
    /// as a free-text attendee or a deleted contact.
    pub contact_uuid: Option<Uuid>,
}

impl Party {
    /// A party resolved to contact `contact_uuid`.
    ///
    /// ```
    /// # use crm_events::Party;
    /// let id = uuid::Uuid::new_v4();
    /// assert_eq!(Party::contact(id).contact_uuid, Some(id));
    /// ```
    #[must_use]
    pub fn contact(contact_uuid: Uuid) -> Self {
        Party {
            contact_uuid: Some(contact_uuid),
        }
    }

    /// A party with no resolved contact.
    ///
    /// ```
    /// # use crm_events::Party;
    /// assert_eq!(Party::unresolved().contact_uuid, None);
    /// ```
    #[must_use]
    pub fn unresolved() -> Self {
        Party { contact_uuid: None }
    }
}
