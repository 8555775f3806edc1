//! Syntax of a cron job's `schedule`: five fields (minute, hour, day of month, month, day
//! of week), each a `*`, a number or name, a range `a-b`, any of those with a step `/n`,
//! or a comma-separated list of them. Schedules run in UTC on Render.

/// Why a schedule is not a valid five-field cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronError {
    /// An `@daily`-style macro: common in other schedulers, not documented for Render.
    Macro,
    Invalid(String),
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    // 7 is Sunday too in most cron implementations.
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: DAYS,
    },
];

/// Check a schedule's syntax.
pub fn check(schedule: &str) -> Result<(), CronError> {
    let s = schedule.trim();
    if s.starts_with('@') {
        return Err(CronError::Macro);
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(CronError::Invalid(format!(
            "a schedule has five fields (minute hour day-of-month month day-of-week); this one has {}",
            parts.len()
        )));
    }
    for (part, field) in parts.iter().zip(FIELDS.iter()) {
        check_field(part, field)
            .map_err(|why| CronError::Invalid(format!("{} field `{part}`: {why}", field.name)))?;
    }
    Ok(())
}

fn check_field(text: &str, f: &Field) -> Result<(), String> {
    for item in text.split(',') {
        if item.is_empty() {
            return Err("empty list item".into());
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if let Some(step) = step {
            let n: u32 = step
                .parse()
                .map_err(|_| format!("step `{step}` is not a number"))?;
            if n == 0 || n > f.max {
                return Err(format!("step {n} must be between 1 and {}", f.max));
            }
        }
        if range == "*" {
            continue;
        }
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (value(a, f)?, Some(value(b, f)?)),
            None => (value(range, f)?, None),
        };
        if let Some(hi) = hi
            && lo > hi
        {
            return Err(format!("range {lo}-{hi} runs backwards"));
        }
    }
    Ok(())
}

fn value(text: &str, f: &Field) -> Result<u32, String> {
    if let Ok(n) = text.parse::<u32>() {
        if n < f.min || n > f.max {
            return Err(format!("{n} is outside {}-{}", f.min, f.max));
        }
        return Ok(n);
    }
    let lower = text.to_ascii_lowercase();
    match f.names.iter().position(|n| *n == lower) {
        // Month names count from 1, day names from 0 (Sunday).
        Some(i) => Ok(i as u32 + f.min),
        None if f.names.is_empty() => Err(format!("`{text}` is not a number")),
        None => Err(format!("`{text}` is not a number or a three-letter name")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_forms() {
        for s in [
            "0 14 * * *",
            "*/15 * * * *",
            "0 0 1 JAN,jul *",
            "30 2 * * mon-fri",
            "0 9-17/2 * * 1-5",
            "5 4 * * 7",
            "0 0 1-31/3 * *",
            " 0 0 * * * ",
        ] {
            assert_eq!(check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn rejects_bad_schedules_with_the_field() {
        let cases = [
            ("0 14 * *", "five fields"),
            ("0 14 * * * *", "five fields"),
            ("60 * * * *", "minute field `60`: 60 is outside 0-59"),
            ("* 24 * * *", "hour field"),
            ("* * 0 * *", "day of month field"),
            ("* * * 13 *", "month field"),
            ("* * * * 8", "day of week field"),
            ("*/0 * * * *", "step 0"),
            ("5-1 * * * *", "runs backwards"),
            ("* * * foo *", "three-letter name"),
            ("1,,2 * * * *", "empty list item"),
            ("*/x * * * *", "not a number"),
        ];
        for (s, want) in cases {
            match check(s) {
                Err(CronError::Invalid(m)) => assert!(m.contains(want), "{s}: {m}"),
                other => panic!("{s}: {other:?}"),
            }
        }
        assert_eq!(check("@daily"), Err(CronError::Macro));
    }
}
