//! RFC 6455 §5.5.2–§5.5.3: every ping gets its own pong, with its payload, queued when the ping
//! is decoded — so it goes out before anything the application queues after seeing the ping —
//! and pongs are coalesced only while the output is over `outbound_high_water` (issue #11).

use alloc::vec;
use alloc::vec::Vec;

use super::*;

#[test]
fn rfc6455_5_5_2_ten_pings_get_ten_pongs_with_the_same_payloads_in_order() {
    let mut s = server();
    let payloads: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; usize::from(i) * 12]).collect();
    let input: Vec<u8> = payloads.iter().flat_map(|p| masked(0x89, p)).collect();
    s.handle_input(T0, &input);
    let evs = events(&mut s);
    assert_eq!(
        evs,
        payloads.iter().cloned().map(Ev::Ping).collect::<Vec<_>>()
    );
    let pongs: Vec<(u8, Vec<u8>)> = payloads.into_iter().map(|p| (0x8a, p)).collect();
    assert_eq!(frames(&drain(&mut s)), pongs);
}

#[test]
fn rfc6455_5_5_2_ten_pings_one_by_one_with_writes_between_get_ten_pongs() {
    let mut c = client();
    let mut sent = Vec::new();
    for i in 0..10u32 {
        c.handle_input(T0, &unmasked(0x89, &i.to_be_bytes()));
        assert_eq!(events(&mut c), [Ev::Ping(i.to_be_bytes().to_vec())]);
        sent.extend(frames(&drain(&mut c)));
    }
    let want: Vec<(u8, Vec<u8>)> = (0..10u32)
        .map(|i| (0x8a, i.to_be_bytes().to_vec()))
        .collect();
    assert_eq!(sent, want);
}

#[test]
fn rfc6455_5_5_2_pong_is_queued_when_the_ping_is_decoded() {
    let mut s = server();
    s.handle_input(T0, &masked(0x89, b"now"));
    assert!(matches!(s.poll_event(), Some(Event::Ping(b"now"))));
    // Already in the output, before any poll_transmit.
    assert_eq!(s.buffered_output(), 2 + 3);
}

#[test]
fn rfc6455_5_5_2_ping_between_fragments_is_answered_before_the_echo_of_that_message() {
    let mut s = server();
    s.handle_input(
        T0,
        &[
            masked(0x01, b"frag"),
            masked(0x89, b"between"),
            masked(0x80, b"ment"),
        ]
        .concat(),
    );
    // An echo server: every message goes back as soon as poll_event hands it out.
    let mut seen = Vec::new();
    while let Some(event) = s.poll_event() {
        seen.push(Ev::of(&event));
        if let Event::Message { .. } = event {
            let message = s.take_message().expect("the message");
            s.send(message, SendOptions::default()).unwrap();
        }
    }
    assert_eq!(
        seen,
        [Ev::Ping(b"between".to_vec()), Ev::Text("fragment".into())]
    );
    assert_eq!(
        frames(&drain(&mut s)),
        [(0x8a, b"between".to_vec()), (0x81, b"fragment".to_vec())],
        "the pong goes first on the wire"
    );
}

#[test]
fn rfc6455_5_5_2_pong_goes_out_ahead_of_what_an_only_sending_application_queues_later() {
    // The application streams messages out and never waits for data: the pongs of the pings
    // that arrive meanwhile are on the wire in between, each before the sends that followed it.
    let mut s = server();
    let mut wire = Vec::new();
    for i in 0..5u8 {
        s.handle_input(T0, &masked(0x89, &[i]));
        let _ = events(&mut s);
        for j in 0..3u8 {
            send(&mut s, vec![i, j]);
        }
        // The transport takes only part of the output now and then.
        if i % 2 == 1 {
            wire.extend(drain(&mut s));
        }
    }
    wire.extend(drain(&mut s));
    let mut want = Vec::new();
    for i in 0..5u8 {
        want.push((0x8a, vec![i]));
        for j in 0..3u8 {
            want.push((0x82, vec![i, j]));
        }
    }
    assert_eq!(frames(&wire), want);
}

