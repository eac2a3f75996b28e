//! Avro's zigzag varints (`int` and `long`), from a reader and from a slice.

use std::io::{self, Read};

/// Why a varint could not be read.
#[derive(Debug)]
pub(super) enum VarintError {
    /// The input ended before its first byte.
    Empty,
    /// The input ended inside it.
    Short,
    /// More than ten bytes, or more than 64 bits.
    TooLong,
    /// The reader failed.
    Io(io::Error),
}

/// Reads one zigzag `long` from `input`, a byte at a time.
pub(super) fn read_long(input: &mut impl Read) -> Result<i64, VarintError> {
    let mut raw: u64 = 0;
    for i in 0..10 {
        let mut byte = [0u8; 1];
        let n = loop {
            match input.read(&mut byte) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(VarintError::Io(e)),
            }
        };
        if n == 0 {
            return Err(if i == 0 {
                VarintError::Empty
            } else {
                VarintError::Short
            });
        }
        if i == 9 && byte[0] > 1 {
            return Err(VarintError::TooLong);
        }
        raw |= u64::from(byte[0] & 0x7f) << (7 * i);
        if byte[0] & 0x80 == 0 {
            return Ok(unzigzag(raw));
        }
    }
    Err(VarintError::TooLong)
}

/// Takes one zigzag `long` off the front of `input`; `None` when it ends inside
/// one or the varint is longer than ten bytes.
#[inline]
pub(super) fn take_long(input: &mut &[u8]) -> Option<i64> {
    let mut raw: u64 = 0;
    for (i, &byte) in input.iter().enumerate().take(10) {
        if i == 9 && byte > 1 {
            return None;
        }
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(unzigzag(raw));
        }
    }
    None
}

#[inline]
fn unzigzag(raw: u64) -> i64 {
    ((raw >> 1) as i64) ^ -((raw & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_varints_decode_from_slices_and_readers() {
        // 0, -1, 1, -64, 64, i64::MAX, i64::MIN
        let cases: [(&[u8], i64); 7] = [
            (&[0x00], 0),
            (&[0x01], -1),
            (&[0x02], 1),
            (&[0x7f], -64),
            (&[0x80, 0x01], 64),
            (
                &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                i64::MAX,
            ),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                i64::MIN,
            ),
        ];
        for (bytes, want) in cases {
            let mut slice = bytes;
            assert_eq!(take_long(&mut slice), Some(want));
            assert!(slice.is_empty());
            assert_eq!(read_long(&mut &bytes[..]).unwrap(), want);
        }
    }

    #[test]
    fn short_and_overlong_varints_are_refused() {
        assert_eq!(take_long(&mut &[0x80u8][..]), None);
        assert_eq!(take_long(&mut &[0xffu8; 11][..]), None);
        assert_eq!(
            take_long(&mut &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02][..]),
            None
        );
        assert!(matches!(read_long(&mut &b""[..]), Err(VarintError::Empty)));
        assert!(matches!(
            read_long(&mut &[0x80u8][..]),
            Err(VarintError::Short)
        ));
        assert!(matches!(
            read_long(&mut &[0xffu8; 11][..]),
            Err(VarintError::TooLong)
        ));
    }
}
