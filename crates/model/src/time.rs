//! Entry timestamps as containers keep them.
//!
//! Formats keep modification times in three ways: seconds since the Unix
//! epoch in UTC (tar, cpio, gzip, RAR 5, zip's `UT` extra field), 100 ns
//! ticks since 1601 in UTC (7z, NTFS-derived formats), and MS-DOS date and
//! time fields in the *local* time of the machine that packed the file (zip's
//! main header, cabinets, ARJ, RAR 4), with no zone. A [`Timestamp`] keeps
//! which one it is: it is written as RFC 3339 with `Z` when the format says
//! UTC, and without a zone when it does not (`2024-02-05T10:18:04`), so no
//! reader takes a packer's local time for UTC.

use serde::{Serialize, Serializer};

/// A modification time from a container, seconds since 1970-01-01 00:00:00
/// in the time the format keeps (UTC or the packer's local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01 00:00:00 (in UTC, or in local time when
    /// `utc` is false).
    pub secs: i64,
    /// The format keeps UTC; false: the packer's local time, zone unknown.
    pub utc: bool,
}

/// Seconds from 1601-01-01 to 1970-01-01 (FILETIME epoch to Unix epoch).
const FILETIME_TO_UNIX: i64 = 11_644_473_600;

/// Years this side of which a time is taken as a value, not noise: a field
/// outside 1900..=9999 is not a time (an all-ones or zero field).
const YEARS: std::ops::RangeInclusive<i64> = 1900..=9999;

impl Timestamp {
    /// Seconds since the Unix epoch, UTC. `None` outside years 1900–9999.
    pub fn unix(secs: i64) -> Option<Self> {
        Self::checked(secs, true)
    }

    /// A Windows FILETIME (100 ns ticks since 1601-01-01, UTC). `None` for
    /// 0 (not set) and outside years 1900–9999.
    pub fn filetime(ticks: u64) -> Option<Self> {
        if ticks == 0 {
            return None;
        }
        let secs = i64::try_from(ticks / 10_000_000).ok()? - FILETIME_TO_UNIX;
        Self::checked(secs, true)
    }

    /// MS-DOS date and time words (local time, 2-second resolution). `None`
    /// when a field is out of range (month 0 or 13, day 0, hour 24 …),
    /// which is how packers write "no time" (all zero).
    pub fn dos(date: u16, time: u16) -> Option<Self> {
        let second = u32::from(time & 0x1F) * 2;
        // Two-second units reach 62; 60 and 62 name no time here.
        if second > 59 {
            return None;
        }
        Self::civil(
            1980 + i64::from(date >> 9),
            u32::from((date >> 5) & 0x0F),
            u32::from(date & 0x1F),
            u32::from(time >> 11),
            u32::from((time >> 5) & 0x3F),
            second,
            None,
        )
    }

    /// A calendar date and time; with `offset_minutes` (the zone the
    /// fields are in, east of UTC) a UTC time, without it the packer's
    /// local time. `None` for fields that name no time (month 0, hour 24
    /// …) and outside years 1900–9999.
    pub fn civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        offset_minutes: Option<i64>,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || !YEARS.contains(&year)
        {
            return None;
        }
        let local = days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second.min(59));
        match offset_minutes {
            Some(off) => Self::checked(local - off * 60, true),
            None => Self::checked(local, false),
        }
    }

    fn checked(secs: i64, utc: bool) -> Option<Self> {
        let (y, _, _) = civil_from_days(secs.div_euclid(86_400));
        YEARS.contains(&y).then_some(Timestamp { secs, utc })
    }
}

impl std::fmt::Display for Timestamp {
    /// RFC 3339: `2024-02-05T10:18:04Z` (UTC) or `2024-02-05T10:18:04`
    /// (local time of the packer, zone unknown).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let rest = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{}",
            rest / 3600,
            rest / 60 % 60,
            rest % 60,
            if self.utc { "Z" } else { "" }
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A modification time as the container keeps it, RFC 3339 to the second: with `Z` when the format keeps UTC, without a zone when it keeps the packer's local time.",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z?$",
        })
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_filetime_and_dos_times_print_as_rfc3339() {
        // `date -u -d @1707128285`: Mon Feb  5 10:18:05 UTC 2024.
        assert_eq!(
            Timestamp::unix(1_707_128_285).map(|t| t.to_string()),
            Some("2024-02-05T10:18:05Z".to_owned())
        );
        assert_eq!(
            Timestamp::unix(0).map(|t| t.to_string()),
            Some("1970-01-01T00:00:00Z".to_owned())
        );
        // 1601 + 11644473600 s = 1970-01-01.
        assert_eq!(
            Timestamp::filetime(116_444_736_000_000_000 + 10_000_000).map(|t| t.to_string()),
            Some("1970-01-01T00:00:01Z".to_owned())
        );
        // 2024-02-29 23:59:58 as DOS words: a leap day, local time, no zone.
        let date = ((2024 - 1980) << 9) | (2 << 5) | 29;
        let time = (23 << 11) | (59 << 5) | 29;
        assert_eq!(
            Timestamp::dos(date, time).map(|t| t.to_string()),
            Some("2024-02-29T23:59:58".to_owned())
        );
        assert_eq!(
            serde_json::to_string(&Timestamp::unix(86_399)).ok(),
            Some("\"1970-01-01T23:59:59Z\"".to_owned())
        );
    }

    #[test]
    fn fields_that_hold_no_time_give_none() {
        assert_eq!(Timestamp::dos(0, 0), None, "month 0: no time");
        let feb30 = ((2023 - 1980) << 9) | (2 << 5) | 30;
        assert_eq!(Timestamp::dos(feb30, 0), None);
        assert_eq!(Timestamp::dos(0x21, 24 << 11), None, "hour 24");
        assert_eq!(
            Timestamp::dos(0x21, 0).map(|t| t.to_string()).as_deref(),
            Some("1980-01-01T00:00:00")
        );
        assert_eq!(Timestamp::filetime(0), None);
        assert_eq!(Timestamp::filetime(u64::MAX), None, "year 60056");
        assert_eq!(Timestamp::unix(i64::MAX), None);
        assert_eq!(Timestamp::unix(i64::MIN), None);
        assert_eq!(Timestamp::unix(-2_208_988_801), None, "1899-12-31");
        assert!(Timestamp::unix(-2_208_988_800).is_some(), "1900-01-01");
    }

    #[test]
    fn civil_times_with_and_without_a_zone() {
        // 2024-06-01 12:00 at UTC+01:00 is 11:00 UTC.
        let t = Timestamp::civil(2024, 6, 1, 12, 0, 0, Some(60)).expect("time");
        assert_eq!(t.to_string(), "2024-06-01T11:00:00Z");
        let t = Timestamp::civil(2024, 6, 1, 12, 0, 0, None).expect("time");
        assert_eq!(t.to_string(), "2024-06-01T12:00:00");
        // West of UTC: 23:30 at UTC-05:00 is 04:30 the next day.
        let t = Timestamp::civil(2023, 12, 31, 23, 30, 0, Some(-300)).expect("time");
        assert_eq!(t.to_string(), "2024-01-01T04:30:00Z");
        // Fields that name no time.
        assert_eq!(Timestamp::civil(2024, 0, 1, 0, 0, 0, Some(0)), None);
        assert_eq!(Timestamp::civil(2024, 2, 30, 0, 0, 0, Some(0)), None);
        assert_eq!(Timestamp::civil(1900 - 1, 1, 1, 0, 0, 0, None), None);
        assert_eq!(Timestamp::civil(2024, 1, 1, 24, 0, 0, None), None);
    }
}
