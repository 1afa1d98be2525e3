use redis::Value;

use std::collections::HashMap;

use super::{count_of, short, ssub};

const INFO: &str = "id=7 addr=127.0.0.1:5 laddr=127.0.0.1:6379 fd=9 name= age=1 idle=0 \
                    flags=P db=0 sub=0 psub=0 ssub=3 multi=-1 qbuf=0\n";

#[test]
fn the_sharded_subscription_count_is_read_from_client_info() {
    assert_eq!(ssub(&Value::BulkString(INFO.as_bytes().to_vec())), Some(3));
    let verbatim = Value::VerbatimString {
        format: redis::VerbatimFormat::Text,
        text: INFO.to_owned(),
    };
    assert_eq!(ssub(&verbatim), Some(3));
    let no_count = Value::BulkString(b"id=7 laddr=127.0.0.1:6379 sub=0".to_vec());
    assert_eq!(ssub(&no_count), None);
    assert_eq!(ssub(&Value::Int(3)), None);
}

#[test]
fn an_answer_from_another_node_is_not_taken() {
    let info = Value::BulkString(INFO.as_bytes().to_vec());
    let me = || Value::BulkString(b"07c37dfeb235213a872192d90877d0cd55635b91".to_vec());
    let id = "07c37dfeb235213a872192d90877d0cd55635b91";
    assert_eq!(count_of(&[me(), info.clone()], id), Some(3));
    assert_eq!(
        count_of(
            &[me(), info.clone()],
            "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"
        ),
        None,
        "a replica (another id) answered"
    );
    assert_eq!(
        count_of(&[me(), info.clone()], &id[..20]),
        None,
        "a prefix is not the id"
    );
    assert_eq!(count_of(&[info], id), None, "not both answers");
}

#[test]
fn a_primary_holding_fewer_channels_than_this_node_has_topics_there_lost_some() {
    let held: HashMap<String, u64> = [
        ("127.0.0.1:7000", 0), // lost all (reconnected by the client)
        ("127.0.0.1:7001", 2), // lost one of three (a slot left and came back)
        ("127.0.0.1:7002", 4), // all there
        ("127.0.0.1:7003", 5), // one more than ours: a re-subscription not yet counted
        ("127.0.0.1:7004", 0), // none of ours there
    ]
    .into_iter()
    .map(|(primary, count)| (primary.to_owned(), count))
    .collect();
    let wanted: HashMap<&str, u64> = [
        ("127.0.0.1:7000", 2),
        ("127.0.0.1:7001", 3),
        ("127.0.0.1:7002", 4),
        ("127.0.0.1:7003", 4),
        ("127.0.0.1:7005", 1), // did not answer: looked at again next time
    ]
    .into_iter()
    .collect();
    assert_eq!(short(&held, &wanted), ["127.0.0.1:7000", "127.0.0.1:7001"]);
    assert!(
        short(&held, &HashMap::new()).is_empty(),
        "no topics: none short"
    );
}
