//! Spec vectors and the conformance runner for pushcodec.
//!
//! [`run_dir`] loads every vector file under a directory (the schema is in
//! `conformance/vectors/README.md`), runs each vector through the matching
//! pushcodec decoder in one read, byte by byte and as the vector splits its
//! input, and returns a [`Report`] grouped by spec section.
//!
//! ```no_run
//! let report = pushcodec_conformance::run_dir(&pushcodec_conformance::vectors_dir()).unwrap();
//! report.print(&mut std::io::stdout(), false).unwrap();
//! assert_eq!(report.failed(), 0);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod deflate_vectors;
pub mod drive;
pub mod handshake_vectors;
pub mod schema;
pub mod sse_vectors;
pub mod ws_vectors;

use schema::{Kind, Protocol, SchemaError, Vector};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `conformance/vectors` of this crate.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// The result of one vector.
#[derive(Debug)]
pub struct VectorResult {
    /// The file, relative to the vectors directory.
    pub file: String,
    /// The vector's name.
    pub name: String,
    /// Its spec section.
    pub section: String,
    /// What went wrong, one line per mode that failed; empty when it passed.
    pub failures: Vec<String>,
}

impl VectorResult {
    /// Whether the vector passed in every mode.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The results of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// One entry per vector, in file order.
    pub results: Vec<VectorResult>,
}

/// The report's grouping key: the spec and first section of a vector's
/// `section` (`"RFC 6455 §4.2.1 item 5, §4.4"` → `"RFC 6455 §4.2.1"`).
///
/// ```
/// use pushcodec_conformance::section_group;
/// assert_eq!(section_group("RFC 6455 §4.2.1 item 5, §4.4"), "RFC 6455 §4.2.1");
/// assert_eq!(section_group("WHATWG HTML §9.2.6 (first example)"), "WHATWG HTML §9.2.6");
/// ```
pub fn section_group(section: &str) -> &str {
    let Some(start) = section.find('§') else {
        return section;
    };
    let rest = &section[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ';'))
        .unwrap_or(rest.len());
    &section[..start + end]
}

/// Orders `RFC 6455 §4.2.1` before `RFC 6455 §11.3.1`: spec, then section
/// numbers compared as numbers.
fn section_sort_key(group: &str) -> (String, Vec<u32>) {
    let (spec, number) = group.split_once('§').unwrap_or((group, ""));
    let numbers = number
        .split('.')
        .map(|n| n.parse().unwrap_or(u32::MAX))
        .collect();
    (spec.to_owned(), numbers)
}

impl Report {
    /// Number of vectors that passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    /// Number of vectors that failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// Prints the per-section table, every failure, and the summary line
    /// `conformance: N passed, M failed`. With `verbose`, every vector is
    /// listed.
    pub fn print(&self, out: &mut impl Write, verbose: bool) -> io::Result<()> {
        let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for r in &self.results {
            let g = groups.entry(section_group(&r.section)).or_default();
            if r.passed() {
                g.0 += 1;
            } else {
                g.1 += 1;
            }
        }
        writeln!(out, "pushcodec conformance report")?;
        writeln!(out)?;
        let width = groups
            .keys()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(7);
        writeln!(out, "{:<width$} {:>7} {:>7}", "section", "passed", "failed")?;
        let mut ordered: Vec<(&&str, &(usize, usize))> = groups.iter().collect();
        ordered.sort_by_key(|(s, _)| section_sort_key(s));
        for (section, (p, f)) in ordered {
            writeln!(out, "{section:<width$} {p:>7} {f:>7}")?;
        }
        if verbose {
            writeln!(out)?;
            for r in &self.results {
                let status = if r.passed() { "ok  " } else { "FAIL" };
                writeln!(out, "{status} {} {} ({})", r.file, r.name, r.section)?;
            }
        }
        let failed: Vec<&VectorResult> = self.results.iter().filter(|r| !r.passed()).collect();
        if !failed.is_empty() {
            writeln!(out)?;
            writeln!(out, "failures:")?;
            for r in failed {
                writeln!(out, "  {} {} ({})", r.file, r.name, r.section)?;
                for f in &r.failures {
                    writeln!(out, "    {f}")?;
                }
            }
        }
        writeln!(out)?;
        writeln!(
            out,
            "conformance: {} passed, {} failed",
            self.passed(),
            self.failed()
        )
    }
}

/// Runs one vector; returns its failures (empty = passed).
pub fn run_vector(protocol: Protocol, v: &Vector) -> Vec<String> {
    match (protocol, v.kind) {
        (Protocol::Websocket, Kind::Frames | Kind::Messages) => ws_vectors::run_codec_vector(v),
        (Protocol::Websocket, Kind::Handshake) => handshake_vectors::run_handshake_vector(v),
        (Protocol::Websocket, Kind::AcceptKey) => handshake_vectors::run_accept_key_vector(v),
        (Protocol::Sse, Kind::Sse) => sse_vectors::run_sse_vector(v),
        (
            Protocol::Websocket,
            Kind::DeflateMessages | Kind::DeflateCompress | Kind::DeflateNegotiate,
        ) => deflate_vectors::run_deflate_vector(v),
        (p, k) => vec![format!("bad vector: kind {k:?} in a {p:?} file")],
    }
}

/// Loads and runs every vector file under `dir`.
///
/// Fails only when a file cannot be read or parsed; failing vectors are in
/// the report.
pub fn run_dir(dir: &Path) -> Result<Report, SchemaError> {
    let mut report = Report::default();
    let mut names = std::collections::HashSet::new();
    for path in schema::find_files(dir)? {
        let file = schema::load_file(&path)?;
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        for v in &file.vectors {
            let mut failures = run_vector(file.protocol, v);
            if !names.insert(v.name.clone()) {
                failures.push(format!("duplicate vector name {:?}", v.name));
            }
            report.results.push(VectorResult {
                file: rel.clone(),
                name: v.name.clone(),
                section: v.section.clone(),
                failures,
            });
        }
    }
    Ok(report)
}
