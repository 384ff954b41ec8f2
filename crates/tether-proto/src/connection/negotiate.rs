//! permessage-deflate negotiation wired into the handshake, so every adapter gets it (see
//! [`crate::deflate`]). Each hook does nothing when [`Config::deflate`](crate::Config) is
//! `None` or the application handled the extension itself. (The server's side is
//! [`Request::answer`](crate::handshake::Request::answer), shared with HTTP stacks.)

use alloc::borrow::Cow;
use alloc::boxed::Box;

use super::Core;
use crate::Role;
use crate::deflate::{Deflate, DeflateConfig, DeflateParams};
use crate::handshake::{ClientOptions, HandshakeError, Response};

impl Core {
    /// Client: the options with our offer added, unless the application offers
    /// permessage-deflate itself (then the answer is its to handle).
    pub(super) fn offer_deflate<'a>(
        config: &crate::Config,
        options: &'a ClientOptions,
    ) -> (Cow<'a, ClientOptions>, bool) {
        match &config.deflate {
            Some(deflate) if !DeflateConfig::is_offered(&options.extensions) => {
                let mut options = options.clone();
                options.extensions.push(deflate.offer());
                (Cow::Owned(options), true)
            }
            _ => (Cow::Borrowed(options), false),
        }
    }

    /// Client: checks the server's answer to our offer and installs the codec.
    pub(super) fn deflate_response(&mut self, response: &Response) -> Result<(), HandshakeError> {
        let (true, Some(config)) = (self.deflate_offered, self.config.deflate) else {
            return Ok(());
        };
        if let Some(answer) = DeflateConfig::find(response.extensions()) {
            let params = config.accept_response(answer)?;
            self.install_deflate(params, &config);
        }
        Ok(())
    }

    /// Any role: installs the codec for a connection opened with the extension negotiated.
    pub(super) fn deflate_from_negotiated(&mut self) {
        let Some(config) = self.config.deflate else {
            return;
        };
        if let Some(params) = DeflateConfig::find(&self.negotiated.extensions)
            .and_then(|answer| DeflateParams::from_response(answer).ok())
        {
            self.install_deflate(params, &config);
        }
    }

    pub(super) fn install_deflate(&mut self, params: DeflateParams, config: &DeflateConfig) {
        let role: Role = self.role;
        let deflate = Deflate::new(params, role, config);
        // A client masks each frame: nothing to share.
        self.shared_deflate = deflate.share_key().filter(|_| role == Role::Server);
        self.extension = Some(Box::new(deflate));
    }
}
