//! The conformance suite: every case of each family against tether-std and tether-tokio, each
//! as an echo server and as an echo client, over loopback (cases in
//! `tests/src/conformance/cases/`; the report is `docs/conformance.md`) — and against
//! tether-tokio over an HTTP/2 stream (RFC 8441, h2c), as server and client.

use tether_tests::conformance::{Endpoint, Family, Impl, Role, run_family};

fn check(family: Family, adapter: Impl, role: Role) {
    check_endpoint(family, Endpoint::new(adapter, role));
}

fn check_endpoint(family: Family, endpoint: Endpoint) {
    let (ran, failures) = run_family(family, endpoint);
    assert!(ran > 0, "no case of {family:?} ran against {endpoint}");
    let list: Vec<String> = failures
        .iter()
        .map(|(id, title, detail)| format!("  {id} {title}: {detail}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {ran} {family:?} cases failed against {endpoint}:\n{}",
        failures.len(),
        list.join("\n")
    );
    println!("{ran} {family:?} cases passed against {endpoint}");
}

/// `name => Family` makes `std_server`, `std_client`, `tokio_server`, `tokio_client`,
/// `tokio_server_http2` and `tokio_client_http2` tests in a module `name`.
macro_rules! family_tests {
    ($($name:ident => $family:ident;)*) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn std_server() {
                    check(Family::$family, Impl::Std, Role::Server);
                }

                #[test]
                fn std_client() {
                    check(Family::$family, Impl::Std, Role::Client);
                }

                #[test]
                fn tokio_server() {
                    check(Family::$family, Impl::Tokio, Role::Server);
                }

                #[test]
                fn tokio_client() {
                    check(Family::$family, Impl::Tokio, Role::Client);
                }

                #[test]
                fn tokio_server_http2() {
                    check_endpoint(Family::$family, Endpoint::over_http2(Role::Server));
                }

                #[test]
                fn tokio_client_http2() {
                    check_endpoint(Family::$family, Endpoint::over_http2(Role::Client));
                }
            }
        )*
    };
}

family_tests! {
    rfc6455_5_2_framing => Framing;
    rfc6455_5_5_2_ping_pong => PingPong;
    rfc6455_5_2_reserved_bits => ReservedBits;
    rfc6455_5_2_reserved_opcodes => Opcodes;
    rfc6455_5_4_fragmentation => Fragmentation;
    rfc6455_8_1_utf8 => Utf8;
    rfc6455_7_close => Close;
    rfc6455_10_4_limits => Limits;
}

/// The runner itself: a wrong expectation must fail, against every endpoint (so a passing
/// family means something).
#[test]
fn conformance_runner_detects_wrong_expectations() {
    use tether_tests::conformance::{Case, Delivery, Expect, Roles, Step, op, text};
    let case = |title: &str, steps: Vec<Step>| Case {
        id: "self".into(),
        family: Family::Framing,
        title: title.into(),
        roles: Roles::Both,
        max_message_size: None,
        with_handshake: Vec::new(),
        steps,
    };
    let wrong = [
        case(
            "echo of other bytes",
            vec![
                Step::Send(vec![text("sent")], Delivery::Whole),
                Step::Expect(Expect::Message(op::TEXT, b"other".to_vec())),
            ],
        ),
        case(
            "a failure where tether echoes",
            vec![
                Step::Send(vec![text("valid")], Delivery::Whole),
                Step::Expect(Expect::Close(vec![1002])),
            ],
        ),
        case(
            "a pong nobody asked for",
            vec![
                Step::Send(vec![text("valid")], Delivery::Whole),
                Step::Expect(Expect::Pong(Vec::new())),
            ],
        ),
        case(
            "TCP close while tether keeps the connection open",
            vec![
                Step::Send(vec![text("valid")], Delivery::Whole),
                Step::Expect(Expect::Message(op::TEXT, b"valid".to_vec())),
                Step::Expect(Expect::TcpClose),
            ],
        ),
    ];
    for endpoint in Endpoint::ALL.into_iter().chain(Endpoint::HTTP2) {
        for c in &wrong {
            let outcome = tether_tests::conformance::run_case(c, endpoint);
            assert!(!outcome.pass, "{} passed against {endpoint}", c.title);
            println!("{endpoint}: {}: {}", c.title, outcome.detail);
        }
    }
}
