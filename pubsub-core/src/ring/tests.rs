use std::sync::Arc;

use super::*;
use crate::message::Message;
use crate::subscription::SubscriptionId;

#[derive(Default)]
struct Flag(std::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn me() -> SubscriptionId {
    SubscriptionId::from_u64(u64::MAX).unwrap()
}

fn message(n: u64) -> Entry {
    Entry::Message(Message::from_json("t", "n", n.to_string()))
}

fn seq(read: Read) -> Option<u64> {
    match read {
        Read::Entry(Entry::Message(m)) => m.json().ok().and_then(|j| j.parse().ok()),
        _ => None,
    }
}

#[test]
fn a_reader_gets_every_entry_in_order_across_chunks() {
    let ring = Arc::new(Ring::new(1_000));
    let mut cursor = Cursor::new(Arc::clone(&ring), me(), 1);
    for n in 0..200 {
        ring.push(message(n), None);
    }
    for n in 0..200 {
        assert_eq!(seq(cursor.read()), Some(n));
    }
    assert!(matches!(cursor.read(), Read::Empty));
}

#[test]
fn a_reader_that_fell_behind_is_told_exactly_and_then_gets_a_message() {
    let ring = Arc::new(Ring::new(10));
    let mut cursor = Cursor::new(Arc::clone(&ring), me(), 1);
    for n in 0..100 {
        ring.push(message(n), None);
    }
    assert_eq!(cursor.ahead(), 11, "a notice and the ten kept");
    assert!(matches!(cursor.read(), Read::Lagged(90)));
    // More dropped meanwhile: the stashed entry still comes next.
    for n in 100..150 {
        ring.push(message(n), None);
    }
    assert_eq!(seq(cursor.read()), Some(90));
    assert!(matches!(cursor.read(), Read::Lagged(49)));
    for n in 140..150 {
        assert_eq!(seq(cursor.read()), Some(n));
    }
    assert!(matches!(cursor.read(), Read::Empty));
}

#[test]
fn chunks_below_the_oldest_kept_entry_are_freed() {
    let ring = Arc::new(Ring::new(40));
    for n in 0..10_000 {
        ring.push(message(n), None);
    }
    let state = ring.lock();
    assert!(
        state.chunks.len() <= 3,
        "{} chunks kept",
        state.chunks.len()
    );
}

#[test]
fn a_waiting_reader_is_woken_by_the_next_push_and_listed_once() {
    let ring = Arc::new(Ring::new(8));
    let woken = Arc::new(Flag::default());
    let waker = std::task::Waker::from(Arc::clone(&woken));
    let mut cursor = Cursor::new(Arc::clone(&ring), me(), 1);
    assert!(cursor.wait(&waker));
    assert!(cursor.wait(&waker));
    assert_eq!(ring.lock().waiters.len(), 1);
    ring.push(message(1), None);
    assert!(ring.lock().waiters.is_empty());
    assert!(woken.0.load(std::sync::atomic::Ordering::SeqCst));
    assert!(!cursor.wait(&waker), "something is there: read instead");
}
