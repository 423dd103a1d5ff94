//! The diurnal generator: a daily cycle on the wall clock, with a weekend factor.
//!
//! - `min`/`max` (+ `peak_at`, default 14:00): a sinusoid with its maximum at `peak_at` and its
//!   minimum twelve hours away.
//! - `profile`: 24 rates, one per hour: the rate at the middle of hour h (h:30) is `profile[h]`,
//!   linearly interpolated in between (wrapping at midnight), so each hour's mean stays close to
//!   its value without steps on the hour.
//! - `weekend_factor` multiplies Saturday and Sunday (local midnight to midnight).
//!
//! Wall clock: the scenario's `start_time` (or `--start` for `trace gen`) is the instant of
//! t = 0, read in its own UTC offset, or in `timezone:` (an IANA name such as `Europe/Paris`,
//! daylight-saving aware) when given. Without a start time, t = 0 is Monday 00:00.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

const DAY: f64 = 86_400.0;

/// The daily shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DayShape {
    Sine { min: f64, max: f64, peak_at: f64 },
    Profile(Vec<f64>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diurnal {
    pub(crate) shape: DayShape,
    pub(crate) weekend_factor: f64,
    pub(crate) timezone: Option<Tz>,
}

/// Maps trace time to local wall-clock time (seconds since a local Monday 00:00).
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    start: Option<DateTime<FixedOffset>>,
    tz: Option<Tz>,
    /// Local seconds since Monday 1970-01-05 00:00 of t = 0 (fixed-offset case).
    base: f64,
}

impl Clock {
    pub(crate) fn new(start: Option<DateTime<FixedOffset>>, tz: Option<Tz>) -> Clock {
        let base = match start {
            Some(s) => local_secs(&s.naive_local(), s.timestamp_subsec_nanos()),
            None => 0.0,
        };
        Clock { start, tz, base }
    }

    /// Local seconds since some Monday 00:00 at trace time `t`.
    pub(crate) fn local(&self, t: f64) -> f64 {
        match (self.start, self.tz) {
            (Some(s), Some(tz)) => {
                let whole = t.floor();
                let frac = t - whole;
                let Some(instant) = chrono::TimeDelta::try_seconds(whole as i64)
                    .and_then(|d| s.checked_add_signed(d))
                else {
                    return self.base + t;
                };
                let local = tz.from_utc_datetime(&instant.naive_utc());
                let off = local.offset().fix().local_minus_utc() as f64;
                let utc =
                    instant.timestamp() as f64 + instant.timestamp_subsec_nanos() as f64 / 1e9;
                // Seconds since the epoch in local time, re-based on a Monday.
                (utc + off + frac) - MONDAY_EPOCH
            }
            _ => self.base + t,
        }
    }
}

/// 1970-01-05 (a Monday) 00:00, in seconds since the Unix epoch.
const MONDAY_EPOCH: f64 = 4.0 * DAY;

fn local_secs(n: &NaiveDateTime, nanos: u32) -> f64 {
    let days = n.date().num_days_from_ce() as f64 - 719_163.0; // days since 1970-01-01
    days * DAY + n.num_seconds_from_midnight() as f64 + (nanos % 1_000_000_000) as f64 / 1e9
        - MONDAY_EPOCH
}

impl Diurnal {
    /// Rate at local time `l` (seconds since a Monday 00:00).
    pub(crate) fn at_local(&self, l: f64) -> f64 {
        let sod = l.rem_euclid(DAY);
        let weekday = (l / DAY).floor().rem_euclid(7.0) as u32; // 0 = Monday
        let day = match &self.shape {
            DayShape::Sine { min, max, peak_at } => {
                min + (max - min) * (1.0 + (std::f64::consts::TAU * (sod - peak_at) / DAY).cos())
                    / 2.0
            }
            DayShape::Profile(p) => {
                let h = (sod / 3600.0 - 0.5).rem_euclid(24.0);
                let i = (h.floor() as usize).min(23);
                let frac = h - i as f64;
                p[i] * (1.0 - frac) + p[(i + 1) % 24] * frac
            }
        };
        if weekday >= 5 {
            day * self.weekend_factor
        } else {
            day
        }
    }

    /// Breakpoints in local time: every half hour (profile knots at h:30, midnight jumps).
    pub(crate) fn local_breaks(la: f64, lb: f64, out: &mut Vec<f64>) {
        let mut x = (la / 1800.0).floor() * 1800.0 + 1800.0;
        while x < lb {
            out.push(x);
            x += 1800.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_without_start_is_monday_midnight() {
        let c = Clock::new(None, None);
        assert_eq!(c.local(0.0), 0.0);
        let d = Diurnal {
            shape: DayShape::Sine {
                min: 10.0,
                max: 30.0,
                peak_at: 14.0 * 3600.0,
            },
            weekend_factor: 0.5,
            timezone: None,
        };
        assert!((d.at_local(14.0 * 3600.0) - 30.0).abs() < 1e-12);
        assert!((d.at_local(2.0 * 3600.0) - 10.0).abs() < 1e-12);
        assert!((d.at_local(5.0 * DAY + 14.0 * 3600.0) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn clock_follows_start_time_and_timezone() {
        // Saturday 2024-03-09 12:00 at +01:00.
        let s = DateTime::parse_from_rfc3339("2024-03-09T12:00:00+01:00").unwrap();
        let c = Clock::new(Some(s), None);
        let l = c.local(0.0);
        assert_eq!((l / DAY).floor() as i64 % 7, 5);
        assert_eq!(l.rem_euclid(DAY), 12.0 * 3600.0);
        // Same instant read in New York (UTC-5 in March before DST): 06:00 Saturday.
        let c = Clock::new(Some(s), Some(chrono_tz::America::New_York));
        assert_eq!(c.local(0.0).rem_euclid(DAY), 6.0 * 3600.0);
        // After the DST change on 2024-03-10 (UTC-4): 24 h later reads 07:00.
        assert_eq!(c.local(DAY).rem_euclid(DAY), 7.0 * 3600.0);
    }

    #[test]
    fn profile_interpolates_between_half_hours() {
        let mut p = vec![0.0; 24];
        p[10] = 100.0;
        let d = Diurnal {
            shape: DayShape::Profile(p),
            weekend_factor: 1.0,
            timezone: None,
        };
        assert_eq!(d.at_local(10.5 * 3600.0), 100.0);
        assert_eq!(d.at_local(11.0 * 3600.0), 50.0);
        assert_eq!(d.at_local(9.5 * 3600.0), 0.0);
    }
}
