//! The whole payment stream as one sans-IO state machine.
//!
//! A [`Client`] joins a BTP session ([`crate::btp::session`]), IL-DCP
//! ([`crate::ildcp`]), and a STREAM [`Sender`] (which paces itself). The caller owns
//! the WebSocket and the clock:
//!
//! ```
//! use ilp_stream_web::client::{Client, ClientConfig, Input, Output};
//! # use ilp_stream_web::btp::session::Credentials;
//! # let config = ClientConfig {
//! #     credentials: Credentials { username: None, token: String::new() },
//! #     receiver: Some(ilp_stream_web::client::ReceiverDetails {
//! #         destination: "test.receiver".parse().unwrap(),
//! #         shared_secret: [7; 32],
//! #     }),
//! #     amount_per_second: 1000,
//! #     max_total: None,
//! #     slippage_ppm: 10_000,
//! #     seed: [1; 32],
//! #     tuning: Default::default(),
//! # };
//! let mut now = 1_700_000_000_000;
//! let mut client = Client::new(config);
//! client.start(now);
//! loop {
//!     match client.poll_output(now) {
//!         Output::ResolveReceiver => { /* SPSP query; then Input::ReceiverResolved or ReceiverFailed */ }
//!         Output::Connect => { /* open the WebSocket; later: client.handle_input(Input::SocketOpened, now) */ }
//!         Output::Send(bytes) => { /* ws.send(bytes) */ }
//!         Output::Disconnect => { /* ws.close() */ }
//!         Output::Event(event) => { /* tell the application */ }
//!         Output::Timeout(at) => { /* wake at `at`, then poll again */ break; }
//!     }
//! }
//! ```
//!
//! After any call that changes it (`start`, `handle_input`, `pay`, …) drain
//! [`Client::poll_output`] until it returns [`Output::Timeout`], and call it
//! again at that time.

use std::collections::VecDeque;
use std::fmt;

use crate::btp::session::{AuthFailure, RequestFailure, Session, SessionEvent, SessionState};
use crate::codec::{Decode, Encode};
use crate::ildcp;
use crate::ilp::{self, OwnedAddress, Timestamp};
use crate::rand::Rng;
use crate::stream::connection::sender::budget::PaymentOutcome;
use crate::stream::connection::{Failure, RejectReason, Sender, SenderConfig, SenderEvent, Source};
use crate::stream::ErrorCode as CloseCode;

mod types;

pub use crate::stream::connection::sender::budget::PaymentId;
pub use types::{
    ClientConfig, ClientError, ConnectFailure, Event, Input, Output, RateTooLow, ReceiverDetails,
    Rejection, SpspFailure, SpspProblem, State, Stats, StopReason, Tuning,
    DEFAULT_CONNECT_TIMEOUT_MS,
};

/// Progress events are coalesced to at most one per this interval.
pub const PROGRESS_INTERVAL_MS: u64 = 100;
/// Reconnect attempts after the link drops, before giving up.
pub const MAX_RECONNECT_ATTEMPTS: u32 = 6;
/// Stalled links (a request timed out) reconnected in a row without a
/// fulfilled packet, before giving up with `timeout`.
pub const MAX_STALLS: u32 = 3;
/// First reconnect delay; doubles each attempt (with jitter), up to 8 s.
const RECONNECT_BASE_MS: u64 = 500;
const RECONNECT_MAX_MS: u64 = 8_000;
/// How much longer than the connect timeout the client waits for the
/// receiver's SPSP answer before failing by itself.
const RESOLVE_MARGIN_MS: u64 = 1_000;
/// How long `stop()` waits for in-flight packets and the close packet.
const STOP_TIMEOUT_MS: u64 = 5_000;
/// A packet in flight can still be fulfilled until it expires; waiting this
/// much longer lets its reply arrive.
const EXPIRY_MARGIN_MS: u64 = 1_000;
/// Request tag of the IL-DCP request (STREAM sequences start at 1).
const ILDCP_TAG: u64 = 0;

#[derive(Clone, Debug, Default)]
struct PendingProgress {
    amount_sent: u64,
    amount_delivered: u64,
    amount_in_doubt: u64,
    /// Something changed since the last progress event.
    changed: bool,
    receipt: Option<Vec<u8>>,
    last_emitted_at: Option<u64>,
}

/// A stop under way: in-flight packets settle (and, for `stop()`, the
/// receiver is told) before the stream finishes.
#[derive(Clone, Debug)]
struct Stopping {
    reason: StopReason,
    deadline: u64,
    /// Reported when the stop finishes (a failure or an error close).
    error: Option<ClientError>,
}

