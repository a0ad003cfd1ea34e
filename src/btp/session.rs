//! The client side of a BTP 2.0 session (RFC 23), sans-IO.
//!
//! The caller owns the WebSocket. It tells the session when the socket opens
//! ([`Session::handle_open`]), hands it every binary message
//! ([`Session::handle_message`]) and tells it when the socket closes
//! ([`Session::handle_close`]). The session answers with bytes to send
//! ([`Session::poll_transmit`]), events ([`Session::poll_event`]) and the
//! time it next needs to be woken ([`Session::poll_timeout`]).
//!
//! After the socket opens the session authenticates first (a `Message` whose
//! primary entry is `auth`, then `auth_username` and `auth_token`) and sends
//! nothing else until the server's `Response` arrives. Each request gets a
//! fresh request id and a deadline; a `Response` or `Error` settles it, the
//! deadline or a closed socket fails it. Responses to unknown request ids and
//! unparseable packets are dropped without an answer, as the RFC asks (no
//! error ping-pong).

use std::collections::VecDeque;
use std::fmt;

use crate::text::{display_via_text, put, Text};

use super::{auth_message, ilp_message, BtpError, Entries, ErrorCode, Packet};
use crate::codec::{Decode, Encode};
use crate::ilp::{GeneralizedTime, Timestamp};

/// How long a request may wait for its answer by default (the JS plugin
/// waits 35 s; STREAM packets expire after 30 s, so 35 s covers them).
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 35_000;

/// How long the server may take to accept the credentials.
pub const AUTH_TIMEOUT_MS: u64 = 10_000;

/// A deadline noticed more than this long after it passed means the caller
/// was not running (a frozen tab, a sleeping laptop): answers may be queued
/// in the socket, undelivered. Such a request gets this long once more
/// before it fails.
pub const LATE_TIMER_GRACE_MS: u64 = 1_000;

/// Caller-chosen identifier of a request, returned with its outcome.
pub type RequestTag = u64;

/// What the session reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The server accepted the credentials; requests may be sent.
    Authenticated,
    /// The server refused the credentials (or never answered them).
    AuthFailed(AuthFailure),
    /// The answer to a request: the ILP packet the server sent back.
    Reply {
        /// The tag given to [`Session::send_ilp`].
        tag: RequestTag,
        /// The ILP Fulfill or Reject.
        ilp: Vec<u8>,
    },
    /// A request that will get no ILP answer.
    Failed {
        /// The tag given to [`Session::send_ilp`].
        tag: RequestTag,
        /// Why.
        reason: RequestFailure,
    },
    /// The peer sent us an ILP packet (normally a Prepare). The caller must
    /// answer it with [`Session::respond_ilp`].
    Incoming {
        /// The request id to answer.
        request_id: u32,
        /// The ILP packet.
        ilp: Vec<u8>,
    },
}

/// Why authentication failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The server answered with a BTP Error.
    Refused {
        /// BTP error code, e.g. `F00`.
        code: ErrorCode,
        /// The error's name, e.g. `NotAcceptedError`.
        name: String,
    },
    /// No answer within [`AUTH_TIMEOUT_MS`].
    Timeout,
    /// The socket closed before the server answered.
    Closed,
}

impl Text for AuthFailure {
    fn put(&self, out: &mut String) {
        match self {
            Self::Refused { code, name } => {
                out.push_str("the server refused the credentials (");
                crate::text::push_escaped_ascii(out, &code.0);
                put!(out, " ", name, ")");
            }
            Self::Timeout => out.push_str("the server did not answer the credentials in time"),
            Self::Closed => out.push_str("the server closed the connection during authentication"),
        }
    }
}

display_via_text!(AuthFailure);

/// Why a request got no ILP answer. The request was not executed as far as
/// this side can tell, so its money must not be counted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestFailure {
    /// The server answered with a BTP Error.
    Error {
        /// BTP error code.
        code: ErrorCode,
        /// The error's name.
        name: String,
    },
    /// No answer before the deadline.
    Timeout,
    /// The socket closed first.
    Disconnected,
    /// The answer carried no readable ILP packet.
    NoIlpData,
}

