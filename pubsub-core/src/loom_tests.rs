//! Model checks (loom) of the hand-written concurrent structures: the per-subscription queue and
//! the hot-topic ring. Every interleaving of the threads below is explored; each assertion must
//! hold in all of them. Run with `RUSTFLAGS="--cfg pubsub_loom" cargo test -p pubsub-core --lib
//! --release loom`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use loom::thread;

use crate::message::Message;
use crate::queue::{Hand, Popped, Queue};
use crate::ring::{Cursor, Entry, Read, Ring};
use crate::subscription::{Delivery, SubscriptionId};

fn message(n: u64) -> Message {
    Message::from_json("t", "n", n.to_string())
}

fn number(message: &Message) -> u64 {
    message
        .json()
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Two publishers push while the subscriber takes: its two stages never hold more than the
/// capacity, and received + missed == pushed.
#[test]
fn the_queue_never_holds_more_than_its_capacity_and_accounts_for_every_push() {
    loom::model(|| {
        const CAPACITY: usize = 2;
        let queue = Arc::new(Queue::new(SubscriptionId::next()));
        queue.push(message(0), CAPACITY);
        queue.push(message(1), CAPACITY);
        let pushers: Vec<_> = (0..2u64)
            .map(|p| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    queue.push(message(10 + p), CAPACITY);
                })
            })
            .collect();
        let mut hand = Hand::default();
        let (mut received, mut missed) = (0u64, 0u64);
        let take = |hand: &mut Hand, received: &mut u64, missed: &mut u64| {
            let popped = queue.pop(hand, None);
            // Everything the subscription holds, in hand and shared.
            let held = queue.buffered(hand);
            assert!(held <= CAPACITY, "{held} held at capacity {CAPACITY}");
            match popped {
                Popped::Delivery(Delivery::Message(_)) => *received += 1,
                Popped::Delivery(Delivery::Lagged(n)) => *missed += n,
                _ => {}
            }
        };
        for _ in 0..2 {
            take(&mut hand, &mut received, &mut missed);
        }
        for pusher in pushers {
            pusher.join().unwrap();
        }
        for _ in 0..6 {
            take(&mut hand, &mut received, &mut missed);
        }
        assert_eq!(received + missed, 4);
    });
}

/// A waiting subscriber is woken by a push that races with its going to sleep (no lost wake-up).
#[test]
fn a_push_racing_with_a_waiting_subscriber_always_wakes_it() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(SubscriptionId::next()));
        let pusher = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                queue.push(message(7), 4);
            })
        };
        let mut hand = Hand::default();
        let got = loom::future::block_on(std::future::poll_fn(|cx| {
            match queue.pop(&mut hand, Some(cx.waker())) {
                Popped::Delivery(Delivery::Message(m)) => Poll::Ready(number(&m)),
                Popped::Empty => Poll::Pending,
                _ => Poll::Ready(u64::MAX),
            }
        }));
        assert_eq!(got, 7);
        pusher.join().unwrap();
    });
}

/// A reader of a ring that waits while the writer appends is always woken, and gets every entry
/// in order exactly once.
#[test]
fn a_ring_reader_racing_with_the_writer_gets_every_entry_once_in_order() {
    loom::model(|| {
        let ring = Arc::new(Ring::new(8));
        let me = SubscriptionId::next();
        let writer = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || {
                ring.push(Entry::Message(message(1)), None);
                ring.push(Entry::Message(message(2)), None);
            })
        };
        let mut cursor = Cursor::new(Arc::clone(&ring), me, 1);
        let mut got = Vec::new();
        loom::future::block_on(Reader {
            cursor: &mut cursor,
            me,
            got: &mut got,
            want: 2,
        });
        assert_eq!(got, [1, 2]);
        writer.join().unwrap();
    });
}