/// Where the link is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// No socket; maybe a reconnect at this time.
    Down { reconnect_at: Option<u64> },
    /// Socket requested or open, not yet usable; given up at `deadline`.
    Connecting { deadline: u64 },
    /// Authenticated (and IL-DCP done once).
    Up,
}

/// A paced STREAM payment over BTP, as one state machine. See the
/// [module docs](self).
pub struct Client {
    config: ClientConfig,
    session: Session,
    sender: Sender,
    rng: Rng,
    state: State,
    link: Link,
    /// The receiver's details (SPSP) are being asked for, beside the link
    /// coming up (the two overlap; nothing is sent to the receiver before
    /// the answer); given up at this time (a backstop: the caller bounds its
    /// query too).
    resolving: Option<u64>,
    ever_opened: bool,
    /// The connector accepted our credentials at least once.
    ever_authenticated: bool,
    reconnect_attempts: u32,
    /// Stalled links since the last fulfilled packet.
    stalls: u32,
    /// Reconnects scheduled since the start.
    reconnects: u32,
    started_emitted: bool,
    /// Set while stopping: why, until when to wait, and the error to report.
    stopping: Option<Stopping>,
    progress: PendingProgress,
    outputs: VecDeque<Output>,
    /// This connection's segment below the account's IL-DCP address: the
    /// address it announces to the receiver is `<account>.<tag>`, so that
    /// several connections sharing one BTP account (one ILP address) each
    /// get their own packets.
    tag: String,
    /// The account's address, learnt by IL-DCP.
    account_address: Option<OwnedAddress>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .field("link", &self.link)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client in the [`State::Idle`] state.
    pub fn new(config: ClientConfig) -> Self {
        let mut rng = Rng::from_seed(config.seed);
        // Its own generator, so the other sequences stay as they were.
        let mut tag_rng = Rng::from_seed(config.seed);
        tag_rng.reseed(b"ilp-stream-web connection tag");
        let tag = crate::text::hex(&tag_rng.array::<8>());
        let sender_rng = Rng::from_seed(rng.array());
        let mut session = Session::new(config.credentials.clone(), rng.next_u32());
        session.set_request_timeout_ms(config.tuning.request_timeout_ms);
        let sender = Sender::new(
            SenderConfig {
                // Replaced by the answer to ResolveReceiver before any use.
                destination: config
                    .receiver
                    .as_ref()
                    .map_or_else(OwnedAddress::unresolved, |r| r.destination.clone()),
                shared_secret: config
                    .receiver
                    .as_ref()
                    .map_or([0; 32], |r| r.shared_secret),
                slippage_ppm: config.slippage_ppm,
                packet_expiry_ms: config.tuning.packet_expiry_ms,
                amount_per_second: config.amount_per_second,
                max_total: config.max_total,
                max_packets: config.tuning.max_packets,
            },
            sender_rng,
        );
        Self {
            config,
            session,
            sender,
            rng,
            state: State::Idle,
            link: Link::Down { reconnect_at: None },
            resolving: None,
            ever_opened: false,
            ever_authenticated: false,
            reconnect_attempts: 0,
            stalls: 0,
            reconnects: 0,
            started_emitted: false,
            stopping: None,
            progress: PendingProgress::default(),
            outputs: VecDeque::new(),
            tag,
            account_address: None,
        }
    }

    /// Whether an incoming Prepare for `destination` belongs to another
    /// connection on the same account. The connector (ilp-plugin-mini-accounts,
    /// for one) hands such a Prepare to every socket of the account and takes
    /// the first answer, so this connection leaves it to its owner: one
    /// addressed below the account's address but not to ours, or any Prepare
    /// before IL-DCP told us our address (we have announced none yet, so no
    /// STREAM peer can be writing to us).
    fn is_for_another_connection(&self, destination: &str) -> bool {
        let (Some(account), Some(source)) = (self.account_address.as_ref(), self.sender.source())
        else {
            return true;
        };
        let ours = source.address.as_str();
        if ours == account.as_str() {
            return false;
        }
        let below = |prefix: &str| {
            destination
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
        };
        below(account.as_str()) && destination != ours && !below(ours)
    }

    /// The current state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// Source units fulfilled so far (or shown delivered by the receiver).
    pub const fn total_sent(&self) -> u64 {
        self.sender.total_sent()
    }

    /// Destination units the receiver reported so far, in its asset.
    pub const fn total_delivered(&self) -> u64 {
        self.sender.total_delivered()
    }

