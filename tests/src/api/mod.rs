//! The adapters' API scenarios, written once: each is a `pub fn name<A: Adapter>()` over real
//! loopback sockets (127.0.0.1, port 0), and [`api_tests!`](crate::api_tests) makes a `#[test]`
//! of every one for an adapter. tether-std's and tether-tokio's `tests/api.rs` each run the
//! whole set against their own adapter, as rustls runs one API test source per crypto
//! provider.
//!
//! Where a behaviour depends on the role, the scenario takes the [`Role`](crate::raw::Role)
//! and two scenarios (`..._as_server`, `..._as_client`) run it in each.

pub mod close;
pub mod echo;
pub mod errors;
pub mod flow;
pub mod handshake;
pub mod keepalive;
pub mod pings;
pub mod proxy;
pub mod split;
pub mod stream;
pub mod tls;

/// Instantiates every API scenario for an adapter (`tether_tests::adapter::Std` or `Tokio`):
/// one module per scenario module, one `#[test]` per scenario, with the scenario's name.
///
/// ```ignore
/// tether_tests::api_tests!(tether_tests::adapter::Std);
/// ```
///
/// A new scenario is listed here once and so runs against both adapters.
#[macro_export]
macro_rules! api_tests {
    ($adapter:ty) => {
        $crate::api_tests! { @modules $adapter;
            echo: [
                echoes_text_and_binary_of_boundary_sizes,
                streamed_messages_arrive_whole_and_chunks_carry_fin,
                bytes_are_binary_and_invalid_text_is_refused_before_sending,
                fed_messages_go_out_in_order_with_one_flush,
                a_prepared_message_reaches_every_socket,
                large_fragmented_messages_arrive_whole_in_a_reused_buffer,
            ];
            close: [
                the_clients_close_code_and_reason_reach_the_server_and_come_back,
                the_servers_close_code_and_reason_reach_the_client,
                an_unsendable_close_code_is_refused_without_closing,
                a_close_reason_over_123_bytes_is_refused_saying_123,
                recv_tells_a_close_with_4000_from_a_normal_end,
                the_close_reason_is_echoed_on_the_wire_as_server,
                the_close_reason_is_echoed_on_the_wire_as_client,
                dropping_a_socket_delivers_what_was_fed_then_1001_as_server,
                dropping_a_socket_delivers_what_was_fed_then_1001_as_client,
            ];
            pings: [
                ten_pings_get_ten_pongs_in_order_as_server,
                ten_pings_get_ten_pongs_in_order_as_client,
                a_ping_between_fragments_is_answered_before_the_echo_as_server,
                a_ping_between_fragments_is_answered_before_the_echo_as_client,
                a_ping_is_answered_while_the_application_only_sends_as_server,
                a_ping_is_answered_while_the_application_only_sends_as_client,
                a_ping_is_answered_while_the_application_does_nothing_as_server,
                a_ping_is_answered_while_the_application_does_nothing_as_client,
            ];
            keepalive: [
                an_idle_connection_with_keepalive_stays_open,
                a_silent_peer_is_dropped_at_the_pong_deadline_with_1011_as_server,
                a_silent_peer_is_dropped_at_the_pong_deadline_with_1011_as_client,
                a_silent_peer_is_dropped_while_the_application_does_nothing,
            ];
            errors: [
                invalid_utf8_from_the_peer_fails_with_1007,
                a_message_over_the_limit_fails_with_1009,
                the_handshake_times_out_when_the_server_never_answers,
                the_servers_handshake_times_out_on_a_silent_client,
                the_connect_timeout_fires_when_the_listen_queue_is_full,
                connection_refused_names_the_address,
                a_read_timeout_leaves_the_socket_usable,
                an_unresolvable_host_and_a_bad_url_are_typed,
                wss_to_a_plain_server_hints_at_ws,
                a_reset_connection_is_an_io_error_naming_the_peer,
            ];
            handshake: [
                the_servers_most_preferred_offered_subprotocol_is_chosen,
                no_common_subprotocol_means_none,
                on_request_chooses_the_subprotocol,
                basic_auth_from_the_url_or_the_config_is_accepted,
                wrong_or_missing_credentials_get_401,
                debug_of_a_refused_upgrade_shows_header_values_as_text,
                a_404_names_the_url_and_the_path,
                an_accepted_socket_reports_both_addresses,
            ];
            flow: [
                a_writer_waits_at_the_outbound_bound_while_the_peer_does_not_read,
                the_write_timeout_fails_a_writer_blocked_on_a_stalled_peer,
                try_send_returns_full_over_the_bound_and_gives_the_message_back,
                try_send_never_waits_on_a_peer_that_stopped_reading,
                queued_messages_go_out_without_a_flush_as_server,
                queued_messages_go_out_without_a_flush_as_client,
            ];
            stream: [
                a_stream_round_trips_bytes_in_any_sections,
                stream_writes_go_uncompressed,
            ];
            split: [
                split_halves_send_and_receive_from_two_threads,
                a_read_half_close_waits_for_the_answer_while_the_write_half_is_busy,
                pings_are_answered_while_the_write_half_is_idle_as_server,
                pings_are_answered_while_the_write_half_is_idle_as_client,
            ];
            tls: [
                wss_with_a_private_ca_echoes,
                an_unknown_ca_is_a_certificate_error,
                danger_accept_invalid_certs_skips_verification,
                a_self_signed_ca_certificate_is_trusted_as_the_only_extra_root,
            ];
            proxy: [
                tunnels_through_an_open_proxy,
                proxy_credentials_come_from_the_config_or_the_proxy_url,
                a_proxy_without_credentials_answers_407,
                wss_through_the_proxy,
            ];
        }
    };
    (@modules $adapter:ty; $($module:ident: [$($scenario:ident),* $(,)?];)*) => {
        $(
            mod $module {
                $(
                    #[test]
                    fn $scenario() {
                        $crate::api::$module::$scenario::<$adapter>();
                    }
                )*
            }
        )*
    };
}
