//! The conformance suite: every case of each family against a tether-std echo server and a
//! tether-std echo client over loopback (cases in `tests/src/conformance/cases.rs`; the report
//! is `docs/conformance.md`).

use tether_tests::conformance::{Family, Role, run_family};

fn check(family: Family, role: Role) {
    let (ran, failures) = run_family(family, role);
    assert!(ran > 0, "no case of {family:?} ran as {role}");
    let list: Vec<String> = failures
        .iter()
        .map(|(id, title, detail)| format!("  {id} {title}: {detail}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {ran} {family:?} cases failed with tether as {role}:\n{}",
        failures.len(),
        list.join("\n")
    );
    println!("{ran} {family:?} cases passed with tether as {role}");
}

macro_rules! family_tests {
    ($($server:ident, $client:ident => $family:ident;)*) => {
        $(
            #[test]
            fn $server() {
                check(Family::$family, Role::Server);
            }

            #[test]
            fn $client() {
                check(Family::$family, Role::Client);
            }
        )*
    };
}

family_tests! {
    rfc6455_5_2_framing_server, rfc6455_5_2_framing_client => Framing;
    rfc6455_5_5_2_ping_pong_server, rfc6455_5_5_2_ping_pong_client => PingPong;
    rfc6455_5_2_reserved_bits_server, rfc6455_5_2_reserved_bits_client => ReservedBits;
    rfc6455_5_2_reserved_opcodes_server, rfc6455_5_2_reserved_opcodes_client => Opcodes;
    rfc6455_5_4_fragmentation_server, rfc6455_5_4_fragmentation_client => Fragmentation;
    rfc6455_8_1_utf8_server, rfc6455_8_1_utf8_client => Utf8;
    rfc6455_7_close_server, rfc6455_7_close_client => Close;
    rfc6455_10_4_limits_server, rfc6455_10_4_limits_client => Limits;
}

/// The runner itself: a wrong expectation must fail, in both roles (so a passing family
/// means something).
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
    for role in [Role::Server, Role::Client] {
        for c in &wrong {
            let outcome = tether_tests::conformance::run_case(c, role);
            assert!(!outcome.pass, "{} passed as {role}", c.title);
            println!("{role}: {}: {}", c.title, outcome.detail);
        }
    }
}
