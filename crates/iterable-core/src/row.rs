//! [`Row`]: an ordered record whose column names are shared by every row of a reader.

use std::ops::{Index, IndexMut};
use std::sync::{Arc, OnceLock};

use crate::{Header, HeaderBuilder, Value};

/// One record: named values in column order.
///
/// ```
/// use iterable_core::{row, Row, Value};
///
/// let mut r = row! { "id" => 7, "tags" => vec!["a", "b"] };
/// r.insert("ok", true);
/// assert_eq!(r.get("id"), Some(&Value::Int(7)));
/// assert_eq!(r.len(), 3);
/// let pairs: Vec<(&str, &Value)> = r.iter().collect();
/// assert_eq!(pairs[2], ("ok", &Value::Bool(true)));
/// ```
#[derive(Debug, Clone)]
pub struct Row {
    header: Arc<Header>,
    values: Vec<Value>,
}

impl Default for Row {
    fn default() -> Self {
        Row::new()
    }
}

impl Row {
    /// An empty row.
    pub fn new() -> Self {
        static EMPTY: OnceLock<Arc<Header>> = OnceLock::new();
        Row {
            header: EMPTY.get_or_init(|| Arc::new(Header::default())).clone(),
            values: Vec::new(),
        }
    }

    /// A row over a shared header. `values` must have one value per column.
    ///
    /// # Panics
    /// When the lengths differ.
    pub fn from_parts(header: Arc<Header>, values: Vec<Value>) -> Self {
        assert_eq!(
            header.len(),
            values.len(),
            "a row needs one value per column"
        );
        Row { header, values }
    }

    /// The shared header.
    pub fn header(&self) -> &Arc<Header> {
        &self.header
    }

    /// The values, in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The values, mutable, in column order.
    pub fn values_mut(&mut self) -> &mut [Value] {
        &mut self.values
    }

    /// Splits the row into its header and values.
    pub fn into_parts(self) -> (Arc<Header>, Vec<Value>) {
        (self.header, self.values)
    }

    /// How many columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The column names, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.header.names.iter().map(String::as_str)
    }

    /// `(name, value)` pairs, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        self.header
            .names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter())
    }

    /// The value of a column.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.header.position(name).map(|i| &self.values[i])
    }

    /// The value of a column, mutable.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.header.position(name).map(|i| &mut self.values[i])
    }

    /// True when the row has this column.
    pub fn contains_key(&self, name: &str) -> bool {
        self.header.position(name).is_some()
    }

    /// Sets a column, appending it when new. Returns the value it replaced.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let name = name.into();
        let value = value.into();
        if let Some(i) = self.header.position(&name) {
            return Some(std::mem::replace(&mut self.values[i], value));
        }
        match Arc::get_mut(&mut self.header) {
            Some(own) => own.push(name),
            None => self.header = self.header.with_appended(name),
        }
        self.values.push(value);
        None
    }

    /// Removes a column, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.header.position(name)?;
        let mut names = self.header.names.clone();
        names.remove(i);
        self.header = Arc::new(Header::new(names));
        Some(self.values.remove(i))
    }

    /// Deserializes the row into a user type, by column name.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Person { id: i64, name: String }
    ///
    /// let r = iterable_core::row! { "id" => 3, "name" => "Ana" };
    /// let p: Person = r.deserialize().unwrap();
    /// assert_eq!((p.id, p.name.as_str()), (3, "Ana"));
    /// ```
    pub fn deserialize<'de, T: serde::Deserialize<'de>>(&'de self) -> Result<T, crate::Error> {
        T::deserialize(crate::row_serde::RowDeserializer::new(self))
            .map_err(|e| crate::Error::Deserialize(e.to_string()))
    }

    /// A row from any `Serialize` struct or map: fields in their order, nested structs
    /// as maps, sequences as lists, `Option::None` as null, bytes (`serde_bytes`) as
    /// bytes, enums as serde_json writes them. A value that is not a struct or map, or
    /// an integer past `i64::MAX`, is an [`Error::Serialize`](crate::Error::Serialize).
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Person { id: u32, name: String, tags: Vec<&'static str>, email: Option<String> }
    ///
    /// let p = Person { id: 3, name: "Ana".into(), tags: vec!["a"], email: None };
    /// let row = iterable_core::Row::from_serialize(&p).unwrap();
    /// assert_eq!(row, iterable_core::row! {
    ///     "id" => 3, "name" => "Ana",
    ///     "tags" => vec![iterable_core::Value::from("a")],
    ///     "email" => iterable_core::Value::Null,
    /// });
    /// ```
    pub fn from_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<Row, crate::Error> {
        match crate::value_ser::to_value(value) {
            Ok(Value::Map(row)) => Ok(row),
            Ok(other) => Err(crate::Error::Serialize(format!(
                "a row is made from a struct or a map, not {}",
                match other {
                    Value::List(_) => "a sequence",
                    Value::Null => "nothing (unit or None)",
                    _ => "a single value",
                }
            ))),
            Err(e) => Err(crate::Error::Serialize(e.to_string())),
        }
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        (Arc::ptr_eq(&self.header, &other.header) || self.header == other.header)
            && self.values == other.values
    }
}

