//! send_sync