    /// Source units in packets whose outcome is unknown (they count against
    /// every cap until the receiver's total resolves them).
    pub const fn total_in_doubt(&self) -> u64 {
        self.sender.total_in_doubt()
    }

    /// How the stream is doing, cheap to read.
    pub fn stats(&self) -> Stats {
        let s = self.sender.stats();
        Stats {
            rtt_ms: s.rtt_ms,
            packets_in_flight: self.sender.in_flight(),
            packets_fulfilled: s.fulfilled,
            packets_rejected: s.rejected.clone(),
            rate: self.sender.rate_bounds(),
            max_packet_amount: self.sender.max_packet_amount(),
            window: self.sender.window(),
            reconnects: self.reconnects,
            throttled: self.sender.is_throttled(),
        }
    }

    /// The STREAM sender, for inspection.
    pub const fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Our asset, once IL-DCP told us.
    pub fn source(&self) -> Option<&Source> {
        self.sender.source()
    }

    fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state;
            self.outputs
                .push_back(Output::Event(Event::StateChanged(state)));
        }
    }

    fn is_finished(&self) -> bool {
        matches!(self.state, State::Stopped | State::Failed)
    }

    /// The state while connected: streaming, or paused by the page.
    fn running_state(&self) -> State {
        if self.sender.is_paused() {
            State::Paused
        } else {
            State::Streaming
        }
    }

    /// Starts connecting and paying. (`_now` keeps every command's
    /// signature alike; nothing here depends on the time yet.)
    pub fn start(&mut self, now: u64) -> Result<(), ClientError> {
        match self.state {
            State::Idle => {}
            State::Stopped | State::Failed => {
                return Err(ClientError::InvalidState(
                    "the stream was stopped; create a new PaymentStream to start again",
                ))
            }
            _ => return Err(ClientError::InvalidState("start() was already called")),
        }
        self.set_state(State::Connecting);
        if self.config.receiver.is_none() {
            // The caller's query is bounded by the connect timeout; this
            // backstop, a second later, holds where it cannot bound it.
            self.resolving = Some(
                now.saturating_add(self.config.tuning.connect_timeout_ms)
                    .saturating_add(RESOLVE_MARGIN_MS),
            );
            self.outputs.push_back(Output::ResolveReceiver);
        }
        // The socket, BTP authentication and IL-DCP need no receiver: they
        // run while the SPSP query does, and the first STREAM packet waits
        // for both (`drive_sender`).
        self.connect(now);
        Ok(())
    }

    /// Asks for a socket, to be open, authenticated and through IL-DCP
    /// within the connect timeout.
    fn connect(&mut self, now: u64) {
        self.link = Link::Connecting {
            deadline: now.saturating_add(self.config.tuning.connect_timeout_ms),
        };
        self.outputs.push_back(Output::Connect);
    }

    /// Stops paced sending at once (packets in flight settle); the
    /// connection stays open and `pay()` still works.
    pub fn pause(&mut self, now: u64) -> Result<(), ClientError> {
        if self.is_finished() || self.stopping.is_some() {
            return Err(ClientError::InvalidState("the stream has stopped"));
        }
        self.sender.pause(now);
        if self.state == State::Streaming {
            self.set_state(State::Paused);
        }
        Ok(())
    }

    /// Turns pacing back on.
    pub fn resume(&mut self, now: u64) -> Result<(), ClientError> {
        if self.is_finished() || self.stopping.is_some() {
            return Err(ClientError::InvalidState("the stream has stopped"));
        }
        self.sender.resume(now);
        if self.state == State::Paused {
            self.set_state(State::Streaming);
        }
        Ok(())
    }

    /// Changes the paced rate to `amount_per_second` source units per second
    /// from `now` on (time before is paced at the old rate). Works in every
    /// state before the stream stops, paused too (the new rate applies on
    /// resume); `0` pauses paced sending without changing the state.
    pub fn set_amount_per_second(
        &mut self,
        amount_per_second: u64,
        now: u64,
    ) -> Result<(), ClientError> {
        if self.is_finished() || self.stopping.is_some() {
            return Err(ClientError::InvalidState("the stream has stopped"));
        }
        self.sender.set_rate(now, amount_per_second);
        Ok(())
    }

    /// The paced rate in use, source units per second.
    pub fn amount_per_second(&self) -> u64 {
        self.sender.rate_per_second()
    }

    /// Sends `amount` source units as one discrete payment over the same
    /// connection, on top of the paced stream.
    pub fn pay(&mut self, amount: u64, _now: u64) -> Result<PaymentId, ClientError> {
        if self.state == State::Idle {
            return Err(ClientError::InvalidState("call start() before pay()"));
        }
        if self.is_finished() || self.stopping.is_some() {
            return Err(ClientError::InvalidState("the stream has stopped"));
        }
        if let Some(smallest) = self.sender.min_deliverable() {
            if amount > 0 && amount < smallest {
                return Err(ClientError::RateTooLow(RateTooLow::AmountTooSmall {
                    min_amount: smallest,
                }));
            }
        }
        Ok(self.sender.pay(amount))
    }

    /// Gives up on payment `id` (an aborted `pay()`): nothing more is sent
    /// for it, and packets in flight settle. Whether it was still unfinished.
    pub fn cancel_payment(&mut self, id: PaymentId) -> bool {
        self.sender.cancel_payment(id).is_some()
    }

    /// Queues STREAM data for the receiver; returns the offset whose
    /// [`Event::DataAcknowledged`] means all of it arrived.
    pub fn send_data(&mut self, bytes: &[u8]) -> Result<u64, ClientError> {
        if self.state == State::Idle {
            return Err(ClientError::InvalidState("call start() before sendData()"));
        }
        if self.is_finished() || self.stopping.is_some() {
            return Err(ClientError::InvalidState("the stream has stopped"));
        }
        Ok(self.sender.queue_data(bytes))
    }

    /// Reads data the receiver sent on the stream into `out`, in order and
    /// each byte once; returns how many bytes (0: none waiting).
    /// [`Event::DataReadable`] says when there are some. Reading re-opens
    /// the receive window, so drain [`Client::poll_output`] afterwards (a
    /// window update may go out). Data received before the stream stopped
    /// stays readable after.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        self.sender.read_data(out)
    }

    /// Bytes of the receiver's data waiting to be read.
    pub fn readable(&self) -> usize {
        self.sender.data_readable()
    }

    /// Stops gracefully: in-flight packets settle, the receiver is told,
    /// the socket closes and [`Event::Stopped`] reports the final totals.
    pub fn stop(&mut self, now: u64) {
        self.begin_stop(StopReason::Stopped, now);
    }

    fn begin_stop(&mut self, reason: StopReason, now: u64) {
        if self.is_finished() || self.stopping.is_some() {
            return;
        }
        self.sender.pause(now);
        if self.link == Link::Up
            && (self.sender.has_receiver_answered() || self.sender.in_flight() > 0)
        {
            self.stopping = Some(Stopping {
                reason,
                deadline: self.stop_deadline(now),
                error: None,
            });
            self.sender.close();
        } else {
            self.sender.abandon();
            self.stopping = Some(Stopping {
                reason,
                deadline: now,
                error: None,
            });
            self.finish(reason, None);
        }
    }

    /// How long a stop may wait: for the close exchange, and for every
    /// packet in flight until it can no longer be fulfilled, so the final
    /// totals include every packet that was paid.
    fn stop_deadline(&self, now: u64) -> u64 {
        let close = now.saturating_add(STOP_TIMEOUT_MS);
        self.sender.latest_expiry().map_or(close, |expiry| {
            close.max(expiry.saturating_add(EXPIRY_MARGIN_MS))
        })
    }

    fn finish(&mut self, reason: StopReason, error: Option<ClientError>) {
        if self.is_finished() {
            return;
        }
        let error = error.or_else(|| self.stopping.as_mut().and_then(|s| s.error.take()));
        // Money still in flight is in doubt from here on.
        self.sender.abandon();
        self.drain_sender_events();
        self.flush_progress_now();
        let failure = error.clone().unwrap_or_else(|| match reason {
            StopReason::ReceiverClosed => ClientError::ReceiverClosed {
                code: CloseCode::NO_ERROR,
                message: String::new(),
            },
            _ => ClientError::Stopped,
        });
        // Payments paid in full while the stop waited for their packets
        // are done, not failed.
        for done in self.sender.take_finished_payments() {
            self.payment_done(done);
        }
        for p in self.sender.take_payments() {
            self.outputs.push_back(Output::Event(Event::PaymentFailed {
                id: p.id,
                error: failure.clone(),
            }));
        }
        let stop_error = error.clone();
        if let Some(e) = error {
            self.outputs.push_back(Output::Event(Event::Error(e)));
        }
        if matches!(self.link, Link::Connecting { .. } | Link::Up) {
            self.outputs.push_back(Output::Disconnect);
        }
        self.link = Link::Down { reconnect_at: None };
        self.set_state(if reason == StopReason::Error {
            State::Failed
        } else {
            State::Stopped
        });
        let totals = *self.sender.totals();
        self.outputs.push_back(Output::Event(Event::Stopped {
            error: stop_error,
            reason,
            total_sent: totals.sent,
            total_delivered: totals.delivered,
            total_in_doubt: totals.in_doubt,
        }));
    }

    fn fail(&mut self, error: ClientError) {
        self.finish(StopReason::Error, Some(error));
    }

    /// Stops once the packets already in flight have settled, so money that
    /// arrives for them is still counted (the sender sends nothing new).
    fn finish_after_settling(&mut self, reason: StopReason, error: Option<ClientError>, now: u64) {
        if self.link == Link::Up && self.sender.in_flight() > 0 {
            self.sender.pause(now);
            self.stopping = Some(Stopping {
                reason,
                deadline: self.stop_deadline(now),
                error,
            });
        } else {
            self.finish(reason, error);
        }
    }

    /// Feeds what happened on the socket.
    pub fn handle_input(&mut self, input: Input<'_>, now: u64) {
        if self.is_finished() {
            return;
        }
        match input {
            Input::SocketOpened => {
                self.ever_opened = true;
                self.session.handle_open(now);
            }
            Input::SocketMessage(bytes) => self.session.handle_message(bytes, now),
            Input::SocketClosed => {
                self.session.handle_close();
                self.on_link_lost(now);
            }
            Input::NoWebSocket => {
                self.fail(ClientError::BtpConnectFailed(ConnectFailure::NoWebSocket));
                return;
            }
            Input::ReceiverResolved(receiver) => {
                if self.resolving.take().is_some() {
                    self.sender
                        .set_receiver(receiver.destination.clone(), &receiver.shared_secret);
                    self.config.receiver = Some(receiver);
                }
                return;
            }
            Input::ReceiverFailed(why) => {
                if self.resolving.take().is_some() {
                    self.fail(ClientError::SpspFailed(why));
                }
                return;
            }
        }
        self.process_session(now);
    }

    fn on_link_lost(&mut self, now: u64) {
        self.sender.set_link(false, now);
        if self.link == (Link::Down { reconnect_at: None }) && !self.ever_opened {
            return;
        }
        if let Some(reason) = self.stopping.as_ref().map(|s| s.reason) {
            self.link = Link::Down { reconnect_at: None };
            self.finish(reason, None);
            return;
        }
        if !self.ever_opened {
            self.fail(ClientError::BtpConnectFailed(
                ConnectFailure::SocketNotOpened,
            ));
            return;
        }
        if self.reconnect_attempts >= MAX_RECONNECT_ATTEMPTS {
            self.fail(ClientError::Disconnected);
            return;
        }
        let base = RECONNECT_BASE_MS
            .saturating_mul(1 << self.reconnect_attempts.min(16))
            .min(RECONNECT_MAX_MS);
        // Jitter: 75%..125% of the delay.
        let jitter = u64::from(self.rng.next_u32()) % (base / 2 + 1);
        self.reconnect_attempts = self.reconnect_attempts.saturating_add(1);
        self.reconnects = self.reconnects.saturating_add(1);
        self.link = Link::Down {
            reconnect_at: Some(now.saturating_add(base - base / 4 + jitter)),
        };
        self.set_state(State::Connecting);
    }

    /// A request timed out: the link is stalled, not the stream over.
    /// Reconnect (what was in flight is in doubt), unless stalls keep
    /// coming with nothing fulfilled.
    fn on_stall(&mut self, now: u64) {
        self.stalls = self.stalls.saturating_add(1);
        if self.stalls >= MAX_STALLS {
            self.fail(ClientError::Timeout);
            return;
        }
        self.outputs.push_back(Output::Disconnect);
        self.session.handle_close();
        self.on_link_lost(now);
    }

    fn process_session(&mut self, now: u64) {
        let mut stalled = false;
        let mut stalled_ildcp = false;
        while let Some(event) = self.session.poll_event() {
            if self.is_finished() {
                return;
            }
            match event {
                SessionEvent::Authenticated => {
                    self.ever_authenticated = true;
                    let expires = Timestamp::from_millis_saturating(now.saturating_add(30_000));
                    let request = ildcp::request(expires).to_bytes();
                    // Ready right after Authenticated, so this cannot fail.
                    let _ = self.session.send_ilp(&request, ILDCP_TAG, now);
                }
                // The socket dropped while re-authenticating after a
                // reconnect: `on_link_lost` already scheduled the next
                // attempt. (On the first connection it means refused.)
                SessionEvent::AuthFailed(AuthFailure::Closed) if self.ever_authenticated => {}
                // A server that accepted us before but is slow now: drop the
                // socket and reconnect with backoff rather than give up.
                SessionEvent::AuthFailed(AuthFailure::Timeout) if self.ever_authenticated => {
                    self.outputs.push_back(Output::Disconnect);
                    self.session.handle_close();
                    self.on_link_lost(now);
                }
                SessionEvent::AuthFailed(why) => {
                    self.fail(ClientError::BtpAuthFailed(why));
                    return;
                }
                SessionEvent::Reply {
                    tag: ILDCP_TAG,
                    ilp,
                } => self.on_ildcp(&ilp, now),
                SessionEvent::Reply { tag, ilp } => self.sender.handle_reply(tag, &ilp, now),
                SessionEvent::Failed {
                    tag: ILDCP_TAG,
                    reason,
                } => {
                    // After a reconnect, an IL-DCP that gets no answer is a
                    // stalled link like any other request.
                    if reason == RequestFailure::Timeout && self.sender.source().is_some() {
                        stalled_ildcp = true;
                    } else if reason != RequestFailure::Disconnected {
                        self.fail(ClientError::BtpConnectFailed(
                            ConnectFailure::IldcpUnanswered(reason),
                        ));
                        return;
                    }
                }
                SessionEvent::Failed { tag, reason } => {
                    let failure = match reason {
                        RequestFailure::Disconnected => Failure::Lost,
                        RequestFailure::Timeout => {
                            stalled = true;
                            Failure::TimedOut
                        }
                        RequestFailure::Error { code, name } => {
                            Failure::BtpError { code: code.0, name }
                        }
                        RequestFailure::NoIlpData => Failure::NoIlpData,
                    };
                    self.sender.handle_failure(tag, failure, now);
                }
                SessionEvent::Incoming { request_id, ilp } => {
                    if let Ok(ilp::Packet::Prepare(p)) = ilp::Packet::from_bytes(&ilp) {
                        if self.is_for_another_connection(p.destination.as_str()) {
                            continue; // another connection of this account answers it
                        }
                    }
                    // Data is taken in and acknowledged; money is refused.
                    let own = self.sender.source().map(|s| s.address.clone());
                    let reply = self
                        .sender
                        .handle_prepare(&ilp, own.as_ref().map(OwnedAddress::as_address).as_ref());
                    self.session.respond_ilp(request_id, &reply);
                    // Out at once: the answer may close the stream (the
                    // peer's close, a flow-control error), and it must
                    // leave before the socket does.
                    while let Some(bytes) = self.session.poll_transmit() {
                        self.outputs.push_back(Output::Send(bytes));
                    }
                }
            }
        }
        let connecting_stalled = stalled_ildcp && matches!(self.link, Link::Connecting { .. });
        if (stalled && self.link == Link::Up || connecting_stalled) && !self.is_finished() {
            self.on_stall(now);
            self.process_session(now);
        }
    }

    fn on_ildcp(&mut self, reply: &[u8], now: u64) {
        let parsed = match ilp::Packet::from_bytes(reply) {
            Ok(ilp::Packet::Fulfill(f)) => ildcp::Response::from_fulfill(&f)
                .map(|r| Source {
                    address: {
                        let account = r.client_address.to_owned_address();
                        // Too long for a segment more: the account's own address.
                        let ours = account
                            .with_suffix(&self.tag)
                            .unwrap_or_else(|_| account.clone());
                        self.account_address = Some(account);
                        ours
                    },
                    asset_code: r.asset_code.to_owned(),
                    asset_scale: r.asset_scale,
                })
                .map_err(|_| ConnectFailure::IldcpInvalid),
            Ok(ilp::Packet::Reject(r)) => Err(ConnectFailure::IldcpRejected(RejectReason::of(&r))),
            Ok(ilp::Packet::Prepare(_)) | Err(_) => Err(ConnectFailure::IldcpInvalid),
        };
        let source = match parsed {
            Ok(source) => source,
            Err(why) => {
                self.fail(ClientError::BtpConnectFailed(why));
                return;
            }
        };
        self.sender.set_source(source);
        self.link = Link::Up;
        self.reconnect_attempts = 0;
        self.sender.set_link(true, now);
        if self.started_emitted && self.stopping.is_none() {
            self.set_state(self.running_state());
        }
    }

    fn drive_sender(&mut self, now: u64) {
        if self.link != Link::Up || self.resolving.is_some() {
            return;
        }
        while self.session.state() == SessionState::Ready {
            let Some(out) = self.sender.poll_prepare(now) else {
                break;
            };
            if self
                .session
                .send_ilp(&out.prepare, out.sequence, now)
                .is_err()
            {
                self.sender.handle_failure(out.sequence, Failure::Lost, now);
                break;
            }
        }
    }

    fn emit_started(&mut self) {
        if self.started_emitted || self.is_finished() {
            return;
        }
        self.started_emitted = true;
        let (code, scale) = self.sender.source().map_or((String::new(), 0), |s| {
            (s.asset_code.clone(), s.asset_scale)
        });
        let receiver = self.sender.receiver_asset().map(|(c, s)| (c.to_owned(), s));
        self.outputs.push_back(Output::Event(Event::Started {
            asset_code: code,
            asset_scale: scale,
            receiver_asset_code: receiver.as_ref().map(|r| r.0.clone()),
            receiver_asset_scale: receiver.map(|r| r.1),
            destination_account: self.sender.destination().as_str().to_owned(),
        }));
        if self.stopping.is_none() {
            self.set_state(self.running_state());
        }
    }

    fn payment_done(&mut self, done: PaymentOutcome) {
        if done.amount > 0 && done.ledger.committed() == 0 {
            // Accepted before the rate was known, and too small to deliver
            // anything at it: nothing was sent. Not a success.
            let error = self.sender.min_deliverable().map_or(
                ClientError::RateTooLow(RateTooLow::NothingDelivers),
                |min_amount| ClientError::RateTooLow(RateTooLow::AmountTooSmall { min_amount }),
            );
            self.outputs
                .push_back(Output::Event(Event::PaymentFailed { id: done.id, error }));
            return;
        }
        self.outputs.push_back(Output::Event(Event::PaymentDone {
            id: done.id,
            sent: done.ledger.sent,
            delivered: done.ledger.delivered,
            in_doubt: done.ledger.in_doubt,
        }));
    }

    /// Takes in sender events that only update the books (used while
    /// finishing, when nothing else may happen).
    fn drain_sender_events(&mut self) {
        while let Some(event) = self.sender.poll_event() {
            if !self.book(&event) {
                if let SenderEvent::PaymentDone(done) = event {
                    self.payment_done(done);
                }
            }
        }
    }

    /// Updates the progress counters for a sender event; true if it was
    /// only about money.
    fn book(&mut self, event: &SenderEvent) -> bool {
        let p = &mut self.progress;
        match event {
            SenderEvent::Fulfilled {
                amount,
                delivered,
                receipt,
            } => {
                p.amount_sent = p.amount_sent.saturating_add(*amount);
                p.amount_delivered = p.amount_delivered.saturating_add(*delivered);
                if receipt.is_some() {
                    p.receipt.clone_from(receipt);
                }
                p.changed = true;
                self.stalls = 0;
                true
            }
            SenderEvent::InDoubt { amount } => {
                p.amount_in_doubt = p.amount_in_doubt.saturating_add(*amount);
                p.changed = true;
                true
            }
            SenderEvent::Released { .. } => {
                p.changed = true;
                true
            }
            _ => false,
        }
    }

    fn process_sender(&mut self, now: u64) {
        while let Some(event) = self.sender.poll_event() {
            if self.book(&event) {
                if matches!(event, SenderEvent::Fulfilled { .. }) {
                    self.emit_started();
                }
                continue;
            }
            match event {
                SenderEvent::Opened { waiting: true } => self.emit_started(),
                SenderEvent::PaymentDone(done) => self.payment_done(done),
                SenderEvent::Throttled {
                    throttled,
                    achieved_per_second,
                } => self.outputs.push_back(Output::Event(Event::Throttled {
                    throttled,
                    achieved_per_second,
                })),
                SenderEvent::CapReached => self.begin_stop(StopReason::MaxTotal, now),
                SenderEvent::DataAcknowledged { offset } => {
                    self.outputs
                        .push_back(Output::Event(Event::DataAcknowledged { offset }));
                }
                SenderEvent::DataReadable { readable } => {
                    self.outputs
                        .push_back(Output::Event(Event::DataReadable { readable }));
                }
                SenderEvent::ReceiverClosed { code, message } => {
                    // A normal close is not an error; any other code is.
                    let error = (code != CloseCode::NO_ERROR)
                        .then_some(ClientError::ReceiverClosed { code, message });
                    self.finish_after_settling(StopReason::ReceiverClosed, error, now);
                }
                SenderEvent::Closed => {
                    let reason = self
                        .stopping
                        .as_ref()
                        .map_or(StopReason::Stopped, |s| s.reason);
                    self.finish(reason, None);
                }
                SenderEvent::Failed(error) => {
                    self.finish_after_settling(StopReason::Error, Some(error.into()), now);
                }
                _ => {}
            }
            if self.is_finished() {
                return;
            }
        }
    }

    fn flush_progress(&mut self, now: u64) {
        if !self.progress.changed {
            return;
        }
        if self
            .progress
            .last_emitted_at
            .is_some_and(|at| now.saturating_sub(at) < PROGRESS_INTERVAL_MS)
        {
            return;
        }
        self.progress.last_emitted_at = Some(now);
        self.flush_progress_now();
    }

    fn flush_progress_now(&mut self) {
        if !self.progress.changed {
            return;
        }
        let totals = *self.sender.totals();
        let p = &mut self.progress;
        p.changed = false;
        let event = Event::Progress {
            amount_sent: core::mem::take(&mut p.amount_sent),
            total_sent: totals.sent,
            amount_delivered: core::mem::take(&mut p.amount_delivered),
            total_delivered: totals.delivered,
            amount_in_doubt: core::mem::take(&mut p.amount_in_doubt),
            total_in_doubt: totals.in_doubt,
            receipt: p.receipt.clone(),
        };
        self.outputs.push_back(Output::Event(event));
    }

    /// What to do next. Drain it until it returns [`Output::Timeout`].
    #[must_use]
    pub fn poll_output(&mut self, now: u64) -> Output {
        if let Some(out) = self.outputs.pop_front() {
            return out;
        }
        if !self.is_finished() {
            self.step(now);
            if let Some(out) = self.outputs.pop_front() {
                return out;
            }
        }
        Output::Timeout(self.next_timeout(now))
    }

    fn step(&mut self, now: u64) {
        self.session.handle_timeout(now);
        self.process_session(now);
        if self.is_finished() {
            return;
        }
        if let Link::Down {
            reconnect_at: Some(at),
        } = self.link
        {
            if at <= now {
                self.connect(now);
            }
        }
        if let Some(deadline) = self.resolving {
            if deadline <= now {
                self.fail(ClientError::SpspFailed(SpspFailure {
                    url: "the receiver's SPSP server".to_owned(),
                    problem: SpspProblem::Timeout(self.config.tuning.connect_timeout_ms),
                }));
                return;
            }
        }
        if let Link::Connecting { deadline } = self.link {
            if deadline <= now {
                if self.ever_authenticated {
                    // A reconnect that does not come up: try again later.
                    self.outputs.push_back(Output::Disconnect);
                    self.session.handle_close();
                    self.on_link_lost(now);
                    self.process_session(now);
                } else {
                    self.fail(ClientError::BtpConnectFailed(ConnectFailure::Timeout(
                        self.config.tuning.connect_timeout_ms,
                    )));
                }
                if self.is_finished() {
                    return;
                }
            }
        }
        if let Some(Stopping {
            reason, deadline, ..
        }) = self.stopping
        {
            if deadline <= now {
                self.finish(reason, None);
                return;
            }
        }
        self.drive_sender(now);
        self.process_sender(now);
        if self.is_finished() {
            return;
        }
        // A stop the sender did not start (failure, receiver close) ends
        // once nothing is in flight any more.
        if let Some(Stopping {
            reason: reason @ (StopReason::Error | StopReason::ReceiverClosed),
            ..
        }) = self.stopping
        {
            if self.sender.in_flight() == 0 {
                self.finish(reason, None);
                return;
            }
        }
        self.flush_progress(now);
        while let Some(bytes) = self.session.poll_transmit() {
            self.outputs.push_back(Output::Send(bytes));
        }
    }

    fn next_timeout(&mut self, now: u64) -> u64 {
        if self.is_finished() {
            return u64::MAX;
        }
        let mut at = u64::MAX;
        let mut consider = |t: Option<u64>| {
            if let Some(t) = t {
                at = at.min(t.max(now));
            }
        };
        consider(self.session.poll_timeout());
        if self.link == Link::Up {
            // Only future times: the sender already had its chance to send
            // in this step (a past deadline would make the caller poll forever).
            consider(self.sender.poll_timeout(now));
        }
        match self.link {
            Link::Down { reconnect_at } => consider(reconnect_at),
            Link::Connecting { deadline } => consider(Some(deadline)),
            Link::Up => {}
        }
        consider(self.resolving);
        consider(self.stopping.as_ref().map(|s| s.deadline));
        if self.progress.changed {
            consider(Some(
                self.progress
                    .last_emitted_at
                    .map_or(now, |t| t.saturating_add(PROGRESS_INTERVAL_MS)),
            ));
        }
        at
    }
}