impl Index<&str> for Row {
    type Output = Value;
    fn index(&self, name: &str) -> &Value {
        match self.get(name) {
            Some(v) => v,
            None => panic!("row has no column {name:?}"),
        }
    }
}

impl IndexMut<&str> for Row {
    fn index_mut(&mut self, name: &str) -> &mut Value {
        match self.header.position(name) {
            Some(i) => &mut self.values[i],
            None => panic!("row has no column {name:?}"),
        }
    }
}

impl Index<usize> for Row {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        &self.values[i]
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Row {
    /// A repeated key keeps its first place and takes the last value.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut names = HeaderBuilder::new();
        let mut values: Vec<Value> = Vec::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            match names.add(std::borrow::Cow::Owned(k.into())) {
                Some(i) => values[i] = v.into(),
                None => values.push(v.into()),
            }
        }
        Row {
            header: Arc::new(names.into_header()),
            values,
        }
    }
}

impl<'a> IntoIterator for &'a Row {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Zip<
        std::iter::Map<std::slice::Iter<'a, String>, fn(&String) -> &str>,
        std::slice::Iter<'a, Value>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        let names: fn(&String) -> &str = String::as_str;
        self.header.names.iter().map(names).zip(self.values.iter())
    }
}

/// Builds a [`Row`] from `name => value` pairs, in order.
///
/// ```
/// let r = iterable_core::row! { "a" => 1, "b" => "two", "c" => Option::<i64>::None };
/// assert_eq!(r.len(), 3);
/// assert!(r["c"].is_null());
/// ```
#[macro_export]
macro_rules! row {
    () => { $crate::Row::new() };
    ($($key:expr => $value:expr),+ $(,)?) => {
        <$crate::Row as ::core::iter::FromIterator<(::std::string::String, $crate::Value)>>::from_iter([
            $((::std::string::String::from($key), $crate::Value::from($value))),+
        ])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_one_reader_share_a_header() {
        let header = Arc::new(Header::new(vec!["a".into(), "b".into()]));
        let r1 = Row::from_parts(header.clone(), vec![1.into(), 2.into()]);
        let r2 = Row::from_parts(header.clone(), vec![3.into(), 4.into()]);
        assert!(Arc::ptr_eq(r1.header(), r2.header()));
        assert_eq!(r2["b"], Value::Int(4));
    }

    #[test]
    fn insert_on_a_shared_header_does_not_touch_other_rows() {
        let header = Arc::new(Header::new(vec!["a".into()]));
        let mut r1 = Row::from_parts(header.clone(), vec![1.into()]);
        let r2 = Row::from_parts(header, vec![2.into()]);
        r1.insert("b", "x");
        assert_eq!(r1.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(r2.keys().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn rows_that_append_the_same_column_share_the_new_header() {
        let header = Arc::new(Header::new(vec!["a".into()]));
        let mut rows: Vec<Row> = (0..3)
            .map(|i| Row::from_parts(header.clone(), vec![i.into()]))
            .collect();
        for row in &mut rows {
            row.insert("b", true);
            row.insert("c", 1);
        }
        assert!(Arc::ptr_eq(rows[0].header(), rows[2].header()));
        assert_eq!(rows[1].keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(rows[1]["b"], Value::Bool(true));
        // Another name on the same header is a header of its own.
        let mut other = Row::from_parts(header.clone(), vec![9.into()]);
        other.insert("z", 0);
        assert_eq!(other.keys().collect::<Vec<_>>(), ["a", "z"]);
        assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        // A row that owns its header grows it in place, and what was cached for the
        // header before is not used for what it became.
        let mut own = Row::from_parts(Arc::new(Header::new(vec!["a".into()])), vec![1.into()]);
        let mut twin = own.clone();
        twin.insert("b", 1);
        drop(twin);
        own.insert("q", 2);
        own.insert("b", 3);
        assert_eq!(own.keys().collect::<Vec<_>>(), ["a", "q", "b"]);
    }

    #[test]
    fn lookup_works_past_the_linear_limit() {
        let r: Row = (0..40).map(|i| (format!("c{i}"), i)).collect();
        assert_eq!(r["c33"], Value::Int(33));
        assert!(r.get("c40").is_none());
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_in_the_first_place() {
        let r: Row = [("a", 1), ("b", 2), ("a", 3)].into_iter().collect();
        assert_eq!(r.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(r["a"], Value::Int(3));
    }

    #[test]
    fn remove_and_equality() {
        let mut r = crate::row! { "a" => 1, "b" => 2 };
        assert_eq!(r.remove("a"), Some(Value::Int(1)));
        assert_eq!(r, crate::row! { "b" => 2 });
        assert_ne!(r, crate::row! { "c" => 2 });
    }
}
