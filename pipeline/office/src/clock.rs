//! The run's clock: `TOKUMEI_NOW` (tests, replays) or the system clock; Japan's date from it.

use crate::OfficeError;
use tokumei_engine::run::rfc3339;

/// The run's clock and the audit clock.
pub struct Clock {
    /// The run clock (release id, report dates): `TOKUMEI_NOW` or the system clock.
    pub run_unix: i64,
    /// Set when `TOKUMEI_NOW` overrides the run clock (recorded in every entry).
    pub overridden: bool,
}

impl Clock {
    /// Read `TOKUMEI_NOW` (Unix seconds from 1970 to the end of 9999) and the system clock.
    pub fn now() -> Result<Clock, OfficeError> {
        match std::env::var("TOKUMEI_NOW") {
            Err(_) => Ok(Clock { run_unix: system_unix(), overridden: false }),
            Ok(v) => match v.trim().parse::<i64>() {
                Ok(t) if (0..=253_402_300_799).contains(&t) => Ok(Clock { run_unix: t, overridden: true }),
                _ => Err(OfficeError::Usage(
                    "TOKUMEI_NOW must be Unix seconds between 0 and 253402300799 (the end of 9999)".into(),
                )),
            },
        }
    }

    /// The time for a run's audit entry: always the system clock (the log raises it to the
    /// previous entry's time if the clock is behind).
    pub fn entry_time(&self) -> String {
        rfc3339(system_unix())
    }

    /// The time of a registry change (its journal row, its audit entry and the rows it writes):
    /// `TOKUMEI_NOW` when set, so a test clock sets every clock the registry uses; else the
    /// system clock now.
    pub fn registry_time(&self) -> String {
        if self.overridden { rfc3339(self.run_unix) } else { rfc3339(system_unix()) }
    }

    /// Who makes a registry change, and when (by [`Clock::registry_time`]).
    pub fn who(&self, operator: String) -> tokumei_registry::Who {
        tokumei_registry::Who { operator, time: self.registry_time(), clock: self.note() }
    }

    /// Today by the run clock, as a date in Japan (`YYYY-MM-DD`): deadlines, use periods, bars
    /// and "today" are Japan's dates (Asia/Tokyo), so from 00:00 to 08:59 JST it is the day
    /// after the UTC date.
    pub fn today_in_japan(&self) -> Result<String, OfficeError> {
        tokumei_registry::deadline::japan_today(self.run_unix)
            .ok_or_else(|| OfficeError::Usage("the run clock is past the end of 9999 in Japan (TOKUMEI_NOW)".into()))
    }

    /// What an entry notes about the clock.
    pub fn note(&self) -> Option<String> {
        self.overridden.then(|| format!("run clock set by TOKUMEI_NOW to {}", rfc3339(self.run_unix)))
    }
}

/// The registry's own entries (seals after a check, lost changes, the schema upgrade) at the
/// run clock, by the process itself: for [`tokumei_registry::use_clock`]. `None` when
/// `TOKUMEI_NOW` is not set (the registry uses the system clock), or is invalid (every act then
/// refuses it).
pub fn registry_who() -> Option<tokumei_registry::Who> {
    Clock::now().ok().filter(|c| c.overridden).map(|c| c.who("tokumei".into()))
}

/// The system clock in Unix seconds (0 before 1970).
pub fn system_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
