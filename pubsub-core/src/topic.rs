//! Topic names: validated, hierarchical, cheap to clone.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use uuid::Uuid;

/// The segment separator of hierarchical topic names.
pub const SEPARATOR: char = ':';

/// The longest topic accepted, in bytes.
pub const MAX_LEN: usize = 512;

/// Length of a hyphenated UUID in bytes, as [`TopicPattern`] inserts it.
const UUID_LEN: usize = 36;

/// Why a topic name was refused.
///
/// Each variant names the rule that failed and carries the offending input.
///
/// ```
/// use pubsub_core::{Topic, TopicError};
///
/// let err = Topic::new("projects::all").unwrap_err();
/// assert!(matches!(err, TopicError::EmptySegment { index: 1, .. }));
/// assert_eq!(err.to_string(), "topic `projects::all` has an empty segment at position 1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// The name was the empty string.
    #[error("topic is empty")]
    Empty,
    /// The name is longer than [`MAX_LEN`] bytes.
    #[error("topic is {len} bytes long, more than the maximum of {max} (starts with `{prefix}`)")]
    TooLong {
        /// Length of the refused name in bytes.
        len: usize,
        /// The maximum, [`MAX_LEN`].
        max: usize,
        /// The first characters of the refused name.
        prefix: String,
    },
    /// The name holds a character outside the topic alphabet: printable ASCII, `!` to `~`
    /// (so no whitespace, no control character, no invisible or look-alike Unicode).
    #[error(
        "topic {topic:?} has {ch:?} at byte {position}; topics are printable ASCII without whitespace"
    )]
    InvalidChar {
        /// The refused name.
        topic: String,
        /// The offending character.
        ch: char,
        /// Its byte offset in the name.
        position: usize,
    },
    /// Two separators are adjacent, or the name starts or ends with one.
    #[error("topic `{topic}` has an empty segment at position {index}")]
    EmptySegment {
        /// The refused name.
        topic: String,
        /// Zero-based index of the empty segment.
        index: usize,
    },
}

/// A validated, hierarchical topic name such as `projects:project:<uuid>`.
///
/// Segments are joined by `:`. A topic is never empty, at most [`MAX_LEN`] bytes long, has no
/// empty segment, and is written in printable ASCII (`!` to `~`): no whitespace, no control
/// character, and none of Unicode's invisible or look-alike characters (zero-width spaces, bidi
/// overrides, soft hyphens, tag characters, Cyrillic `а` for Latin `a`), so two topics that look
/// the same in a log are the same topic. Cloning is cheap: the name is shared.
///
/// Domain crates build topics for you (`topic_project(uuid)`); applications rarely parse one.
///
/// ```
/// use pubsub_core::Topic;
///
/// let topic = Topic::new("staff:teams")?;
/// assert_eq!(topic.as_str(), "staff:teams");
/// assert_eq!(topic.segments().collect::<Vec<_>>(), ["staff", "teams"]);
///
/// // Fixed topics can be constants, checked at compile time.
/// const ALL: Topic = Topic::from_static("projects:all");
/// assert_eq!(ALL.first_segment(), "projects");
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
#[derive(Clone)]
pub struct Topic(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Topic {
    /// Validates `name` and makes a topic of it.
    ///
    /// # Errors
    ///
    /// A [`TopicError`] naming the first rule that `name` breaks.
    pub fn new(name: impl AsRef<str>) -> Result<Self, TopicError> {
        let name = name.as_ref();
        validate(name)?;
        Ok(Topic(Repr::Shared(Arc::from(name))))
    }

    /// A topic from a fixed name, validated at compile time when used in a `const`.
    ///
    /// The same rules as [`new`](Self::new), checked at compile time.
    ///
    /// ```
    /// use pubsub_core::Topic;
    /// const LISTS: Topic = Topic::from_static("crm:lists");
    /// assert_eq!(LISTS.as_str(), "crm:lists");
    /// ```
    ///
    /// # Panics
    ///
    /// When `name` breaks a topic rule. In a `const` item that is a compile error, not a panic
    /// at run time.
    #[must_use]
    pub const fn from_static(name: &'static str) -> Self {
        assert!(
            static_name_is_valid(name.as_bytes(), MAX_LEN),
            "invalid static topic name"
        );
        Topic(Repr::Static(name))
    }

    /// The topic's name.
    ///
    /// ```
    /// # use pubsub_core::Topic;
    /// assert_eq!(Topic::new("crm:lists")?.as_str(), "crm:lists");
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// The `:`-separated segments, in order.
    ///
    /// ```
    /// # use pubsub_core::Topic;
    /// let t = Topic::new("crm:contact:42:interactions")?;
    /// assert_eq!(t.segments().nth(2), Some("42"));
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn segments(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.as_str().split(SEPARATOR)
    }

    /// The first segment, which by convention names the domain (`projects`, `crm`, ...).
    ///
    /// ```
    /// # use pubsub_core::Topic;
    /// assert_eq!(Topic::new("staff:team:1")?.first_segment(), "staff");
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn first_segment(&self) -> &str {
        let s = self.as_str();
        s.split_once(SEPARATOR).map_or(s, |(first, _)| first)
    }

    /// Length of the name in bytes.
    ///
    /// ```
    /// # use pubsub_core::Topic;
    /// assert_eq!(Topic::new("a:b")?.len(), 3);
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.as_str().len()
    }

    /// Always `false`: a topic is never empty. Present for API symmetry with `str`.
    ///
    /// ```
    /// # use pubsub_core::Topic;
    /// assert!(!Topic::new("a")?.is_empty());
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Checks every topic rule against `name`.
fn validate(name: &str) -> Result<(), TopicError> {
    if name.is_empty() {
        return Err(TopicError::Empty);
    }
    if name.len() > MAX_LEN {
        return Err(TopicError::TooLong {
            len: name.len(),
            max: MAX_LEN,
            prefix: name.chars().take(32).collect(),
        });
    }
    if let Some((position, ch)) = name.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        return Err(TopicError::InvalidChar {
            topic: name.to_owned(),
            ch,
            position,
        });
    }
    if let Some(index) = name.split(SEPARATOR).position(str::is_empty) {
        return Err(TopicError::EmptySegment {
            topic: name.to_owned(),
            index,
        });
    }
    Ok(())
}

