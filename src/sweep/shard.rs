//! Sharding: `--shard I/N` runs the points whose index is `I − 1` modulo `N` (round-robin, so
//! every shard gets a similar mix of cheap and expensive points), and
//! `scalesim sweep merge DIR…` joins the shards' `sweep.csv` rows back into exactly the rows of
//! the unsharded sweep — for a Kubernetes Indexed Job or a CI matrix.

use super::grid::Point;
use super::output::{self, SweepMeta, SweepRow, SweepTable};
use crate::error::{Error, InputError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Slice `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Shard {
    pub(crate) index: usize,
    pub(crate) count: usize,
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with 1 ≤ I ≤ N.
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard I/N such as 1/4 (1 <= I <= N)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Does this shard run point `index`?
    pub(crate) fn owns(&self, index: usize) -> bool {
        index % self.count == self.index - 1
    }

    /// The points of this shard, in order.
    pub(crate) fn select(&self, points: &[Point]) -> Vec<Point> {
        points
            .iter()
            .filter(|p| self.owns(p.index))
            .cloned()
            .collect()
    }
}

fn bad(path: &Path, m: impl Into<String>) -> Error {
    InputError::in_file(path, m).into()
}

/// Read shard outputs (`sweep.json` + `sweep.csv` in each folder) and join them: every shard of
/// the same sweep exactly once, every point exactly once. Returns the metadata of the whole
/// sweep and its rows in point order.
pub(crate) fn merge(dirs: &[PathBuf]) -> Result<(SweepMeta, SweepTable), Error> {
    if dirs.is_empty() {
        return Err(InputError::new(Default::default(), "no shard folders to merge").into());
    }
    let mut parts: Vec<(PathBuf, SweepMeta, SweepTable)> = Vec::new();
    for d in dirs {
        let meta = output::read_meta(&d.join("sweep.json"))?;
        let table = output::read_csv(&d.join("sweep.csv"))?;
        parts.push((d.clone(), meta, table));
    }
    let (first_dir, first, first_table) = &parts[0];
    let whole = SweepMeta {
        shard: None,
        ..first.clone()
    };
    let count = first.shard.map_or(1, |s| s.count);
    let mut seen = vec![None::<&Path>; count];
    for (dir, meta, table) in &parts {
        let m = SweepMeta {
            shard: None,
            ..meta.clone()
        };
        if m != whole {
            return Err(bad(
                &dir.join("sweep.json"),
                format!(
                    "belongs to a different sweep than {} (scenario, varied paths, points, seed, replications, objective and SLO must all match)",
                    first_dir.join("sweep.json").display()
                ),
            ));
        }
        if table.header != first_table.header {
            return Err(bad(
                &dir.join("sweep.csv"),
                format!(
                    "its columns differ from {}",
                    first_dir.join("sweep.csv").display()
                ),
            ));
        }
        let (index, n) = meta.shard.map_or((1, 1), |s| (s.index, s.count));
        if n != count {
            return Err(bad(
                &dir.join("sweep.json"),
                format!(
                    "shard {index}/{n}, but {} is one of {count}",
                    first_dir.display()
                ),
            ));
        }
        if let Some(other) = seen[index - 1] {
            return Err(bad(
                &dir.join("sweep.json"),
                format!("shard {index}/{n} given twice (also {})", other.display()),
            ));
        }
        seen[index - 1] = Some(dir);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(InputError::new(
            Default::default(),
            format!(
                "missing shard{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        )
        .into());
    }
    let mut rows: Vec<SweepRow> = Vec::with_capacity(whole.points);
    for (dir, meta, table) in &parts {
        let shard = meta.shard.unwrap_or(Shard { index: 1, count: 1 });
        for r in &table.rows {
            if !shard.owns(r.point) || r.point >= whole.points {
                return Err(bad(
                    &dir.join("sweep.csv"),
                    format!("point {} does not belong to shard {shard}", r.point),
                ));
            }
        }
        rows.extend(table.rows.iter().cloned());
    }
    rows.sort_by_key(|r| r.point);
    for (i, r) in rows.iter().enumerate() {
        if r.point != i {
            let what = if r.point < i { "twice" } else { "missing" };
            let p = if r.point < i { r.point } else { i };
            return Err(InputError::new(
                Default::default(),
                format!("point {p} is {what} in the shards' sweep.csv files"),
            )
            .into());
        }
    }
    if rows.len() != whole.points {
        return Err(InputError::new(
            Default::default(),
            format!(
                "the shards hold {} of the sweep's {} points",
                rows.len(),
                whole.points
            ),
        )
        .into());
    }
    Ok((
        whole,
        SweepTable {
            header: first_table.header.clone(),
            rows,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        let owners: Vec<usize> = (0..7)
            .map(|p| {
                (1..=3)
                    .filter(|&i| Shard { index: i, count: 3 }.owns(p))
                    .count()
            })
            .collect();
        assert_eq!(owners, [1; 7]);
    }
}
