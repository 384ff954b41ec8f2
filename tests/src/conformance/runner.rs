//! Runs a [`Case`] against a tether echo endpoint (either adapter, either role) over loopback
//! TCP, through a [`RawPeer`].

use std::time::{Duration, Instant};

use tether_std::{ClientConfig, Config, Error, ServerConfig};

use super::{
    Carrier, Case, Delivery, Endpoint, Expect, Family, Frame, Impl, Part, READ_BOUND, Role, Step,
    op,
};
use crate::adapter::{Adapter, Std, Tokio};
use crate::http2;
use crate::loopback::echo;
use crate::raw::{self, Got, RawPeer, RxFrame};

/// The result of one case against one endpoint.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Whether everything expected arrived, in order and in time, and tether's own API
    /// reported the matching end (clean close or failure).
    pub pass: bool,
    /// What went wrong, or what tether reported locally.
    pub detail: String,
    /// Wall time from the first byte sent to the last check.
    pub elapsed: Duration,
}

/// Runs every case of `family` that applies to `endpoint`'s role and returns how many ran and
/// the failures as `(id, title, detail)`.
pub fn run_family(family: Family, endpoint: Endpoint) -> (usize, Vec<(String, String, String)>) {
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in super::cases()
        .into_iter()
        .filter(|c| c.family == family && c.roles.includes(endpoint.role))
    {
        ran += 1;
        let outcome = run_case(&case, endpoint);
        if !outcome.pass {
            failures.push((case.id.clone(), case.title.clone(), outcome.detail));
        }
    }
    (ran, failures)
}

/// Runs one case against `endpoint`.
pub fn run_case(case: &Case, endpoint: Endpoint) -> Outcome {
    match (endpoint.adapter, endpoint.carrier) {
        (Impl::Std, Carrier::Tcp) => run::<Std>(case, endpoint.role, raw::against::<Std, _, _>),
        (Impl::Tokio, Carrier::Tcp) => {
            run::<Tokio>(case, endpoint.role, raw::against::<Tokio, _, _>)
        }
        (Impl::Tokio, Carrier::Http2) => run::<Tokio>(case, endpoint.role, http2::against),
        (Impl::Std, Carrier::Http2) => Outcome {
            pass: false,
            detail: "tether-std does not speak HTTP/2".into(),
            elapsed: Duration::ZERO,
        },
    }
}

/// How a run sets tether up against the raw peer: [`raw::against`] (TCP) or
/// [`http2::against`] (an HTTP/2 stream).
type Setup<A> = fn(
    Role,
    ServerConfig,
    ClientConfig,
    &[u8],
    Box<dyn FnOnce(Result<<A as Adapter>::Socket, Error>) -> String + Send>,
) -> Result<(RawPeer, crate::loopback::Task<String>), String>;

/// The protocol settings of every run: no keepalive (cases wait on purpose), a close timeout
/// short enough for cases where the peer never answers, the case's message limit.
fn config(case: &Case) -> Config {
    let mut config = Config::default()
        .ping_interval(None)
        .close_timeout(Duration::from_secs(5));
    if let Some(limit) = case.max_message_size {
        config = config.max_message_size(limit);
    }
    config
}