impl Text for RequestFailure {
    fn put(&self, out: &mut String) {
        match self {
            Self::Error { code, name } => {
                out.push_str("the server answered BTP error ");
                crate::text::push_escaped_ascii(out, &code.0);
                put!(out, " ", name);
            }
            Self::Timeout => out.push_str("no answer in time"),
            Self::Disconnected => out.push_str("the connection closed first"),
            Self::NoIlpData => out.push_str("the answer carried no ILP packet"),
        }
    }
}

display_via_text!(RequestFailure);

/// The state of the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// No socket.
    Closed,
    /// Credentials sent, waiting for the answer.
    Authenticating,
    /// Requests may be sent.
    Ready,
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    request_id: u32,
    tag: RequestTag,
    deadline: u64,
    /// The deadline was already extended once by [`LATE_TIMER_GRACE_MS`].
    graced: bool,
}

/// Credentials for the auth handshake. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Sent as `auth_username` when present (the JS plugin sends it; the RFC
    /// dropped it, servers ignore it or use it to pick the account).
    pub username: Option<String>,
    /// Sent as `auth_token`.
    pub token: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A BTP session over one socket at a time; it survives reconnects.
#[derive(Debug)]
pub struct Session {
    credentials: Credentials,
    state: SessionState,
    auth: Option<Pending>,
    next_request_id: u32,
    request_timeout_ms: u64,
    pending: Vec<Pending>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<SessionEvent>,
}

