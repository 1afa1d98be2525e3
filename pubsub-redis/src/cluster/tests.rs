use pubsub_core::Topic;

use super::Confirmations;

#[test]
fn a_confirmation_nobody_asked_for_is_a_resubscription() {
    let confirmations = Confirmations::default();
    let topic = Topic::new("docs:doc:1").unwrap();
    confirmations.expect(&[topic.clone(), topic.clone()]);
    assert!(confirmations.take("docs:doc:1"));
    assert!(confirmations.take("docs:doc:1"));
    assert!(!confirmations.take("docs:doc:1"), "both were taken");
    assert!(!confirmations.take("docs:doc:2"), "never asked for");
    confirmations.expect(std::slice::from_ref(&topic));
    confirmations.clear();
    assert!(
        !confirmations.take("docs:doc:1"),
        "cleared with the connection"
    );
}
