//! The opening handshake inside a connection (RFC 6455 §4): the client's wait for the 101
//! response, the server's wait for the request and its answer.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::Core;
use super::input::Input;
use super::recv::Step;
use crate::error::{ConnectionError, SendError};
use crate::handshake::{Accept, ClientHandshake, Reject, ServerHandshake};

/// Where the opening handshake is.
pub(crate) enum HandshakeState {
    Client(Box<ClientHandshake>),
    Server(ServerHandshake),
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
                        #[cfg(feature = "deflate")]
                        if let Err(e) = self.deflate_response(&response) {
                            self.fail(e.into());
                            return None;
                        }
                        self.negotiated.protocol = response.protocol().map(Into::into);
                        self.negotiated.extensions = response.extensions().to_vec();
                        self.response = Some(Box::new(response));
                        self.handshake = HandshakeState::Done;
                        self.become_open();
                        self.open_pending = false;
                        Some(Step::Open)
                    }
                    Err(e) => {
                        self.fail(e.into());
                        None
                    }
                }
            }
            HandshakeState::Server(hs) => match hs.poll_request(input.pending(), &limits) {
                Ok(None) if self.eof => {
                    self.fail(ConnectionError::Abnormal);
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

    /// Server side: answers the waiting request with 101 (see [`Connection::accept`]).
    ///
    /// [`Connection::accept`]: super::Connection::accept
    pub(crate) fn accept(&mut self, accept: Accept) -> Result<(), SendError> {
        #[cfg(feature = "deflate")]
        let (accept, deflate) = self.negotiate_deflate(accept);
        let (HandshakeState::AwaitingAccept, Some(request)) = (&self.handshake, &self.request)
        else {
            return Err(SendError::InvalidState(
                "no upgrade request is waiting to be accepted",
            ));
        };
        let mut response = Vec::new();
        request
            .write_accept(&accept, &mut response)
            .map_err(SendError::Handshake)?;
        self.out.raw(&response);
        self.negotiated.protocol = accept.chosen_protocol().map(Into::into);
        self.negotiated.extensions = accept.chosen_extensions().to_vec();
        #[cfg(feature = "deflate")]
        if let (Some(params), Some(config)) = (deflate, self.config.deflate) {
            self.install_deflate(params, &config);
        }
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