impl Session {
    /// A closed session. `first_request_id` should be random (the JS plugin
    /// uses random ids) so ids from an earlier page load are not reused.
    pub fn new(credentials: Credentials, first_request_id: u32) -> Self {
        Self {
            credentials,
            state: SessionState::Closed,
            auth: None,
            next_request_id: first_request_id,
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
            pending: Vec::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Changes how long requests wait for an answer.
    pub fn set_request_timeout_ms(&mut self, ms: u64) {
        self.request_timeout_ms = ms;
    }

    /// The current state.
    pub const fn state(&self) -> SessionState {
        self.state
    }

    /// Requests still waiting for an answer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn allocate_request_id(&mut self) -> u32 {
        let id = self.next_request_id;
        self.next_request_id = self.next_request_id.wrapping_add(1);
        id
    }

    /// The socket opened: authenticate.
    pub fn handle_open(&mut self, now: u64) {
        self.fail_all(RequestFailure::Disconnected);
        let request_id = self.allocate_request_id();
        self.transmit.push_back(auth_message(
            request_id,
            self.credentials.username.as_deref(),
            &self.credentials.token,
        ));
        self.auth = Some(Pending {
            request_id,
            tag: 0,
            deadline: now.saturating_add(AUTH_TIMEOUT_MS),
            graced: false,
        });
        self.state = SessionState::Authenticating;
    }

    /// The socket closed. Every pending request fails as `Disconnected`.
    pub fn handle_close(&mut self) {
        if self.auth.take().is_some() {
            self.events
                .push_back(SessionEvent::AuthFailed(AuthFailure::Closed));
        }
        self.fail_all(RequestFailure::Disconnected);
        self.transmit.clear();
        self.state = SessionState::Closed;
    }

    fn fail_all(&mut self, reason: RequestFailure) {
        for p in self.pending.drain(..) {
            self.events.push_back(SessionEvent::Failed {
                tag: p.tag,
                reason: reason.clone(),
            });
        }
    }

    /// Sends an ILP packet as a request; its outcome comes back as
    /// [`SessionEvent::Reply`] or [`SessionEvent::Failed`] with `tag`.
    ///
    /// Fails (and sends nothing) unless the session is [`SessionState::Ready`].
    pub fn send_ilp(&mut self, ilp: &[u8], tag: RequestTag, now: u64) -> Result<(), NotReady> {
        if self.state != SessionState::Ready {
            return Err(NotReady);
        }
        let request_id = self.allocate_request_id();
        self.transmit.push_back(ilp_message(request_id, ilp));
        self.pending.push(Pending {
            request_id,
            tag,
            deadline: now.saturating_add(self.request_timeout_ms),
            graced: false,
        });
        Ok(())
    }

    /// Answers an [`SessionEvent::Incoming`] request with an ILP packet.
    pub fn respond_ilp(&mut self, request_id: u32, ilp: &[u8]) {
        if self.state == SessionState::Ready {
            self.transmit
                .push_back(super::ilp_response(request_id, ilp));
        }
    }

    /// A binary message from the socket. Unparseable packets and answers to
    /// unknown requests are dropped without reply.
    pub fn handle_message(&mut self, bytes: &[u8], now: u64) {
        let Ok(packet) = Packet::from_bytes(bytes) else {
            return;
        };
        let request_id = packet.request_id();
        match packet {
            Packet::Response(_) | Packet::Error(_) => {
                if self.auth.is_some_and(|a| a.request_id == request_id) {
                    self.auth = None;
                    self.finish_auth(&packet);
                } else if let Some(i) = self.pending.iter().position(|p| p.request_id == request_id)
                {
                    let p = self.pending.swap_remove(i);
                    self.events.push_back(settle(p.tag, &packet));
                }
            }
            // interledger-rs wraps Fulfill/Reject in a Message (digest §4.3):
            // an `ilp` Message with the id of one of our requests is its reply.
            Packet::Message(_) if packet.ilp().is_some() && self.is_pending(request_id) => {
                if let Some(i) = self.pending.iter().position(|p| p.request_id == request_id) {
                    let p = self.pending.swap_remove(i);
                    self.events.push_back(settle(p.tag, &packet));
                }
            }
            Packet::Message(_) => match packet.ilp() {
                Some(ilp) if self.state == SessionState::Ready => {
                    self.events.push_back(SessionEvent::Incoming {
                        request_id,
                        ilp: ilp.to_vec(),
                    });
                }
                _ => self.answer_unsupported(request_id, now),
            },
            Packet::Transfer(_) => self.answer_unsupported(request_id, now),
        }
    }

    fn is_pending(&self, request_id: u32) -> bool {
        self.pending.iter().any(|p| p.request_id == request_id)
    }

    fn finish_auth(&mut self, packet: &Packet<'_>) {
        match packet {
            Packet::Response(_) => {
                self.state = SessionState::Ready;
                self.events.push_back(SessionEvent::Authenticated);
            }
            Packet::Error(e) => {
                self.state = SessionState::Closed;
                self.events
                    .push_back(SessionEvent::AuthFailed(AuthFailure::Refused {
                        code: e.code,
                        name: e.name.to_owned(),
                    }));
            }
            Packet::Message(_) | Packet::Transfer(_) => {}
        }
    }

    /// Requests we do not serve (settlement transfers, other sub-protocols)
    /// get a BTP `NotAcceptedError`, so the peer does not wait for a timeout.
    fn answer_unsupported(&mut self, request_id: u32, now: u64) {
        if self.state != SessionState::Ready {
            return;
        }
        let mut text = String::new();
        let error = BtpError {
            request_id,
            code: ErrorCode(*b"F00"),
            name: "NotAcceptedError",
            triggered_at: GeneralizedTime::from_timestamp_js(
                Timestamp::from_millis_saturating(now),
                &mut text,
            ),
            data: b"{\"message\":\"this client accepts no requests of that kind\"}",
            protocol_data: Entries::new(&[]),
        };
        self.transmit.push_back(Packet::Error(error).to_bytes());
    }

    /// Fails requests (and the auth exchange) whose deadline has passed.
    ///
    /// A request whose deadline passed more than [`LATE_TIMER_GRACE_MS`]
    /// before `now` gets that much longer, once: the caller was not
    /// running, and its answer may be waiting in the socket.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.auth.is_some_and(|a| a.deadline <= now) {
            self.auth = None;
            self.state = SessionState::Closed;
            self.events
                .push_back(SessionEvent::AuthFailed(AuthFailure::Timeout));
        }
        let mut i = 0;
        while let Some(p) = self.pending.get_mut(i) {
            if p.deadline <= now && !p.graced && now - p.deadline > LATE_TIMER_GRACE_MS {
                p.deadline = now.saturating_add(LATE_TIMER_GRACE_MS);
                p.graced = true;
            }
            let p = *p;
            if p.deadline <= now {
                self.pending.swap_remove(i);
                self.events.push_back(SessionEvent::Failed {
                    tag: p.tag,
                    reason: RequestFailure::Timeout,
                });
            } else {
                i += 1;
            }
        }
    }

    /// The next message to write to the socket.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline, if any request (or the auth) is waiting.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        self.pending
            .iter()
            .chain(self.auth.as_ref())
            .map(|p| p.deadline)
            .min()
    }
}