/// Compile-time check for fixed names: printable ASCII, no empty segment, bounded length.
///
/// With `allow_edge_separators`, a leading and a trailing `:` are accepted (for pattern parts).
const fn static_part_is_valid(
    bytes: &[u8],
    max: usize,
    allow_leading: bool,
    allow_trailing: bool,
) -> bool {
    if bytes.len() > max {
        return false;
    }
    let mut i = 0;
    let mut segment_len = 0;
    let mut segment_index = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b >= 0x21 && b <= 0x7e) {
            return false;
        }
        if b == b':' {
            let leading_ok = allow_leading && segment_index == 0 && i == 0;
            if segment_len == 0 && !leading_ok {
                return false;
            }
            segment_len = 0;
            segment_index += 1;
        } else {
            segment_len += 1;
        }
        i += 1;
    }
    segment_len > 0 || (allow_trailing && !bytes.is_empty())
}

const fn static_name_is_valid(bytes: &[u8], max: usize) -> bool {
    !bytes.is_empty() && static_part_is_valid(bytes, max, false, false)
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Topic").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Topic {
    /// Two clones of one topic (what a registry lookup usually compares) are equal without
    /// reading their bytes.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.as_str(), other.as_str());
        a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
    }
}

impl Eq for Topic {}

impl PartialOrd for Topic {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Topic {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Topic {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Borrow<str> for Topic {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<Topic> for Topic {
    fn as_ref(&self) -> &Topic {
        self
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl TryFrom<&str> for Topic {
    type Error = TopicError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Topic::new(value)
    }
}

impl TryFrom<String> for Topic {
    type Error = TopicError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        validate(&value)?;
        Ok(Topic(Repr::Shared(Arc::from(value))))
    }
}

impl std::str::FromStr for Topic {
    type Err = TopicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Topic::new(s)
    }
}

impl serde::Serialize for Topic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Topic {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Topic::new(&*s).map_err(serde::de::Error::custom)
    }
}

/// A fixed topic shape with one UUID in it, such as `crm:contact:<uuid>:interactions`.
///
/// Both parts are checked at compile time when the pattern is a `const`, so making a topic from a
/// UUID cannot fail: this is how the domain crates build their per-record topics.
///
/// ```
/// use pubsub_core::TopicPattern;
/// use uuid::Uuid;
///
/// const CONTACT_INTERACTIONS: TopicPattern = TopicPattern::new("crm:contact:", ":interactions");
/// let id = Uuid::nil();
/// assert_eq!(
///     CONTACT_INTERACTIONS.topic(id).as_str(),
///     "crm:contact:00000000-0000-0000-0000-000000000000:interactions"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TopicPattern {
    prefix: &'static str,
    suffix: &'static str,
}

impl TopicPattern {
    /// A pattern whose topics are `prefix`, a hyphenated UUID, then `suffix`.
    ///
    /// `prefix` must end with `:`; `suffix` is empty or starts with `:`.
    ///
    /// # Panics
    ///
    /// When the parts would make an invalid topic; in a `const` that is a compile error.
    #[must_use]
    pub const fn new(prefix: &'static str, suffix: &'static str) -> Self {
        let p = prefix.as_bytes();
        let s = suffix.as_bytes();
        assert!(
            !p.is_empty() && p[p.len() - 1] == b':',
            "topic pattern prefix must end with `:`"
        );
        assert!(
            s.is_empty() || s[0] == b':',
            "topic pattern suffix must be empty or start with `:`"
        );
        assert!(
            p.len() + s.len() + UUID_LEN <= MAX_LEN,
            "topic pattern is too long"
        );
        assert!(
            static_part_is_valid(p, MAX_LEN, false, true),
            "invalid topic pattern prefix"
        );
        assert!(
            s.is_empty() || static_part_is_valid(s, MAX_LEN, true, false),
            "invalid topic pattern suffix"
        );
        TopicPattern { prefix, suffix }
    }