#[test]
fn rfc6455_5_5_2_pongs_are_not_coalesced_below_the_high_water_mark() {
    // Output is queued but below the mark: each of 1000 pings gets its own pong.
    let mut s = open(Role::Server, config().outbound_high_water(1 << 20));
    send(&mut s, vec![7u8; 100]);
    for i in 0..1000u32 {
        s.handle_input(T0, &masked(0x89, &i.to_be_bytes()));
    }
    assert_eq!(events(&mut s).len(), 1000);
    let sent = frames(&drain(&mut s));
    assert_eq!(sent.len(), 1001, "one data frame and 1000 pongs");
    for (i, frame) in sent[1..].iter().enumerate() {
        assert_eq!(*frame, (0x8a, (i as u32).to_be_bytes().to_vec()));
    }
}

#[test]
fn rfc6455_5_5_2_held_pong_is_replaced_by_newer_one_only_while_over_the_high_water_mark() {
    let mut s = open(Role::Server, config().outbound_high_water(100));
    send(&mut s, vec![7u8; 100]); // over the mark, not yet written
    assert!(!s.is_writable());
    for i in 0..1000u32 {
        s.handle_input(T0, &masked(0x89, &i.to_be_bytes()));
    }
    assert_eq!(events(&mut s).len(), 1000);
    let sent = frames(&drain(&mut s));
    assert_eq!(sent.len(), 2, "one data frame and one pong: {}", sent.len());
    assert_eq!(sent[1], (0x8a, 999u32.to_be_bytes().to_vec()));
    // Below the mark again: every ping gets its own pong once more.
    for i in 0..3u32 {
        s.handle_input(T0, &masked(0x89, &i.to_be_bytes()));
    }
    let _ = events(&mut s);
    assert_eq!(frames(&drain(&mut s)).len(), 3);
}

#[test]
fn rfc6455_5_5_2_a_held_pong_is_dropped_by_a_close() {
    let mut s = open(Role::Server, config().outbound_high_water(100));
    send(&mut s, vec![7u8; 100]);
    s.handle_input(T0, &masked(0x89, b"held"));
    let _ = events(&mut s);
    s.close(T0, CloseCode::NORMAL, "").unwrap();
    let sent = frames(&drain(&mut s));
    assert_eq!(
        sent,
        [(0x82, vec![7; 100]), (0x88, close_payload(1000, ""))],
        "nothing after the close frame"
    );
}

#[test]
fn ping_flood_from_a_peer_that_never_reads_leaves_the_output_bounded() {
    const HIGH_WATER: usize = 64 << 10;
    // The largest pong frame: a server's, with a 125-byte payload.
    const ONE_FRAME: usize = 2 + 125;
    let mut s = open(Role::Server, config().outbound_high_water(HIGH_WATER));
    let ping = masked(0x89, &[0x5a; 125]);
    let mut most = 0;
    for round in 0..1000 {
        // 100 pings per input, 100 000 in all; the transport never takes a byte.
        let input: Vec<u8> = (0..100).flat_map(|_| ping.iter().copied()).collect();
        s.handle_input(T0, &input);
        assert_eq!(events(&mut s).len(), 100, "round {round}");
        most = most.max(s.buffered_output());
    }
    assert!(most <= HIGH_WATER + ONE_FRAME, "output grew to {most}");
    assert!(
        most >= HIGH_WATER,
        "pongs were queued up to the mark: {most}"
    );
    // Once the peer reads, it gets the queued pongs and one more for the rest.
    let sent = frames(&drain(&mut s));
    assert_eq!(sent.len(), HIGH_WATER.div_ceil(ONE_FRAME) + 1);
    assert!(sent.iter().all(|f| *f == (0x8a, vec![0x5a; 125])));
}