fn settle(tag: RequestTag, packet: &Packet<'_>) -> SessionEvent {
    match packet {
        Packet::Error(e) => SessionEvent::Failed {
            tag,
            reason: RequestFailure::Error {
                code: e.code,
                name: e.name.to_owned(),
            },
        },
        _ => match packet.ilp() {
            Some(ilp) => SessionEvent::Reply {
                tag,
                ilp: ilp.to_vec(),
            },
            None => SessionEvent::Failed {
                tag,
                reason: RequestFailure::NoIlpData,
            },
        },
    }
}

/// [`Session::send_ilp`] was called before authentication finished or after
/// the socket closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotReady;

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the BTP session is not authenticated")
    }
}

impl std::error::Error for NotReady {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btp::Response;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn session() -> Session {
        Session::new(
            Credentials {
                username: Some("alice".into()),
                token: "s3cret".into(),
            },
            100,
        )
    }

    fn response(request_id: u32, ilp: Option<&[u8]>) -> Vec<u8> {
        match ilp {
            Some(ilp) => super::super::ilp_response(request_id, ilp),
            None => Packet::Response(Response {
                request_id,
                protocol_data: Entries::new(&[]),
            })
            .to_bytes(),
        }
    }

    fn ready() -> Session {
        let mut s = session();
        s.handle_open(0);
        let auth = s.poll_transmit().unwrap();
        assert_eq!(Packet::from_bytes(&auth).unwrap().request_id(), 100);
        s.handle_message(&response(100, None), 1);
        assert_eq!(s.poll_event(), Some(SessionEvent::Authenticated));
        s
    }

    #[test]
    fn authenticates_first_with_username_and_token() {
        let mut s = session();
        assert_eq!(s.send_ilp(b"x", 1, 0), Err(NotReady));
        s.handle_open(0);
        let auth = s.poll_transmit().unwrap();
        let packet = Packet::from_bytes(&auth).unwrap();
        let names: Vec<_> = packet.protocol_data().iter().map(|e| e.name).collect();
        assert_eq!(names, ["auth", "auth_username", "auth_token"]);
        assert_eq!(
            packet.protocol_data().get("auth_token").unwrap().data,
            b"s3cret"
        );
        assert_eq!(s.state(), SessionState::Authenticating);
        assert_eq!(
            s.send_ilp(b"x", 1, 0),
            Err(NotReady),
            "nothing before auth completes"
        );
    }

    #[test]
    fn refused_credentials_are_reported() {
        let mut s = session();
        s.handle_open(0);
        let _ = s.poll_transmit();
        let mut text = String::new();
        let err = Packet::Error(BtpError {
            request_id: 100,
            code: ErrorCode(*b"F00"),
            name: "NotAcceptedError",
            triggered_at: GeneralizedTime::from_timestamp(Timestamp::EPOCH, &mut text),
            data: b"invalid token",
            protocol_data: Entries::new(&[]),
        })
        .to_bytes();
        s.handle_message(&err, 1);
        assert!(matches!(
            s.poll_event(),
            Some(SessionEvent::AuthFailed(AuthFailure::Refused { .. }))
        ));
        assert_eq!(s.state(), SessionState::Closed);
    }

