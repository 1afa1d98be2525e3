use redis::Value;

use super::ssub;

const INFO: &str = "id=7 addr=127.0.0.1:5 laddr=127.0.0.1:6379 fd=9 name= age=1 idle=0 \
                    flags=P db=0 sub=0 psub=0 ssub=3 multi=-1 qbuf=0\n";

#[test]
fn the_sharded_subscription_count_is_read_from_client_info() {
    let primary = "127.0.0.1:6379";
    assert_eq!(
        ssub(&Value::BulkString(INFO.as_bytes().to_vec()), primary),
        Some(3)
    );
    let verbatim = Value::VerbatimString {
        format: redis::VerbatimFormat::Text,
        text: INFO.to_owned(),
    };
    assert_eq!(ssub(&verbatim, primary), Some(3));
    let no_count = Value::BulkString(b"id=7 laddr=127.0.0.1:6379 sub=0".to_vec());
    assert_eq!(ssub(&no_count, primary), None);
    assert_eq!(ssub(&Value::Int(3), primary), None);
}

#[test]
fn an_answer_from_another_node_is_not_taken() {
    let info = Value::BulkString(INFO.as_bytes().to_vec());
    assert_eq!(ssub(&info, "127.0.0.1:6380"), None, "a replica answered");
    assert_eq!(
        ssub(&info, "127.0.0.1:637"),
        None,
        "a prefix is not the address"
    );
}
