//! Runs every conformance case in both roles and prints `docs/conformance.md`:
//!
//! ```text
//! cargo run -p tether-tests --example conformance_report > docs/conformance.md
//! ```

use tether_tests::conformance::{Role, cases, markdown, run_case};

fn main() {
    let rows: Vec<_> = cases()
        .into_iter()
        .map(|case| {
            let server = case
                .roles
                .includes(Role::Server)
                .then(|| run_case(&case, Role::Server));
            let client = case
                .roles
                .includes(Role::Client)
                .then(|| run_case(&case, Role::Client));
            (case, server, client)
        })
        .collect();
    print!("{}", markdown(&rows));
    let failed = rows
        .iter()
        .flat_map(|(_, s, c)| [s, c])
        .flatten()
        .filter(|o| !o.pass)
        .count();
    if failed > 0 {
        eprintln!("{failed} case runs failed");
    }
}
