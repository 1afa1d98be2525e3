//! Every public type can cross threads.

fn send_sync<T: Send + Sync + 'static>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<pubsub_redis::RedisBroker>();
    send_sync::<pubsub_redis::RedisConfig>();
    send_sync::<pubsub_redis::ChannelMode>();
    send_sync::<pubsub_redis::Error>();
    send_sync::<pubsub_redis::RedisStats>();
}

#[tokio::test]
async fn a_bad_configuration_is_refused_with_a_reason() {
    use pubsub_redis::{Error, RedisBroker, RedisConfig};
    let mut config = RedisConfig::new("redis://127.0.0.1:1/");
    config.namespace = "has space".to_owned();
    let err = RedisBroker::connect(config).await.unwrap_err();
    assert!(
        matches!(err, Error::Config(ref reason) if reason.contains("whitespace")),
        "{err}"
    );
    let err = RedisBroker::connect(RedisConfig::new("http://user:secret@host/"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err}");
    assert!(
        !err.to_string().contains("secret"),
        "the url's password is not repeated: {err}"
    );
    let mut cluster = RedisConfig::cluster(["redis://127.0.0.1:1/"]);
    cluster
        .cluster_addresses
        .insert("redis-0:6379".to_owned(), "no port here".to_owned());
    let err = RedisBroker::connect(cluster).await.unwrap_err();
    assert!(
        matches!(err, Error::Config(ref reason) if reason.contains("no port here")),
        "{err}"
    );
    let core: pubsub_core::Error = Error::Timeout {
        operation: "publish",
        after: std::time::Duration::from_millis(5),
    }
    .into();
    assert!(matches!(core, pubsub_core::Error::Timeout { .. }));
}
