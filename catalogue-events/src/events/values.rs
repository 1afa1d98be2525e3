//! The small value types of the catalogue payloads: kinds, directions and card scopes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kind of resource a `catalogue_data_changed` event is about; serialised as its snake-case
/// name (`"smart_rule"`).
///
/// ```
/// use catalogue_events::DataKind;
/// assert_eq!(DataKind::ItemSupplierInfo.as_str(), "item_supplier_info");
/// assert_eq!(DataKind::ALL.len(), 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// `catalogue`: a catalogue itself (its parent is its own uuid).
    Catalogue,
    /// `category`.
    Category,
    /// `item`.
    Item,
    /// `folder`: a folder of catalogues.
    Folder,
    /// `manufacturer`: global (no parent catalogue).
    Manufacturer,
    /// `supplier`: global (no parent catalogue).
    Supplier,
    /// `smart_rule`.
    SmartRule,
    /// `links`: manufacturer-supplier links, usually a bulk sync with no uuid; global.
    Links,
    /// `pdf`.
    Pdf,
    /// `item_supplier_info`: an item's supplier row.
    ItemSupplierInfo,
    /// `attribute_group`.
    AttributeGroup,
    /// `attribute_set`.
    AttributeSet,
}

impl DataKind {
    /// Every kind, in the order of SPEC's table.
    pub const ALL: [DataKind; 12] = [
        DataKind::Catalogue,
        DataKind::Category,
        DataKind::Item,
        DataKind::Folder,
        DataKind::Manufacturer,
        DataKind::Supplier,
        DataKind::SmartRule,
        DataKind::Links,
        DataKind::Pdf,
        DataKind::ItemSupplierInfo,
        DataKind::AttributeGroup,
        DataKind::AttributeSet,
    ];

    /// The wire name (`"smart_rule"`).
    ///
    /// ```
    /// assert_eq!(catalogue_events::DataKind::SmartRule.as_str(), "smart_rule");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::Catalogue => "catalogue",
            DataKind::Category => "category",
            DataKind::Item => "item",
            DataKind::Folder => "folder",
            DataKind::Manufacturer => "manufacturer",
            DataKind::Supplier => "supplier",
            DataKind::SmartRule => "smart_rule",
            DataKind::Links => "links",
            DataKind::Pdf => "pdf",
            DataKind::ItemSupplierInfo => "item_supplier_info",
            DataKind::AttributeGroup => "attribute_group",
            DataKind::AttributeSet => "attribute_set",
        }
    }
}

impl fmt::Display for DataKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sort direction; serialised as `"asc"` or `"desc"`.
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// assert_eq!(serde_json::to_string(&catalogue_events::SortDir::Desc)?, r#""desc""#);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// What a bulk change did to its items; serialised as its snake-case name.
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// let kind: catalogue_events::BulkKind = serde_json::from_str(r#""permanent_delete""#)?;
/// assert_eq!(kind, catalogue_events::BulkKind::PermanentDelete);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkKind {
    /// `trashed`: the items are going away (to the trash).
    Trashed,
    /// `restored`: the items are coming back from the trash.
    Restored,
    /// `moved`: the items left one scope for another.
    Moved,
    /// `permanent_delete`: the items are gone for good.
    PermanentDelete,
}

/// Which card of a catalogue's detail page: a category, or the uncategorized items. Serialised
/// as the category's hyphenated uuid or the string `"uncategorized"`.
///
/// ```
/// use catalogue_events::CardScope;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// assert_eq!(serde_json::to_string(&CardScope::Uncategorized)?, r#""uncategorized""#);
/// let category = uuid::Uuid::nil();
/// assert_eq!("00000000-0000-0000-0000-000000000000".parse::<CardScope>()?, CardScope::Category(category));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardScope {
    /// The card of this category.
    Category(Uuid),
    /// The card of items in no category.
    Uncategorized,
}

/// The wire text of [`CardScope::Uncategorized`].
const UNCATEGORIZED: &str = "uncategorized";

impl fmt::Display for CardScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CardScope::Category(uuid) => fmt::Display::fmt(&uuid.hyphenated(), f),
            CardScope::Uncategorized => f.write_str(UNCATEGORIZED),
        }
    }
}

/// Why a text is not a [`CardScope`]: neither a uuid nor `uncategorized`.
///
/// ```
/// let err = "sideways".parse::<catalogue_events::CardScope>().unwrap_err();
/// assert_eq!(err.to_string(), "card scope `sideways` is neither a category uuid nor `uncategorized`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCardScopeError {
    text: String,
}

impl fmt::Display for ParseCardScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "card scope `{}` is neither a category uuid nor `{UNCATEGORIZED}`",
            self.text
        )
    }
}

impl std::error::Error for ParseCardScopeError {}

impl FromStr for CardScope {
    type Err = ParseCardScopeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == UNCATEGORIZED {
            return Ok(CardScope::Uncategorized);
        }
        Uuid::parse_str(text)
            .map(CardScope::Category)
            .map_err(|_| ParseCardScopeError {
                text: text.to_owned(),
            })
    }
}

impl Serialize for CardScope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CardScope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
