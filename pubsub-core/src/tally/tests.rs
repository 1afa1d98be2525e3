use super::*;

#[test]
fn counts_from_many_threads_are_exact_including_threads_past_the_slots() {
    let tally = std::sync::Arc::new(Tally::default());
    // More threads than slots, so some share the fallback atomics; all run at once.
    let threads = SLOTS + 8;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (tally, barrier) = (tally.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..10_000u64 {
                    tally.publish(i % 3, u64::from(i % 7 == 0));
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let per_thread_delivered: u64 = (0..10_000u64).map(|i| i % 3).sum();
    let per_thread_lagged = (0..10_000u64).filter(|i| i % 7 == 0).count() as u64;
    let threads = threads as u64;
    assert_eq!(
        tally.read(),
        Counts {
            published: threads * 10_000,
            delivered: threads * per_thread_delivered,
            lagged: threads * per_thread_lagged,
        }
    );
}

#[test]
fn a_read_while_threads_count_never_goes_down() {
    let tally = std::sync::Arc::new(Tally::default());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (tally, stop) = (tally.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    tally.publish(1, 0);
                }
            })
        })
        .collect();
    let mut last = Counts::default();
    for _ in 0..10_000 {
        let now = tally.read();
        assert!(now.published >= last.published && now.delivered >= last.delivered);
        last = now;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let end = tally.read();
    assert_eq!(end.published, end.delivered);
}