    #[test]
    fn auth_times_out() {
        let mut s = session();
        s.handle_open(0);
        assert_eq!(s.poll_timeout(), Some(AUTH_TIMEOUT_MS));
        s.handle_timeout(AUTH_TIMEOUT_MS);
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::AuthFailed(AuthFailure::Timeout))
        );
    }

    #[test]
    fn replies_are_matched_by_request_id() {
        let mut s = ready();
        s.send_ilp(b"prepare-a", 7, 10).unwrap();
        s.send_ilp(b"prepare-b", 8, 10).unwrap();
        let a = Packet::from_bytes(&s.poll_transmit().unwrap())
            .unwrap()
            .request_id();
        let b = Packet::from_bytes(&s.poll_transmit().unwrap())
            .unwrap()
            .request_id();
        assert_ne!(a, b);
        s.handle_message(&response(b, Some(b"fulfill-b")), 20);
        s.handle_message(&response(a, Some(b"reject-a")), 21);
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::Reply {
                tag: 8,
                ilp: b"fulfill-b".to_vec()
            })
        );
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::Reply {
                tag: 7,
                ilp: b"reject-a".to_vec()
            })
        );
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn an_ilp_message_answering_our_request_is_its_reply() {
        // interledger-rs sends Fulfill/Reject in a BTP Message.
        let mut s = ready();
        s.send_ilp(b"prepare", 3, 0).unwrap();
        let id = Packet::from_bytes(&s.poll_transmit().unwrap())
            .unwrap()
            .request_id();
        s.handle_message(&ilp_message(id, b"fulfill"), 1);
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::Reply {
                tag: 3,
                ilp: b"fulfill".to_vec()
            })
        );
        assert_eq!(s.poll_transmit(), None, "a reply is not answered");
    }

    #[test]
    fn stray_and_garbage_messages_get_no_answer() {
        let mut s = ready();
        s.handle_message(&response(999, Some(b"x")), 5);
        s.handle_message(&[0xff, 0, 1], 5);
        s.handle_message(&[], 5);
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.poll_transmit(), None);
    }

    #[test]
    fn requests_time_out_and_closing_fails_the_rest() {
        let mut s = ready();
        s.set_request_timeout_ms(1000);
        s.send_ilp(b"a", 1, 0).unwrap();
        s.send_ilp(b"b", 2, 500).unwrap();
        assert_eq!(s.poll_timeout(), Some(1000));
        s.handle_timeout(1000);
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::Failed {
                tag: 1,
                reason: RequestFailure::Timeout
            })
        );
        s.handle_close();
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::Failed {
                tag: 2,
                reason: RequestFailure::Disconnected
            })
        );
        assert_eq!(s.state(), SessionState::Closed);
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn a_deadline_noticed_late_gets_a_short_grace_once() {
        let mut s = ready();
        s.set_request_timeout_ms(1000);
        s.send_ilp(b"a", 1, 0).unwrap();
        let request_id = Packet::from_bytes(&s.poll_transmit().unwrap())
            .unwrap()
            .request_id();
        // The caller was frozen for a minute; the answer is still queued.
        s.handle_timeout(60_000);
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.poll_timeout(), Some(60_000 + LATE_TIMER_GRACE_MS));
        s.handle_message(&response(request_id, Some(b"fulfill")), 60_000);
        assert!(matches!(
            s.poll_event(),
            Some(SessionEvent::Reply { tag: 1, .. })
        ));
        // Without an answer, the grace is given once only.
        s.send_ilp(b"b", 2, 60_000).unwrap();
        s.handle_timeout(200_000);
        s.handle_timeout(300_000);
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::Failed {
                tag: 2,
                reason: RequestFailure::Timeout
            })
        );
    }

    #[test]
    fn incoming_prepares_are_surfaced_and_transfers_refused() {
        let mut s = ready();
        s.handle_message(&ilp_message(55, b"prepare"), 0);
        assert_eq!(
            s.poll_event(),
            Some(SessionEvent::Incoming {
                request_id: 55,
                ilp: b"prepare".to_vec()
            })
        );
        let transfer = Packet::Transfer(super::super::Transfer {
            request_id: 56,
            amount: 5,
            protocol_data: Entries::new(&[]),
        })
        .to_bytes();
        s.handle_message(&transfer, 0);
        let answer = s.poll_transmit().unwrap();
        let answer = Packet::from_bytes(&answer).unwrap();
        assert!(matches!(answer, Packet::Error(e) if e.request_id == 56));
    }

    #[test]
    fn debug_never_prints_the_token() {
        let s = session();
        let text = format!("{s:?}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("redacted"));
    }
}
