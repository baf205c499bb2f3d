//! `cargo run -p pushcodec-conformance [-- --verbose] [DIR]`: runs every spec
//! vector and prints a per-section report; exits 1 if any vector fails, 2 if
//! a vector file cannot be read.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut verbose = false;
    let mut dir = pushcodec_conformance::vectors_dir();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("usage: pushcodec-conformance [--verbose] [VECTORS_DIR]");
                return ExitCode::SUCCESS;
            }
            other => dir = PathBuf::from(other),
        }
    }
    let report = match pushcodec_conformance::run_dir(&dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = report.print(&mut std::io::stdout().lock(), verbose) {
        eprintln!("error: cannot print the report: {e}");
        return ExitCode::from(2);
    }
    if report.failed() == 0 && !report.results.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
