//! `cosect preview`: how a list is read, before any exchange. One struct,
//! printed for a person or as JSON. Pure: built from `Entries`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Entries, Kind, KindSetting, Skipped};

/// Entries shown per kind.
pub const SAMPLES: usize = 3;

/// How a list was read.
#[derive(Serialize, Debug)]
pub struct Preview {
    pub inputs: Vec<InputShown>,
    /// The kind setting (`auto` or a kind).
    pub kind: String,
    /// Entries that would be compared (duplicates merged).
    pub entries: usize,
    /// Entries of each kind (only kinds present).
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Entries compared after an adjustment, by what was done (refanged,
    /// a port dropped, ...).
    pub adjusted: BTreeMap<&'static str, u64>,
    pub duplicates_merged: u64,
    /// Entries not compared, by reason, and each one (up to a limit).
    pub skipped: Listed,
    /// Entries compared as written that look like indicators, by reason,
    /// and each one (up to a limit).
    pub near_misses: Listed,
    /// The first entries of each kind: as written and as compared.
    pub samples: BTreeMap<&'static str, Vec<Sample>>,
    /// Whether most entries are `raw` under `--kind auto` (a wrong file?).
    pub mostly_raw: bool,
}

#[derive(Serialize, Debug)]
pub struct InputShown {
    pub file: String,
    pub format: String,
}

#[derive(Serialize, Debug, Default)]
pub struct Listed {
    pub total: u64,
    pub by_reason: BTreeMap<&'static str, u64>,
    pub each: Vec<Each>,
}

#[derive(Serialize, Debug)]
pub struct Each {
    pub at: String,
    pub reason: &'static str,
    pub entry: String,
}

#[derive(Serialize, Debug)]
pub struct Sample {
    pub line: u64,
    pub written: String,
    /// The canonical form compared, when it differs from the spelling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_as: Option<String>,
}

fn listed(counts: &BTreeMap<&'static str, u64>, details: &[Skipped]) -> Listed {
    Listed {
        total: counts.values().sum(),
        by_reason: counts.clone(),
        each: details
            .iter()
            .map(|s| Each {
                at: s.at.clone(),
                reason: s.category,
                entry: s.detail.clone(),
            })
            .collect(),
    }
}

impl Preview {
    /// The preview of `e`, read with `kind` (before `release_canonical`).
    pub fn of(e: &Entries, kind: KindSetting) -> Preview {
        let counts = e.count_by_kind();
        let mut samples: BTreeMap<&'static str, Vec<Sample>> = BTreeMap::new();
        for i in 0..e.len() {
            let (k, canon) = e.get(i);
            let list = samples.entry(k.name()).or_default();
            if list.len() < SAMPLES {
                let written = e.original.get(i);
                let canon = String::from_utf8_lossy(canon);
                list.push(Sample {
                    line: e.lines.get(i).copied().unwrap_or(0),
                    written: crate::text::shown(written),
                    compared_as: (canon != written).then(|| crate::text::shown(&canon)),
                });
            }
        }
        let raw = counts[Kind::Raw as usize];
        Preview {
            inputs: e
                .files
                .iter()
                .map(|f| InputShown {
                    file: crate::text::shown(&f.name),
                    format: f.format.clone(),
                })
                .collect(),
            kind: kind.name().to_owned(),
            entries: e.len(),
            by_kind: Kind::ALL
                .iter()
                .filter(|k| counts[**k as usize] > 0)
                .map(|k| (k.name(), counts[*k as usize]))
                .collect(),
            adjusted: e.notes.clone(),
            duplicates_merged: e.duplicates,
            skipped: listed(&e.skip_counts, &e.skipped),
            near_misses: listed(&e.near_miss_counts, &e.near_misses),
            samples,
            mostly_raw: kind == KindSetting::Auto && raw * 2 > e.len() as u64,
        }
    }

    /// The preview for a person: a summary, every near-miss and skipped
    /// entry with its place, a few entries of each kind.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let inputs: Vec<String> = self
            .inputs
            .iter()
            .map(|i| format!("{} ({})", i.file, i.format))
            .collect();
        let _ = writeln!(s, "{}", inputs.join(", "));
        let kinds: Vec<String> = self.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(
            s,
            "  {} entries to compare, kind {}{}",
            self.entries,
            self.kind,
            if kinds.is_empty() {
                String::new()
            } else {
                format!(": {}", kinds.join(", "))
            }
        );
        for (what, n) in &self.adjusted {
            let _ = writeln!(s, "  {n} {what}");
        }
        if self.duplicates_merged > 0 {
            let _ = writeln!(s, "  {} duplicates merged", self.duplicates_merged);
        }
        if self.mostly_raw {
            let _ = writeln!(
                s,
                "  most entries are raw: nothing in them looks like a domain, IP address, URL, hash or e-mail \
                 address. Is this the list you meant?"
            );
        }
        for (title, l) in [
            (
                "near-misses, compared as written (they match only the same spelling)",
                &self.near_misses,
            ),
            ("skipped, not compared", &self.skipped),
        ] {
            if l.total == 0 {
                continue;
            }
            let _ = writeln!(s, "  {} {title}:", l.total);
            for (why, n) in &l.by_reason {
                let _ = writeln!(s, "    {n} {why}");
            }
            for e in &l.each {
                let _ = writeln!(s, "      {}: {}: {}", e.at, e.reason, e.entry);
            }
            if (l.each.len() as u64) < l.total {
                let _ = writeln!(s, "      ... and {} more", l.total - l.each.len() as u64);
            }
        }
        if !self.samples.is_empty() {
            let _ = writeln!(s, "  first entries of each kind:");
        }
        for (kind, list) in &self.samples {
            for x in list {
                match &x.compared_as {
                    Some(c) => {
                        let _ = writeln!(s, "    {kind:<6} line {}: {} (compared as {c})", x.line, x.written);
                    }
                    None => {
                        let _ = writeln!(s, "    {kind:<6} line {}: {}", x.line, x.written);
                    }
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{read_entries, ReadOptions};

    #[test]
    fn counts_near_misses_and_samples() {
        let text = "evil[.]example\nEVIL.example\n10.0.0.0/8\n45.33.32.l56\n192.0.2.1:443\n";
        let e = read_entries(text.as_bytes(), &ReadOptions::auto()).unwrap();
        let p = Preview::of(&e, KindSetting::Auto);
        assert_eq!(p.entries, 4);
        assert_eq!(p.duplicates_merged, 1);
        assert_eq!(p.by_kind["domain"], 1);
        assert_eq!(p.by_kind["raw"], 2);
        assert_eq!(p.adjusted["refanged"], 1);
        assert_eq!(p.near_misses.total, 2);
        assert_eq!(p.near_misses.each[1].at, "line 4");
        let d = &p.samples["domain"][0];
        assert_eq!(
            (d.written.as_str(), d.compared_as.as_deref()),
            ("evil[.]example", Some("evil.example"))
        );
        let t = p.text();
        assert!(t.contains("line 3: look like IP ranges (CIDR): 10.0.0.0/8"), "{t}");
        assert!(
            t.contains("domain line 1: evil[.]example (compared as evil.example)"),
            "{t}"
        );
    }
}
