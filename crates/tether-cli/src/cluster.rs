//! The rooms of `tether serve --mode broadcast`: a [`Hub`] on this process, or spread over
//! every `tether serve` on the same Redis (`--redis`); and which room a connection joins
//! (`--rooms`).

use std::time::Duration;

use tether_tokio::{Hub, HubConfig, RedisConfig, RedisError};
use tracing::info;

use crate::cli::{Mode, Rooms, ServeArgs};
use crate::errors::{self, CliError};

/// How long Redis has to answer at start (and on each reconnection attempt).
const REDIS_CONNECT: Duration = Duration::from_secs(5);

/// The room everyone is in with `--rooms one`.
const THE_ROOM: &str = "chat";

/// The hub of the server's rooms, with `config`'s limits: on Redis with `--redis` (connected before this returns,
/// unless `--redis-optional`), else on this process only.
///
/// # Errors
///
/// `--redis` without `--mode broadcast` or with a bad URL (exit code 2); Redis refusing or
/// not answering within 5 s (3).
pub async fn hub(args: &ServeArgs, config: HubConfig) -> Result<Hub, CliError> {
    let Some(url) = &args.redis else {
        return Ok(Hub::new(config));
    };
    if args.mode != Mode::Broadcast {
        return Err(CliError::usage(
            "--redis spreads broadcast rooms over several servers: add --mode broadcast",
        ));
    }
    let redis = RedisConfig::new(url)
        .connect_timeout(REDIS_CONNECT)
        .require_at_start(!args.redis_optional);
    Hub::with_redis(config, redis)
        .await
        .map_err(|e| redis_error(&e))
}

fn redis_error(e: &RedisError) -> CliError {
    match e {
        RedisError::Url { .. } => CliError::usage(e.to_string()),
        _ => CliError::new(
            errors::UNREACHABLE,
            format!("{e} (or start local-only with --redis-optional)"),
        ),
    }
}

/// The room a connection to `path` joins.
pub fn room(rooms: Rooms, path: &str) -> &str {
    match rooms {
        Rooms::One => THE_ROOM,
        Rooms::Path => path,
    }
}

/// Logs what crossed Redis, at the end (nothing without `--redis`).
pub fn log_end(hub: &Hub) {
    if let Some(r) = hub.redis_stats() {
        info!(
            sent = r.sent,
            received = r.received,
            not_crossed = r.not_crossed,
            reconnects = r.reconnects,
            "redis: messages sent to and received from the other servers"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_by_path_or_one_for_all() {
        assert_eq!(room(Rooms::One, "/a"), room(Rooms::One, "/b"));
        assert_eq!(room(Rooms::Path, "/lobby"), "/lobby");
        assert_ne!(room(Rooms::Path, "/a"), room(Rooms::Path, "/b"));
    }
}
