//! [`Header`]: the column names that the rows of a reader share, [`HeaderBuilder`] that
//! collects them one key at a time, and [`unique_column_names`], the one de-duplication
//! rule.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Up to this many names a lookup scans them in order; past it a hash index is built
/// (once per header), so that a row with 100,000 keys is read in linear time.
pub(crate) const LINEAR_LOOKUP_MAX: usize = 12;

/// The column names of a row, in order. One header is shared (by `Arc`) by all the
/// rows that have the same columns, so a row costs one `Vec<Value>`, not a map.
#[derive(Debug, Default)]
pub struct Header {
    pub(crate) names: Vec<String>,
    index: OnceLock<HashMap<String, usize>>,
    /// This header with one more name, made the first time a row sharing it appended
    /// that name: the rows that append the same name share the result too.
    appended: OnceLock<(String, Arc<Header>)>,
}

/// Column names from a header's fields, by the one rule every format uses: an empty
/// field becomes `column_N` (N its 1-based position), and a name already taken gets the
/// first free suffix of `_2`, `_3`, ... (so `a,a_2,a` gives `a, a_2, a_3`).
///
/// ```
/// assert_eq!(iterable_core::unique_column_names(["a", "a_2", "a", ""]), ["a", "a_2", "a_3", "column_4"]);
/// ```
pub fn unique_column_names(fields: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, field) in fields.into_iter().enumerate() {
        let field = field.as_ref();
        let base = if field.is_empty() {
            format!("column_{}", i + 1)
        } else {
            field.to_owned()
        };
        let mut name = base.clone();
        let mut n = 2;
        while seen.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        seen.insert(name.clone());
        names.push(name);
    }
    names
}

impl Header {
    /// A header with these names, in this order.
    pub fn new(names: Vec<String>) -> Self {
        Header {
            names,
            index: OnceLock::new(),
            appended: OnceLock::new(),
        }
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// How many columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no columns.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The position of `name` (its first occurrence).
    pub fn position(&self, name: &str) -> Option<usize> {
        if self.names.len() <= LINEAR_LOOKUP_MAX {
            return self.names.iter().position(|n| n == name);
        }
        let index = self.index.get_or_init(|| index_of(&self.names));
        index.get(name).copied()
    }

    /// True when the names equal `keys`, in order.
    pub fn matches<S: AsRef<str>>(&self, keys: &[S]) -> bool {
        self.names.len() == keys.len() && self.names.iter().zip(keys).all(|(a, b)| a == b.as_ref())
    }

    /// This shared header with `name` appended: the same `Arc` for every row that
    /// appends the same name to it (a `map` adding a column makes one new header, not
    /// one a row).
    pub(crate) fn with_appended(self: &Arc<Self>, name: String) -> Arc<Header> {
        if let Some((known, header)) = self.appended.get()
            && *known == name
        {
            return header.clone();
        }
        let mut next = Header::clone(self);
        next.push(name.clone());
        let next = Arc::new(next);
        // Another name may be there already: then this one is not kept.
        let _ = self.appended.set((name, next.clone()));
        next
    }

    /// Appends a name, keeping a built index up to date (so that inserting many
    /// columns one by one stays linear).
    pub(crate) fn push(&mut self, name: String) {
        // What was appended to the header before is not what it becomes now.
        self.appended.take();
        if let Some(index) = self.index.get_mut() {
            index.entry(name.clone()).or_insert(self.names.len());
        }
        self.names.push(name);
    }
}

/// The first position of each name.
fn index_of(names: &[String]) -> HashMap<String, usize> {
    let mut map = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        map.entry(n.clone()).or_insert(i);
    }
    map
}

impl Clone for Header {
    fn clone(&self) -> Self {
        Header::new(self.names.clone())
    }
}

impl PartialEq for Header {
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names
    }
}

/// Collects the distinct keys of one record as a reader meets them, answering "was
/// this key seen already, and where?" in constant time however many keys the record
/// has (a scan up to a dozen keys, a hash index past that). Readers use it to build a
/// [`Header`] and to apply the duplicate-key rule.
///
/// ```
/// use iterable_core::HeaderBuilder;
///
/// let mut names = HeaderBuilder::new();
/// assert_eq!(names.add("a".into()), None); // new: added at position 0
/// assert_eq!(names.add("b".into()), None);
/// assert_eq!(names.add("a".into()), Some(0)); // seen at position 0; nothing added
/// assert_eq!(names.into_header().names(), ["a", "b"]);
/// ```
#[derive(Debug, Default)]
pub struct HeaderBuilder {
    names: Vec<String>,
    /// Built once `names` passes [`LINEAR_LOOKUP_MAX`], then kept up to date.
    index: Option<HashMap<String, usize>>,
}

impl HeaderBuilder {
    /// No names yet.
    pub fn new() -> Self {
        HeaderBuilder::default()
    }

    /// Starts from names already known to be distinct (the first columns of the
    /// previous row's header, say).
    pub fn from_distinct(names: Vec<String>) -> Self {
        let index = (names.len() > LINEAR_LOOKUP_MAX).then(|| index_of(&names));
        HeaderBuilder { names, index }
    }

    /// The position of `name`, if it was added.
    pub fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.names.iter().position(|n| n == name),
        }
    }

    /// Adds `name` at the end, unless it is already there: then nothing is added and
    /// its earlier position is returned.
    pub fn add(&mut self, name: Cow<'_, str>) -> Option<usize> {
        if let Some(at) = self.position(&name) {
            return Some(at);
        }
        let name = name.into_owned();
        let at = self.names.len();
        match &mut self.index {
            Some(index) => {
                index.insert(name.clone(), at);
            }
            None if at + 1 > LINEAR_LOOKUP_MAX => {
                let mut index = index_of(&self.names);
                index.insert(name.clone(), at);
                self.index = Some(index);
            }
            None => {}
        }
        self.names.push(name);
        None
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no name was added.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The header, keeping the index built so far (a wide row's header is then not
    /// indexed a second time when its columns are looked up).
    pub fn into_header(self) -> Header {
        let index = OnceLock::new();
        if let Some(built) = self.index {
            let _ = index.set(built);
        }
        Header {
            names: self.names,
            index,
            appended: OnceLock::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_finds_repeats_below_and_past_the_linear_limit() {
        let mut names = HeaderBuilder::new();
        for i in 0..100 {
            assert_eq!(names.add(format!("k{i}").into()), None);
        }
        assert_eq!(names.add("k3".into()), Some(3));
        assert_eq!(names.add("k99".into()), Some(99));
        assert_eq!(names.len(), 100);
        let header = names.into_header();
        assert_eq!(header.position("k42"), Some(42));
        assert_eq!(header.position("k100"), None);
    }

    #[test]
    fn a_builder_from_distinct_names_knows_them() {
        let names: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
        let mut builder = HeaderBuilder::from_distinct(names);
        assert_eq!(builder.add("c19".into()), Some(19));
        assert_eq!(builder.add("new".into()), None);
        assert_eq!(builder.position("new"), Some(20));
    }

    #[test]
    fn pushing_onto_an_indexed_header_keeps_the_index_true() {
        let mut header = Header::new((0..20).map(|i| format!("c{i}")).collect());
        assert_eq!(header.position("c5"), Some(5)); // builds the index
        header.push("late".into());
        header.push("c5".into()); // a repeat keeps the first position
        assert_eq!(header.position("late"), Some(20));
        assert_eq!(header.position("c5"), Some(5));
    }
}
