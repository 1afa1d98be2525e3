//! The app's "context functions": each writes the store, then broadcasts what changed through
//! the domain crate, after the write (a failed broadcast never fails the write: the domain
//! crates' broadcasts are best-effort).

pub mod catalogue;
pub mod crm;
pub mod projects;
pub mod staff;

/// A request the store cannot satisfy (an unknown id, a bad value).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No record with that id.
    #[error("no {kind} with id {id}")]
    NotFound {
        /// The record kind.
        kind: &'static str,
        /// The id asked for.
        id: uuid::Uuid,
    },
    /// A field's value is not allowed.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

pub(crate) fn not_found<R: crate::store::Record>(id: uuid::Uuid) -> ActionError {
    ActionError::NotFound { kind: R::KIND, id }
}

pub(crate) fn one_of(
    field: &'static str,
    value: &str,
    allowed: &[&str],
) -> Result<(), ActionError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ActionError::Invalid {
            field,
            reason: format!("`{value}` is not one of {}", allowed.join(", ")),
        })
    }
}
