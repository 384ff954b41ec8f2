//! The built-in web page served at `/`: it opens a WebSocket back to the server, shows the
//! messages that arrive and sends what a person types.
//!
//! Query options, for demos and tests: `?say=TEXT` types TEXT into the box and submits it
//! once connected (the same handler as pressing Enter); `?report=1` answers every message
//! received with `REPORT <message>`.

use crate::cli::Mode;

/// The page's source, with `__MODE__` where the server's mode goes.
const PAGE: &str = include_str!("page.html");

/// The page for a server in `mode`.
pub fn render(mode: Mode) -> String {
    PAGE.replace("__MODE__", mode.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_mode_and_opens_a_websocket() {
        let page = render(Mode::Broadcast);
        assert!(page.contains("<title>tether · broadcast</title>"));
        assert!(!page.contains("__MODE__"));
        assert!(page.contains("new WebSocket("));
        assert!(page.contains("form.requestSubmit()"));
    }
}
