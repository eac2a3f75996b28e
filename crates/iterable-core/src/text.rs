//! [`Text`]: the string of a [`Value::String`](crate::Value::String), kept inline when short.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use compact_str::CompactString;

/// UTF-8 text, as a [`Value::String`](crate::Value::String) holds it: up to 24 bytes
/// are stored inline (no allocation), longer text on the heap. It is the size of a
/// `String`, dereferences to `str`, and compares equal to `str`, `&str` and `String`.
///
/// Most fields of real tables (ids, names, codes, dates, amounts) are short, so a row
/// of text costs one allocation (its values) instead of one per field.
///
/// ```
/// use iterable_core::{Text, Value};
///
/// let t = Text::from("Anna");
/// assert_eq!(t, "Anna");
/// assert_eq!(t.len(), 4);
/// assert!(t.starts_with("An"));
/// let v = Value::String(t);
/// assert_eq!(v.as_str(), Some("Anna"));
/// let owned: String = Text::from("x").into();
/// assert_eq!(owned, "x");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(CompactString);

impl Text {
    /// Text holding a copy of `s`.
    #[inline(always)]
    pub fn new(s: &str) -> Self {
        Text(CompactString::new(s))
    }

    /// The text as a `str`.
    #[inline]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The text as a `String` (no copy when it is on the heap already).
    #[inline]
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// Appends `s`.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.0.push_str(s);
    }
}

impl Deref for Text {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Text {
    #[inline]
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Text {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for Text {
    #[inline]
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Text {
    #[inline(always)]
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

impl From<&String> for Text {
    #[inline]
    fn from(s: &String) -> Self {
        Text::new(s)
    }
}

impl From<String> for Text {
    #[inline]
    fn from(s: String) -> Self {
        Text(CompactString::from(s))
    }
}

impl From<Cow<'_, str>> for Text {
    #[inline(always)]
    fn from(s: Cow<'_, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Text::new(s),
            Cow::Owned(s) => Text::from(s),
        }
    }
}

impl From<Box<str>> for Text {
    #[inline]
    fn from(s: Box<str>) -> Self {
        Text(CompactString::from(s))
    }
}

impl From<char> for Text {
    #[inline]
    fn from(c: char) -> Self {
        let mut buf = [0; 4];
        Text::new(c.encode_utf8(&mut buf))
    }
}

impl From<Text> for String {
    #[inline]
    fn from(t: Text) -> Self {
        t.into_string()
    }
}

impl std::str::FromStr for Text {
    type Err = std::convert::Infallible;
    #[inline]
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Text::new(s))
    }
}

impl FromIterator<char> for Text {
    #[inline]
    fn from_iter<I: IntoIterator<Item = char>>(iter: I) -> Self {
        Text(iter.into_iter().collect())
    }
}

impl<'a> FromIterator<&'a str> for Text {
    #[inline]
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        Text(iter.into_iter().collect())
    }
}

impl fmt::Write for Text {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl PartialEq<str> for Text {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    #[inline]
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl serde::Serialize for Text {
    #[inline]
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    #[inline]
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl serde::de::Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<Text, E> {
                Ok(Text::new(v))
            }
            fn visit_string<E>(self, v: String) -> Result<Text, E> {
                Ok(Text::from(v))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_text_read_back_the_same() {
        for s in [
            "",
            "a",
            "exactly twenty-four byte",
            "much longer than twenty-four bytes, so on the heap",
            "Zoë Łukasz 😀",
        ] {
            let t = Text::from(s);
            assert_eq!(t, s);
            assert_eq!(t.as_str(), s);
            assert_eq!(Text::from(s.to_owned()).into_string(), s);
            assert_eq!(format!("{t}"), s);
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
        }
        assert_eq!(std::mem::size_of::<Text>(), std::mem::size_of::<String>());
    }

    #[test]
    fn serde_writes_and_reads_a_plain_string() {
        let t: Text = serde_json::from_str("\"a\\nb\"").unwrap();
        assert_eq!(t, "a\nb");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"a\\nb\"");
    }
}
