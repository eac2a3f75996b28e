//! What a server says in its response headers about retrying and about the account's
//! rate limits, read into the protocol-free [`RetryHint`] and [`RateInfo`].

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::{RateInfo, RetryHint};
use crate::retry::parse_retry_after;

/// The retry advice and rate limits in a response's headers.
pub(crate) fn server_hints(headers: &HeaderMap, now: SystemTime) -> RetryHint {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let after = get("retry-after-ms")
        .and_then(|ms| ms.parse::<f64>().ok())
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
        .or_else(|| get("retry-after").and_then(|v| parse_retry_after(v, now)));
    let should_retry = get("x-should-retry").and_then(|v| match v {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    });
    let rate = rate_info(&get, now);
    RetryHint {
        after,
        should_retry,
        rate: (!rate.is_empty()).then_some(rate),
    }
}

/// OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets as
/// durations, `6m0s`), or Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,
/// remaining,reset}` (resets as RFC 3339 times).
fn rate_info<'a>(get: &impl Fn(&str) -> Option<&'a str>, now: SystemTime) -> RateInfo {
    let number = |name: &str| get(name).and_then(|v| v.parse::<u64>().ok());
    let openai_reset = |name: &str| get(name).and_then(parse_go_duration);
    let anthropic_reset = |name: &str| {
        get(name).and_then(|v| {
            let at = parse_rfc3339(v)?;
            Some(at.duration_since(now).unwrap_or(Duration::ZERO))
        })
    };
    let mut info = RateInfo {
        limit_requests: number("x-ratelimit-limit-requests"),
        remaining_requests: number("x-ratelimit-remaining-requests"),
        reset_requests: openai_reset("x-ratelimit-reset-requests"),
        limit_tokens: number("x-ratelimit-limit-tokens"),
        remaining_tokens: number("x-ratelimit-remaining-tokens"),
        reset_tokens: openai_reset("x-ratelimit-reset-tokens"),
    };
    if info.is_empty() {
        info = RateInfo {
            limit_requests: number("anthropic-ratelimit-requests-limit"),
            remaining_requests: number("anthropic-ratelimit-requests-remaining"),
            reset_requests: anthropic_reset("anthropic-ratelimit-requests-reset"),
            limit_tokens: number("anthropic-ratelimit-tokens-limit"),
            remaining_tokens: number("anthropic-ratelimit-tokens-remaining"),
            reset_tokens: anthropic_reset("anthropic-ratelimit-tokens-reset"),
        };
    }
    info
}

/// A Go-style duration as OpenAI writes its resets: `1s`, `6m0s`, `20ms`, `1h2m3.5s`.
pub(crate) fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += value * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// `2026-12-06T07:05:21Z` (or with an offset, fractions of a second allowed).
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let t = text.trim();
    let (date, time) = t.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let zone_at = time.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = time.split_at(zone_at);
    let mut c = clock.splitn(3, ':');
    let hour: i64 = c.next()?.parse().ok()?;
    let minute: i64 = c.next()?.parse().ok()?;
    let second: f64 = c.next()?.parse().ok()?;
    let offset_minutes = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 - offset_minutes * 60;
    let secs = u64::try_from(secs).ok()?;
    Some(
        SystemTime::UNIX_EPOCH
            + Duration::from_secs(secs)
            + Duration::try_from_secs_f64(second).ok()?,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_give_the_hint_and_ms_wins() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        h.insert("retry-after-ms", "150".parse().unwrap());
        h.insert("x-should-retry", "false".parse().unwrap());
        let hint = server_hints(&h, SystemTime::now());
        assert_eq!(hint.after, Some(Duration::from_millis(150)));
        assert_eq!(hint.should_retry, Some(false));
        assert_eq!(hint.rate, None);
    }

    #[test]
    fn openai_rate_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit-requests", "500".parse().unwrap());
        h.insert("x-ratelimit-remaining-requests", "499".parse().unwrap());
        h.insert("x-ratelimit-reset-requests", "120ms".parse().unwrap());
        h.insert("x-ratelimit-limit-tokens", "200000".parse().unwrap());
        h.insert("x-ratelimit-remaining-tokens", "0".parse().unwrap());
        h.insert("x-ratelimit-reset-tokens", "6m0s".parse().unwrap());
        let rate = server_hints(&h, SystemTime::now()).rate.unwrap();
        assert_eq!(rate.limit_requests, Some(500));
        assert_eq!(rate.remaining_requests, Some(499));
        assert_eq!(rate.reset_requests, Some(Duration::from_millis(120)));
        assert_eq!(rate.limit_tokens, Some(200_000));
        assert_eq!(rate.remaining_tokens, Some(0));
        assert_eq!(rate.reset_tokens, Some(Duration::from_secs(360)));
    }

    #[test]
    fn anthropic_rate_headers() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_004_721); // 2025-12-06T07:05:21Z
        let mut h = HeaderMap::new();
        h.insert("anthropic-ratelimit-requests-limit", "50".parse().unwrap());
        h.insert(
            "anthropic-ratelimit-requests-remaining",
            "0".parse().unwrap(),
        );
        h.insert(
            "anthropic-ratelimit-requests-reset",
            "2025-12-06T07:05:31Z".parse().unwrap(),
        );
        let rate = server_hints(&h, now).rate.unwrap();
        assert_eq!(rate.limit_requests, Some(50));
        assert_eq!(rate.remaining_requests, Some(0));
        assert_eq!(rate.reset_requests, Some(Duration::from_secs(10)));
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_go_duration("1h2m3.5s"),
            Some(Duration::from_millis(3_723_500))
        );
        assert_eq!(parse_go_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_go_duration("soon"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn rfc3339_with_an_offset() {
        let utc = parse_rfc3339("2025-12-06T07:05:21Z").unwrap();
        let plus = parse_rfc3339("2025-12-06T09:05:21+02:00").unwrap();
        assert_eq!(utc, plus);
        assert_eq!(
            utc.duration_since(SystemTime::UNIX_EPOCH).unwrap(),
            Duration::from_secs(1_765_004_721)
        );
    }
}
