//! Runs every conformance case against every endpoint (tether-std and tether-tokio, each as
//! server and as client over TCP; tether-tokio as server and client over HTTP/2) and prints
//! `docs/conformance.md`:
//!
//! ```text
//! cargo run -p tether-tests --example conformance_report > docs/conformance.md
//! ```

use tether_tests::conformance::{Endpoint, cases, markdown, run_case};

fn main() {
    let rows: Vec<_> = cases()
        .into_iter()
        .map(|case| {
            let outcomes = Endpoint::REPORTED
                .iter()
                .map(|&endpoint| {
                    case.roles
                        .includes(endpoint.role)
                        .then(|| run_case(&case, endpoint))
                })
                .collect();
            (case, outcomes)
        })
        .collect();
    print!("{}", markdown(&rows));
    let failed = rows
        .iter()
        .flat_map(|(_, outcomes)| outcomes)
        .flatten()
        .filter(|o| !o.pass)
        .count();
    if failed > 0 {
        eprintln!("{failed} case runs failed");
    }
}