fn run<A: Adapter>(case: &Case, role: Role, setup: Setup<A>) -> Outcome {
    let read_timeout = Some(Duration::from_secs(10));
    let server = ServerConfig::default()
        .config(config(case))
        .read_timeout(read_timeout);
    let client = ClientConfig::default()
        .config(config(case))
        .read_timeout(read_timeout);
    let start = Instant::now();
    let early: Vec<u8> = case
        .with_handshake
        .iter()
        .flat_map(|f| f.encode(role))
        .collect();
    let setup = setup(
        role,
        server,
        client,
        &early,
        Box::new(|ws| describe(ws.and_then(|mut ws| echo(&mut ws)))),
    );
    let (raw, local) = match setup {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                pass: false,
                detail: format!("setup: {e}"),
                elapsed: start.elapsed(),
            };
        }
    };
    let mut peer = Peer {
        raw,
        sent_close: false,
        got_close: false,
        shut: false,
        pushed_back: None,
    };
    let start = Instant::now();
    let mut result = Ok(());
    for (i, step) in case.steps.iter().enumerate() {
        if let Err(e) = peer.step(step) {
            result = Err(format!("step {}: {e}", i + 1));
            break;
        }
    }
    let elapsed = start.elapsed();
    // Let tether's side finish; then check what its API reported.
    drop(peer);
    let local = local.join_within(READ_BOUND + Duration::from_secs(1));
    let detail = match (&result, &local) {
        (Err(e), _) => e.clone(),
        (Ok(()), None) => "tether's side did not finish in time".into(),
        (Ok(()), Some(local)) => {
            let failed = local.starts_with("error");
            if failed != case.expects_failure() {
                result = Err(String::new());
                format!(
                    "tether reported {local}, but the case expects {}",
                    if case.expects_failure() {
                        "a failure"
                    } else {
                        "a clean end"
                    }
                )
            } else {
                local.clone()
            }
        }
    };
    Outcome {
        pass: result.is_ok() && local.is_some(),
        detail,
        elapsed,
    }
}

/// How tether's echo ended, for the report.
fn describe(result: Result<tether_std::CloseFrame, Error>) -> String {
    match result {
        Ok(f) => format!("clean close {}", f.code.as_u16()),
        Err(e) => format!("error: {e}"),
    }
}

/// The raw peer with the case's bookkeeping: writes hand-built frames, reads and checks
/// tether's, answers tether's close and ends TCP like a well-behaved peer.
struct Peer {
    raw: RawPeer,
    sent_close: bool,
    got_close: bool,
    shut: bool,
    /// What an [`Expect::Optional`] read and left for the next expectation.
    pushed_back: Option<Got>,
}

impl Peer {
    fn step(&mut self, step: &Step) -> Result<(), String> {
        match step {
            Step::Send(frames, delivery) => {
                self.note_sent(frames);
                let chunks: Vec<Vec<u8>> = match delivery {
                    Delivery::Whole => {
                        vec![
                            frames
                                .iter()
                                .flat_map(|f| f.encode(self.raw.role()))
                                .collect(),
                        ]
                    }
                    Delivery::Framewise => {
                        frames.iter().map(|f| f.encode(self.raw.role())).collect()
                    }
                    Delivery::Chopped(n) => {
                        let all: Vec<u8> = frames
                            .iter()
                            .flat_map(|f| f.encode(self.raw.role()))
                            .collect();
                        all.chunks((*n).max(1)).map(<[u8]>::to_vec).collect()
                    }
                };
                for chunk in chunks {
                    // Tether may already have closed (a failure case); a failed write is no
                    // failure of the case: what tether sent is checked by the next Expect.
                    if self.raw.write(&chunk).is_err() {
                        break;
                    }
                }
                self.maybe_shut();
                Ok(())
            }
            Step::SendPart(frames, part) => {
                let Some((last, rest)) = frames.split_last() else {
                    return Ok(());
                };
                let mut bytes: Vec<u8> = rest
                    .iter()
                    .flat_map(|f| f.encode(self.raw.role()))
                    .collect();
                let at = bytes.len() + last.header_len(self.raw.role());
                bytes.extend(last.encode(self.raw.role()));
                let range = match part {
                    Part::Head(n) => 0..(at + n).min(bytes.len()),
                    Part::Tail(n) => (at + n).min(bytes.len())..bytes.len(),
                };
                if matches!(part, Part::Tail(_)) {
                    self.note_sent(frames);
                }
                let _ = self.raw.write(&bytes[range]);
                Ok(())
            }
            Step::Pause(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                Ok(())
            }
            Step::Expect(expect) => self.expect(expect),
        }
    }

    fn note_sent(&mut self, frames: &[Frame]) {
        if frames.iter().any(|f| f.opcode == op::CLOSE) {
            self.sent_close = true;
        }
    }

