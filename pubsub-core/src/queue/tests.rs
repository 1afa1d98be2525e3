/// The size the memory figure rests on (one 112-byte heap chunk with the `Arc` counts).
#[test]
#[cfg(target_pointer_width = "64")]
fn a_queue_stays_88_bytes() {
    assert_eq!(std::mem::size_of::<super::Queue>(), 88);
}
