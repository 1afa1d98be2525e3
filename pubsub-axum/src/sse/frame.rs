//! The Server-Sent Events text format, written into one buffer per batch of events.

use bytes::{BufMut, BytesMut};

/// A keep-alive comment: ignored by `EventSource`, but traffic for every proxy on the way.
pub(crate) const KEEP_ALIVE: &[u8] = b":\n\n";

/// Appends one event: an optional `id`, its `event` name and its data, split into `data:` lines
/// (a JSON text from another node may hold line breaks; the browser joins the lines back with
/// `\n`). Returns `false`, and appends nothing, when `name` cannot be an SSE event name (empty, or
/// holding a line break).
pub(crate) fn push_event(buf: &mut BytesMut, id: Option<&str>, name: &str, data: &str) -> bool {
    if name.is_empty() || name.bytes().any(|b| b == b'\n' || b == b'\r') {
        return false;
    }
    buf.reserve(name.len() + data.len() + id.map_or(0, str::len) + 24);
    if let Some(id) = id {
        // Resume tokens are made here, of URL-safe characters only.
        buf.put_slice(b"id: ");
        buf.put_slice(id.as_bytes());
        buf.put_u8(b'\n');
    }
    buf.put_slice(b"event: ");
    buf.put_slice(name.as_bytes());
    buf.put_u8(b'\n');
    if data.is_empty() {
        buf.put_slice(b"data:\n");
    } else {
        for line in data.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            for piece in line.split('\r') {
                buf.put_slice(b"data: ");
                buf.put_slice(piece.as_bytes());
                buf.put_u8(b'\n');
            }
        }
    }
    buf.put_u8(b'\n');
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: Option<&str>, name: &str, data: &str) -> Option<String> {
        let mut buf = BytesMut::new();
        push_event(&mut buf, id, name, data).then(|| String::from_utf8(buf.to_vec()).unwrap())
    }

    #[test]
    fn an_event_has_its_id_name_and_data() {
        assert_eq!(
            event(Some("ab-0_1.0000000000000001"), "saved", r#"{"id":1}"#).unwrap(),
            "id: ab-0_1.0000000000000001\nevent: saved\ndata: {\"id\":1}\n\n"
        );
    }

    #[test]
    fn line_breaks_in_data_become_data_lines_and_names_with_them_are_refused() {
        assert_eq!(
            event(None, "x", "a\nb\r\nc\rd").unwrap(),
            "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(event(None, "x", "").unwrap(), "event: x\ndata:\n\n");
        assert!(event(None, "x\nid: 1", "{}").is_none());
        assert!(event(None, "x\r", "{}").is_none());
        assert!(event(None, "", "{}").is_none());
    }
}