    /// The fake server closes TCP first once both close frames went (RFC 6455 §7.1.1).
    fn maybe_shut(&mut self) {
        if self.raw.role() == Role::Client && self.sent_close && self.got_close && !self.shut {
            self.shut = true;
            self.raw.shutdown_write();
        }
    }

    fn expect(&mut self, expect: &Expect) -> Result<(), String> {
        match expect {
            Expect::Message(opcode, payload) => {
                let mut got = Vec::new();
                let mut first = true;
                loop {
                    let frame = self.frame(expect)?;
                    let ok_opcode = if first { *opcode } else { op::CONT };
                    if frame.opcode != ok_opcode {
                        return Err(format!(
                            "expected {}, got {}",
                            expect.describe(),
                            frame.describe()
                        ));
                    }
                    first = false;
                    got.extend_from_slice(&frame.payload);
                    if frame.fin {
                        break;
                    }
                }
                if got != *payload {
                    return Err(format!(
                        "expected {}, got a message of {} bytes with different content{}",
                        expect.describe(),
                        got.len(),
                        preview(&got)
                    ));
                }
                Ok(())
            }
            Expect::Pong(payload) => {
                let frame = self.frame(expect)?;
                if frame.opcode != op::PONG || frame.payload != *payload {
                    return Err(format!(
                        "expected {}, got {}",
                        expect.describe(),
                        frame.describe()
                    ));
                }
                Ok(())
            }
            Expect::Unordered(all) => {
                let mut left: Vec<&Expect> = all.iter().collect();
                while !left.is_empty() {
                    let frame = self.frame(expect)?;
                    match left.iter().position(|e| e.is_met_by(&frame)) {
                        Some(i) => {
                            left.remove(i);
                        }
                        None => {
                            return Err(format!(
                                "expected {}, got {}",
                                expect.describe(),
                                frame.describe()
                            ));
                        }
                    }
                }
                Ok(())
            }
            Expect::Optional(inner) => {
                match self.next()? {
                    Got::Frame(frame) if inner.is_met_by(&frame) => {}
                    // Not it: the next expectation reads it.
                    other => self.pushed_back = Some(other),
                }
                Ok(())
            }
            Expect::Close(codes) => {
                let frame = self.frame(expect)?;
                if frame.opcode != op::CLOSE {
                    return Err(format!(
                        "expected {}, got {}",
                        expect.describe(),
                        frame.describe()
                    ));
                }
                let code = frame.close_code();
                if !codes.contains(&code) {
                    return Err(format!(
                        "expected {}, got close code {code}",
                        expect.describe()
                    ));
                }
                if frame.payload.len() > 2 && std::str::from_utf8(&frame.payload[2..]).is_err() {
                    return Err("tether's close reason is not UTF-8".into());
                }
                self.got_close = true;
                if !self.sent_close {
                    // Answer like a well-behaved peer (tether may already have closed TCP).
                    let answer = if frame.payload.len() >= 2 {
                        super::close(code, "")
                    } else {
                        super::close_raw(Vec::new())
                    };
                    self.sent_close = true;
                    let _ = self.raw.send(&[answer]);
                }
                self.maybe_shut();
                Ok(())
            }
            Expect::TcpClose => match self.next()? {
                Got::Closed(_) => Ok(()),
                Got::Frame(f) => Err(format!("expected TCP close, got {}", f.describe())),
            },
        }
    }

    /// The next frame, or an error naming what was expected.
    fn frame(&mut self, expect: &Expect) -> Result<RxFrame, String> {
        match self.next()? {
            Got::Frame(f) => Ok(f),
            Got::Closed(how) => Err(format!("expected {}, got {how}", expect.describe())),
        }
    }

    fn next(&mut self) -> Result<Got, String> {
        match self.pushed_back.take() {
            Some(got) => Ok(got),
            None => self.raw.read_frame(),
        }
    }
}

fn preview(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        " [{}{}]",
        shown.join(" "),
        if bytes.len() > 16 { " …" } else { "" }
    )
}
