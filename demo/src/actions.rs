//! The app's "context functions": each writes the store, then broadcasts what changed through
//! the domain crate, after the write (a failed broadcast never fails the write: the domain
//! crates' broadcasts are best-effort).
//!
//! Every action checks what it writes against [`limits`] first, whoever calls it (the JSON
//! API, the simulator): a value outside them is refused with [`ActionError::Invalid`], naming
//! the field and the bound, and never reaches the store.

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

/// The bounds on what the actions write. The views still saturate, because a record read from
/// a shared store (Redis) may have been written by anyone.
pub mod limits {
    /// Units in stock: `0..=STOCK`.
    pub const STOCK: u32 = 1_000_000;
    /// A price in cents: `0..=PRICE_CENTS` (one million euros).
    pub const PRICE_CENTS: u64 = 100_000_000;
    /// An item's name or an assignment's title: 1 to `NAME_CHARS` characters after trimming.
    pub const NAME_CHARS: usize = 120;
    /// An interaction's note: at most `NOTE_CHARS` characters after trimming.
    pub const NOTE_CHARS: usize = 2_000;
    /// The parties an interaction form may list (before duplicates are dropped).
    pub const PARTIES: usize = 50;
}

pub(crate) fn not_found<R: crate::store::Record>(id: uuid::Uuid) -> ActionError {
    ActionError::NotFound { kind: R::KIND, id }
}

/// A refused text is repeated in the error only if shorter than this.
const ECHO_CHARS: usize = 40;

pub(crate) fn one_of(
    field: &'static str,
    value: &str,
    allowed: &[&str],
) -> Result<(), ActionError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        // The value is repeated only when short: it may be anything a client sent.
        let reason = if value.chars().nth(ECHO_CHARS).is_none() {
            format!("`{value}` is not one of {}", allowed.join(", "))
        } else {
            format!("is not one of {}", allowed.join(", "))
        };
        Err(ActionError::Invalid { field, reason })
    }
}

/// `value` if it is at most `max`; otherwise the field and the bound, in the error.
pub(crate) fn at_most<N>(field: &'static str, value: N, max: N) -> Result<N, ActionError>
where
    N: PartialOrd + std::fmt::Display + Copy,
{
    if value <= max {
        Ok(value)
    } else {
        Err(out_of_range(field, &value, &max))
    }
}

/// The error for a number outside `0..=max` (`value` as it was sent).
pub(crate) fn out_of_range(
    field: &'static str,
    value: &dyn std::fmt::Display,
    max: &dyn std::fmt::Display,
) -> ActionError {
    ActionError::Invalid {
        field,
        reason: format!("must be a whole number from 0 to {max}, got {value}"),
    }
}

/// `text` trimmed, if it has `min..=max` characters (the text itself is not repeated in the
/// error: it may be huge).
pub(crate) fn text_within<'a>(
    field: &'static str,
    text: &'a str,
    min: usize,
    max: usize,
) -> Result<&'a str, ActionError> {
    let text = text.trim();
    let chars = text.chars().take(max.saturating_add(1)).count();
    if chars < min {
        let reason = if min == 1 {
            "is empty".to_owned()
        } else {
            format!("must have at least {min} characters")
        };
        return Err(ActionError::Invalid { field, reason });
    }
    if chars > max {
        return Err(ActionError::Invalid {
            field,
            reason: format!("must have at most {max} characters"),
        });
    }
    Ok(text)
}