/// The writer drops entries past the capacity while the reader reads: every entry is either
/// received or counted in a lag notice, never both, never neither.
#[test]
fn a_ring_reader_behind_a_fast_writer_accounts_for_every_entry() {
    loom::model(|| {
        let ring = Arc::new(Ring::new(1));
        let me = SubscriptionId::next();
        let writer = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || {
                for n in 1..=3 {
                    ring.push(Entry::Message(message(n)), None);
                }
            })
        };
        let mut cursor = Cursor::new(Arc::clone(&ring), me, 1);
        let (mut received, mut missed, mut last) = (0u64, 0u64, 0u64);
        let mut account = |read: Read| match read {
            Read::Entry(Entry::Message(m)) => {
                let n = number(&m);
                assert!(n > last, "{n} after {last}");
                last = n;
                received += 1;
            }
            Read::Lagged(n) => missed += n,
            _ => {}
        };
        account(cursor.read());
        writer.join().unwrap();
        for _ in 0..4 {
            account(cursor.read());
        }
        assert_eq!(received + missed, 3);
    });
}

/// Reads until `want` entries arrived, waiting on the ring in between.
struct Reader<'a> {
    cursor: &'a mut Cursor,
    me: SubscriptionId,
    got: &'a mut Vec<u64>,
    want: usize,
}

impl Future for Reader<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            match this.cursor.read() {
                Read::Entry(Entry::Message(m)) => {
                    this.got.push(number(&m));
                    if this.got.len() == this.want {
                        return Poll::Ready(());
                    }
                }
                Read::Entry(Entry::Gap) | Read::Lagged(_) => panic!("nothing is lost here"),
                Read::Empty => {
                    if this.cursor.wait(cx.waker()) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

/// A reader whose own `publish_from` entries and a gap marker interleave with a fast writer's
/// messages: lag notices count exactly the others' messages, never its own, and the gap is given.
#[test]
fn a_ring_reader_behind_a_fast_writer_never_counts_its_own_entries_as_missed() {
    loom::model(|| {
        let ring = Arc::new(Ring::new(1));
        let me = SubscriptionId::next();
        let writer = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || {
                ring.push(Entry::Message(message(1).with_origin(me)), Some(me));
                ring.push(Entry::Message(message(2)), None);
                ring.push(Entry::Gap, None);
                ring.push(Entry::Message(message(3).with_origin(me)), Some(me));
                ring.push(Entry::Message(message(4)), None);
            })
        };
        let mut cursor = Cursor::new(Arc::clone(&ring), me, 1);
        let (mut received, mut missed, mut gaps) = (0u64, 0u64, 0u64);
        let mut account = |read: Read| match read {
            Read::Entry(Entry::Message(m)) => {
                assert!(m.origin() != Some(me), "its own entry was delivered");
                received += 1;
            }
            Read::Entry(Entry::Gap) => gaps += 1,
            Read::Lagged(n) => missed += n,
            Read::Empty => {}
        };
        account(cursor.read());
        account(cursor.read());
        writer.join().unwrap();
        for _ in 0..5 {
            account(cursor.read());
        }
        assert_eq!(
            received + missed,
            2,
            "the two messages of the other publisher"
        );
        assert_eq!(gaps, 1);
    });
}

/// The publish counters: two threads count while a third reads; every read is at most the
/// final count and never goes down, and the final count is exact.
#[test]
fn tally_counts_from_two_threads_exactly_and_reads_never_go_down() {
    use crate::tally::{Counts, Tally};
    loom::model(|| {
        let tally = Arc::new(Tally::default());
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let tally = Arc::clone(&tally);
                thread::spawn(move || {
                    tally.publish(1, 0);
                    tally.publish(2, 1);
                })
            })
            .collect();
        let first = tally.read();
        let second = tally.read();
        assert!(second.published >= first.published && second.delivered >= first.delivered);
        assert!(second.published <= 4 && second.delivered <= 6 && second.lagged <= 2);
        for writer in writers {
            writer.join().unwrap();
        }
        assert_eq!(
            tally.read(),
            Counts {
                published: 4,
                delivered: 6,
                lagged: 2
            }
        );
    });
}
