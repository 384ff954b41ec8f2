//! The opening handshake inside a connection (RFC 6455 §4): the client's wait for the 101
//! response (or, over HTTP/2, for the response head the HTTP/2 layer hands in, RFC 8441), the
//! server's wait for the request and its answer.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::Core;
use super::input::Input;
use super::recv::Step;
use crate::error::{ConnectionError, SendError};
use crate::handshake::{
    Accept, ClientHandshake, HandshakeError, Headers, Reject, Response, ServerHandshake,
};

/// Where the opening handshake is.
pub(crate) enum HandshakeState {
    Client(Box<ClientHandshake>),
    /// Client over HTTP/2: the extended CONNECT went out through the HTTP/2 layer, which hands
    /// the response head in ([`Connection::handle_response`]).
    ///
    /// [`Connection::handle_response`]: super::Connection::handle_response
    ClientHeaders(Box<ClientHandshake>),
    /// Boxed, as the client's is: an open connection does not carry its room.
    Server(Box<ServerHandshake>),
    /// Server: the request was reported, the application decides.
    AwaitingAccept,
    Done,
}

impl Core {
    /// One step of the opening handshake. `None`: the state changed, step again.
    pub(crate) fn step_handshake(&mut self, input: &mut Input) -> Option<Step> {
        let limits = self.config.handshake_limits;
        match &mut self.handshake {
            HandshakeState::Client(hs) => {
                match hs.poll_response(input.pending(), self.eof, &limits) {
                    Ok(None) => Some(Step::Pending),
                    Ok(Some((response, used))) => {
                        input.start += used;
                        if !self.client_opened(response) {
                            return None;
                        }
                        self.open_pending = false;
                        Some(Step::Open)
                    }
                    Err(e) => {
                        self.fail(e.into());
                        None
                    }
                }
            }
            HandshakeState::ClientHeaders(_) if self.eof => {
                self.fail(HandshakeError::UnexpectedEof.into());
                None
            }
            HandshakeState::ClientHeaders(_) => Some(Step::Pending),
            HandshakeState::Server(hs) => match hs.poll_request(input.pending(), &limits) {
                Ok(None) if self.eof => {
                    self.fail(HandshakeError::UnexpectedEof.into());
                    None
                }
                Ok(None) => Some(Step::Pending),
                Ok(Some((request, used))) => {
                    input.start += used;
                    self.request = Some(Box::new(request));
                    self.handshake = HandshakeState::AwaitingAccept;
                    Some(Step::Request)
                }
                Err(e) => {
                    if let Some(reject) = e.rejection() {
                        reject.write(self.out.raw_buf());
                    }
                    self.fail(e.into());
                    None
                }
            },
            HandshakeState::AwaitingAccept if self.eof => {
                self.fail(ConnectionError::Abnormal);
                None
            }
            HandshakeState::AwaitingAccept | HandshakeState::Done => Some(Step::Pending),
        }
    }

    /// Client: the server accepted; what it settled takes effect (permessage-deflate is
    /// checked against our offer and installed) and the connection opens. `false` when the
    /// answer cannot be used (the connection failed).
    fn client_opened(&mut self, response: Response) -> bool {
        #[cfg(feature = "deflate")]
        if let Err(e) = self.deflate_response(&response) {
            self.fail(e.into());
            return false;
        }
        self.negotiated.protocol = response.protocol().map(Into::into);
        self.negotiated.extensions = response.extensions().to_vec();
        self.response = Some(Box::new(response));
        self.handshake = HandshakeState::Done;
        self.become_open();
        true
    }

    /// Client over HTTP/2: the response head to the extended CONNECT (see
    /// [`Connection::handle_response`]). Checked by the same code as a 101.
    ///
    /// [`Connection::handle_response`]: super::Connection::handle_response
    pub(crate) fn handle_response(&mut self, status: u16, headers: Headers, body: &[u8]) {
        let HandshakeState::ClientHeaders(hs) = &self.handshake else {
            return;
        };
        match hs.check_response(status, headers) {
            Ok(response) => {
                self.client_opened(response);
            }
            Err(HandshakeError::Rejected {
                status, headers, ..
            }) => {
                let kept = body.len().min(self.config.handshake_limits.max_body_bytes);
                let body = body.get(..kept).unwrap_or_default().to_vec();
                self.fail(
                    HandshakeError::Rejected {
                        status,
                        headers,
                        body,
                    }
                    .into(),
                );
            }
            Err(e) => self.fail(e.into()),
        }
    }

    /// Server side: answers the waiting request with 101 (see [`Connection::accept`]): the
    /// answer is [`Request::answer`](crate::handshake::Request::answer)'s, as for a request
    /// another HTTP server parsed.
    ///
    /// [`Connection::accept`]: super::Connection::accept
    pub(crate) fn accept(&mut self, accept: Accept) -> Result<(), SendError> {
        let (HandshakeState::AwaitingAccept, Some(request)) = (&self.handshake, &self.request)
        else {
            return Err(SendError::InvalidState(
                "no upgrade request is waiting to be accepted",
            ));
        };
        let answer = request
            .answer(accept, &self.config)
            .map_err(SendError::Handshake)?;
        let mut response = Vec::new();
        answer.write(&mut response);
        self.out.raw(&response);
        #[cfg(feature = "deflate")]
        if let (Some(params), Some(config)) = (answer.deflate, self.config.deflate) {
            self.install_deflate(params, &config);
        }
        self.negotiated = answer.into_negotiated();
        self.handshake = HandshakeState::Done;
        self.become_open();
        Ok(())
    }

    /// Server side: refuses the waiting request (see [`Connection::reject`]).
    ///
    /// [`Connection::reject`]: super::Connection::reject
    pub(crate) fn reject(&mut self, reject: Reject) -> Result<(), SendError> {
        let HandshakeState::AwaitingAccept = self.handshake else {
            return Err(SendError::InvalidState(
                "no upgrade request is waiting to be rejected",
            ));
        };
        reject.write(self.out.raw_buf());
        self.handshake = HandshakeState::Done;
        self.fail(ConnectionError::Refused {
            status: reject.status(),
        });
        Ok(())
    }
}
