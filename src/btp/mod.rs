//! BTP 2.0 (RFC 23) packet codec and message builders.
//!
//! BTP carries request/response pairs between two peers over WebSocket
//! binary messages. The codec is here; [`session`] is the sans-IO client
//! session on top of it (auth, request ids, timeouts).

mod packet;
mod protocol_data;
pub mod session;
pub mod url;

pub use packet::{
    BtpError, ErrorCode, Message, Packet, PacketType, Response, Transfer, MAX_ERROR_DATA_LEN,
};
pub use protocol_data::{ContentType, Entries, Iter, ProtocolData};

use crate::codec::Encode;

/// The protocol name reserved for ILP packets.
pub const ILP: &str = "ilp";
/// The primary protocol name of the authentication message.
pub const AUTH: &str = "auth";
/// The username entry JS clients send (dropped from the RFC in 2018).
pub const AUTH_USERNAME: &str = "auth_username";
/// The token entry of the authentication message.
pub const AUTH_TOKEN: &str = "auth_token";

/// The authentication Message, entries in the JS client's order: `auth`
/// (octet-stream, empty), then `auth_username` (UTF-8) when a username is
/// given, then `auth_token` (UTF-8; empty means "no auth").
pub fn auth_message(request_id: u32, username: Option<&str>, token: &str) -> Vec<u8> {
    let auth = ProtocolData {
        name: AUTH,
        content_type: ContentType::OCTET_STREAM,
        data: &[],
    };
    let token = ProtocolData {
        name: AUTH_TOKEN,
        content_type: ContentType::TEXT_PLAIN_UTF8,
        data: token.as_bytes(),
    };
    let with_user;
    let without_user;
    let entries: &[ProtocolData<'_>] = match username {
        Some(user) => {
            let user = ProtocolData {
                name: AUTH_USERNAME,
                content_type: ContentType::TEXT_PLAIN_UTF8,
                data: user.as_bytes(),
            };
            with_user = [auth, user, token];
            &with_user
        }
        None => {
            without_user = [auth, token];
            &without_user
        }
    };
    Packet::Message(Message {
        request_id,
        protocol_data: Entries::new(entries),
    })
    .to_bytes()
}

fn ilp_entry(ilp: &[u8]) -> [ProtocolData<'_>; 1] {
    [ProtocolData {
        name: ILP,
        content_type: ContentType::OCTET_STREAM,
        data: ilp,
    }]
}

/// A Message carrying one ILP packet (normally a Prepare).
pub fn ilp_message(request_id: u32, ilp: &[u8]) -> Vec<u8> {
    let entries = ilp_entry(ilp);
    Packet::Message(Message {
        request_id,
        protocol_data: Entries::new(&entries),
    })
    .to_bytes()
}

/// A Response carrying one ILP packet (normally a Fulfill or Reject).
pub fn ilp_response(request_id: u32, ilp: &[u8]) -> Vec<u8> {
    let entries = ilp_entry(ilp);
    Packet::Response(Response {
        request_id,
        protocol_data: Entries::new(&entries),
    })
    .to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Decode;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn auth_message_without_username_has_two_entries() {
        let bytes = auth_message(1, None, "secret");
        let p = Packet::from_bytes(&bytes).unwrap();
        let names: Vec<_> = p.protocol_data().iter().map(|e| e.name).collect();
        assert_eq!(names, [AUTH, AUTH_TOKEN]);
    }

    #[test]
    fn ilp_response_carries_the_ilp_bytes() {
        let bytes = ilp_response(9, b"\x0e\x00");
        let p = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(p.packet_type(), PacketType::Response);
        assert_eq!(p.request_id(), 9);
        assert_eq!(p.ilp(), Some(&b"\x0e\x00"[..]));
    }
}
