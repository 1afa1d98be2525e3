//! CPU readings for the cluster section: each Redis node's own (`INFO cpu`), and the bench
//! process's (the client side: both `RedisBroker` nodes and the publishers).

use redis::aio::MultiplexedConnection;

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on every Linux ABI).
const USER_HZ: f64 = 100.0;

/// CPU seconds (`used_cpu_sys` + `used_cpu_user`) the Redis node behind `conn` has used so far.
///
/// # Panics
///
/// When the node does not answer `INFO cpu` with both figures.
pub(super) async fn redis_seconds(conn: &mut MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("cpu")
        .query_async(conn)
        .await
        .expect("INFO cpu");
    let field = |name: &str| -> f64 {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in INFO cpu: {info}"))
    };
    field("used_cpu_sys:") + field("used_cpu_user:")
}

/// CPU seconds of every node, in order.
pub(super) async fn redis_seconds_all(conns: &mut [MultiplexedConnection]) -> Vec<f64> {
    let mut out = Vec::with_capacity(conns.len());
    for conn in conns {
        out.push(redis_seconds(conn).await);
    }
    out
}

/// CPU seconds (user + system) this process has used so far, or 0 where `/proc` is missing
/// (the client figure is then 0 throughout and says so).
pub(super) fn process_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name (in parentheses, which may hold spaces): state is the
    // first, utime the 12th and stime the 13th.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / USER_HZ
}