    /// The topic for record `id`.
    ///
    /// ```
    /// # use pubsub_core::TopicPattern;
    /// const TEAM: TopicPattern = TopicPattern::new("staff:team:", "");
    /// assert!(TEAM.topic(uuid::Uuid::nil()).as_str().starts_with("staff:team:0000"));
    /// ```
    pub fn topic(&self, id: Uuid) -> Topic {
        let mut name = String::with_capacity(self.prefix.len() + UUID_LEN + self.suffix.len());
        name.push_str(self.prefix);
        name.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        name.push_str(self.suffix);
        Topic(Repr::Shared(Arc::from(name)))
    }

    /// The record id of `topic` when it has this pattern's shape (a topic a browser named,
    /// checked before the app acts on it).
    ///
    /// ```
    /// # use pubsub_core::{Topic, TopicPattern};
    /// const TEAM: TopicPattern = TopicPattern::new("staff:team:", "");
    /// let id = uuid::Uuid::new_v4();
    /// assert_eq!(TEAM.id_of(&TEAM.topic(id)), Some(id));
    /// assert_eq!(TEAM.id_of(&Topic::new("staff:team:7")?), None);
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn id_of(&self, topic: &Topic) -> Option<Uuid> {
        let id = topic
            .as_str()
            .strip_prefix(self.prefix)?
            .strip_suffix(self.suffix)?;
        (id.len() == UUID_LEN)
            .then(|| Uuid::parse_str(id).ok())
            .flatten()
    }
}

/// A topic that carries the type of the events published on it.
///
/// Subscribing to a `TypedTopic<ProjectsEvent>` yields `ProjectsEvent`s, so decoding CRM events
/// from a projects topic is a compile error rather than a runtime surprise. Domain crates hand out
/// typed topics; `.topic()` gives the plain name.
///
/// ```
/// use pubsub_core::{Topic, TypedTopic};
///
/// #[derive(Debug, serde::Serialize, serde::Deserialize)]
/// struct Ping;
///
/// let typed: TypedTopic<Ping> = TypedTopic::new(Topic::new("demo:ping")?);
/// assert_eq!(typed.as_str(), "demo:ping");
/// # Ok::<(), pubsub_core::TopicError>(())
/// ```
pub struct TypedTopic<E> {
    topic: Topic,
    _event: PhantomData<fn() -> E>,
}

impl<E> TypedTopic<E> {
    /// Marks `topic` as carrying events of type `E`.
    #[must_use]
    pub const fn new(topic: Topic) -> Self {
        TypedTopic {
            topic,
            _event: PhantomData,
        }
    }

    /// The plain topic.
    ///
    /// ```
    /// # use pubsub_core::{Topic, TypedTopic};
    /// let t: TypedTopic<()> = TypedTopic::new(Topic::new("a:b")?);
    /// assert_eq!(t.topic(), &Topic::new("a:b")?);
    /// # Ok::<(), pubsub_core::TopicError>(())
    /// ```
    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    /// The plain topic, by value.
    pub fn into_topic(self) -> Topic {
        self.topic
    }

    /// The topic's name.
    pub fn as_str(&self) -> &str {
        self.topic.as_str()
    }
}

impl<E> Clone for TypedTopic<E> {
    fn clone(&self) -> Self {
        TypedTopic::new(self.topic.clone())
    }
}

impl<E> fmt::Debug for TypedTopic<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedTopic")
            .field(&self.topic.as_str())
            .finish()
    }
}

impl<E> fmt::Display for TypedTopic<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.topic.as_str())
    }
}

impl<E> PartialEq for TypedTopic<E> {
    fn eq(&self, other: &Self) -> bool {
        self.topic == other.topic
    }
}

impl<E> Eq for TypedTopic<E> {}

impl<E> Hash for TypedTopic<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.topic.hash(state);
    }
}

impl<E> PartialEq<Topic> for TypedTopic<E> {
    fn eq(&self, other: &Topic) -> bool {
        &self.topic == other
    }
}

impl<E> AsRef<Topic> for TypedTopic<E> {
    fn as_ref(&self) -> &Topic {
        &self.topic
    }
}

impl<E> From<TypedTopic<E>> for Topic {
    fn from(typed: TypedTopic<E>) -> Topic {
        typed.topic
    }
}

#[cfg(test)]
mod tests;
