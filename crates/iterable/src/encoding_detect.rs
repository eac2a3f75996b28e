//! The encoding of a text file that is not UTF-8, guessed from its first bytes.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};

/// The canonical name of the encoding `head` (the first bytes of a file; `at_eof`: all
/// of it) is in, when it is not valid UTF-8 (a character cut at the end of `head` is
/// not invalid); `None` for UTF-8, or when the guess is UTF-8 after all.
pub(crate) fn detect(head: &[u8], at_eof: bool) -> Option<&'static str> {
    match std::str::from_utf8(head) {
        Ok(_) => return None,
        Err(e) if e.error_len().is_none() && !at_eof => return None,
        Err(_) => {}
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(head, at_eof);
    let guess = detector.guess(None, Utf8Detection::Allow);
    (guess != encoding_rs::UTF_8).then(|| guess.name())
}

#[cfg(test)]
mod tests {
    use super::detect;

    #[test]
    fn utf8_is_left_alone_and_legacy_text_is_named() {
        assert_eq!(detect("id,name\n1,Zoë\n".as_bytes(), true), None);
        // A character cut by the end of the sample is not a reason to guess.
        assert_eq!(detect(&"Москва".as_bytes()[..5], false), None);
        let (cyrillic, _, _) = encoding_rs::WINDOWS_1251
            .encode("id,город\n1,Общество с ограниченной ответственностью\n2,Москва\n");
        assert_eq!(detect(&cyrillic, true), Some("windows-1251"));
        let (latin, _, _) =
            encoding_rs::WINDOWS_1252.encode("id,name\n1,Société Générale à Zürich, café crème\n");
        assert_eq!(detect(&latin, true), Some("windows-1252"));
    }
}
