//! Placeholder; filled by the domain-crates work.
