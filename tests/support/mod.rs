//! Scenario test support: a fake connector + STREAM receiver ([`peer`]) and
//! a seeded virtual link with a virtual clock ([`Sim`]) that drives a
//! [`Client`] exactly as the browser driver does: feed socket events as
//! `Input`, drain `poll_output` until `Timeout`, wake at that time.
//!
//! Nothing here reads a wall clock: time is `Sim::now`, moved only by the
//! simulation, so every scenario is deterministic for its seed.

// Each test file uses a different part of this module.
#![allow(dead_code, unreachable_pub)]

pub mod peer;

use std::collections::BTreeMap;

use ilp_stream_web::btp::session::Credentials;
use ilp_stream_web::client::{
    Client, ClientConfig, Event, Input, Output, ReceiverDetails, SpspFailure, SpspProblem,
};

#[allow(unused_imports)] // not every test file uses every one
pub use peer::{Outcome, Peer, PeerConfig, RECEIVER, SECRET, TOKEN};

/// Virtual time at which every scenario starts (ms since the Unix epoch).
pub const T0: u64 = 1_700_000_000_000;

pub(crate) use crate::common::SplitMix64;

/// Link faults and peer nonces from the shared generator.
impl SplitMix64 {
    /// True with probability `ppm` per million.
    pub fn chance(&mut self, ppm: u32) -> bool {
        ppm > 0 && self.below(1_000_000) < u64::from(ppm)
    }

    /// 12 random bytes (a nonce).
    pub fn bytes12(&mut self) -> [u8; 12] {
        let a = self.next_u64().to_be_bytes();
        let b = self.next_u64().to_be_bytes();
        let mut out = [0; 12];
        out[..8].copy_from_slice(&a);
        out[8..].copy_from_slice(&b[..4]);
        out
    }

    /// 32 random bytes (a seed).
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_be_bytes());
        }
        out
    }
}

/// Faults and delays of the virtual link.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// One-way delay of every message, and of opening a socket.
    pub latency_ms: u64,
    /// Probability (per million) that a message is lost.
    pub loss_ppm: u32,
    /// Probability (per million) that a message is delivered twice.
    pub duplicate_ppm: u32,
    /// Probability (per million) that a message is delayed by up to
    /// `4 × latency` extra, so later messages overtake it.
    pub reorder_ppm: u32,
    /// Refuse every new socket (it closes without opening).
    pub refuse_connects: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            latency_ms: 20,
            loss_ppm: 0,
            duplicate_ppm: 0,
            reorder_ppm: 0,
            refuse_connects: false,
        }
    }
}

/// A client configuration for the peer's receiver and token.
pub fn client_config(amount_per_second: u64, max_total: Option<u64>, seed: u64) -> ClientConfig {
    ClientConfig {
        credentials: Credentials {
            username: Some("alice".into()),
            token: TOKEN.into(),
        },
        receiver: Some(ReceiverDetails {
            destination: RECEIVER.parse().unwrap(),
            shared_secret: SECRET,
        }),
        amount_per_second,
        max_total,
        slippage_ppm: 10_000,
        seed: SplitMix64(seed).bytes32(),
        tuning: Default::default(),
    }
}

#[derive(Clone, Debug)]
enum LinkEvent {
    /// The socket of this generation opened.
    Opened(u64),
    /// The socket of this generation closed (or never opened).
    Closed(u64),
    /// A message to the peer.
    ToPeer(u64, Vec<u8>),
    /// A message to the client, with the money it settles (if a Fulfill).
    ToClient(u64, Vec<u8>, Option<(u64, u64)>),
    /// A message the client sent before it closed its socket gracefully
    /// (`Sim::graceful_close`): it still reaches the peer; replies are lost.
    ToPeerAfterClose(Vec<u8>),
    /// The answer to the client's SPSP query.
    Resolved,
}

impl LinkEvent {
    fn generation(&self) -> u64 {
        match self {
            Self::Opened(g) | Self::Closed(g) | Self::ToPeer(g, _) | Self::ToClient(g, _, _) => *g,
            Self::ToPeerAfterClose(_) | Self::Resolved => u64::MAX,
        }
    }
}

/// The client, the peer and the link between them, in virtual time.
pub struct Sim {
    /// Virtual now.
    pub now: u64,
    /// The client under test.
    pub client: Client,
    /// The fake connector + receiver.
    pub peer: Peer,
    /// Link faults; tests may change them mid-run.
    pub link: LinkConfig,
    /// While true, every message to the client is lost (replies already on
    /// the link included) while the peer still gets and executes the
    /// client's Prepares: money arrives at the receiver and the Fulfills are
    /// counted in `lost_messages` and `lost_fulfilled`. Socket opens and
    /// closes still reach the client. Typically followed by `disconnect()`.
    /// (A `Sim` field, not a `LinkConfig` one, so existing struct literals
    /// of `LinkConfig` stay valid.)
    pub drop_replies: bool,
    /// While true, messages the client sent before an `Output::Disconnect`
    /// still reach the peer (a browser flushes a WebSocket's send buffer
    /// before its close frame); by default they are lost with the socket.
    pub graceful_close: bool,
    rng: SplitMix64,
    queue: BTreeMap<(u64, u64), LinkEvent>,
    order: u64,
    /// Generation of the current socket (0: none).
    generation: u64,
    socket_open: bool,
    /// When the client next wants `poll_output`.
    next_timeout: u64,
    /// Nothing happens before this time (a frozen tab).
    frozen_until: u64,
    /// Steps taken without time moving (a busy loop if it keeps growing).
    steps_at_now: u32,
    /// Every event with the time it came out.
    pub events: Vec<(u64, Event)>,
    /// What the client's SPSP query answers (for a config without receiver).
    pub spsp: Result<ReceiverDetails, SpspProblem>,
    /// The SPSP query never answers (a black-holed server, no timeout).
    pub spsp_silent: bool,
    /// The client's `max_total`, checked by [`Sim::check_money`].
    pub max_total: Option<u64>,
    /// Print every output and delivery (for debugging a scenario).
    pub trace: bool,
    /// `Output::Connect` count.
    pub connects: u32,
    /// When each `Output::Connect` came out.
    pub connect_times: Vec<u64>,
    /// `Output::Send` count.
    pub sends: u32,
    /// Messages the link lost.
    pub lost_messages: u32,
    /// `Output::Send` after `Event::Stopped`.
    pub sends_after_stop: u32,
    /// `(source, delivered)` of Fulfills the client never got (lost on the
    /// link, dropped by `drop_replies`, or still held by the
    /// peer or on the link when the socket closed: the peer executed those
    /// Prepares all the same).
    pub lost_fulfilled: (u64, u64),
}

impl Sim {
    /// A started simulation.
    pub fn new(config: ClientConfig, peer: PeerConfig, link: LinkConfig, seed: u64) -> Self {
        let mut sim = Self::unstarted(config, peer, link, seed);
        sim.client.start(T0).unwrap();
        sim.drain();
        sim
    }

    /// A simulation whose client is still idle: `start()` not called yet.
    pub fn unstarted(config: ClientConfig, peer: PeerConfig, link: LinkConfig, seed: u64) -> Self {
        let max_total = config.max_total;
        let mut sim = Self {
            spsp_silent: false,
            spsp: Ok(ReceiverDetails {
                destination: RECEIVER.parse().unwrap(),
                shared_secret: SECRET,
            }),
            max_total,
            now: T0,
            client: Client::new(config),
            peer: Peer::new(peer, seed),
            link,
            drop_replies: false,
            graceful_close: false,
            rng: SplitMix64(seed),
            queue: BTreeMap::new(),
            order: 0,
            generation: 0,
            socket_open: false,
            next_timeout: T0,
            frozen_until: 0,
            steps_at_now: 0,
            events: Vec::new(),
            trace: false,
            connects: 0,
            connect_times: Vec::new(),
            sends: 0,
            lost_messages: 0,
            sends_after_stop: 0,
            lost_fulfilled: (0, 0),
        };
        sim.drain();
        sim
    }

    /// A started simulation with a default link and `config`.
    pub fn with_config(config: ClientConfig, peer: PeerConfig, seed: u64) -> Self {
        Self::new(config, peer, LinkConfig::default(), seed)
    }

    /// `(sent, delivered, in_doubt)` of the first payment that finished.
    pub fn payment_done(&self) -> Option<(u64, u64, u64)> {
        self.events.iter().find_map(|(_, e)| match e {
            Event::PaymentDone {
                sent,
                delivered,
                in_doubt,
                ..
            } => Some((*sent, *delivered, *in_doubt)),
            _ => None,
        })
    }

    /// A started simulation with a default link.
    pub fn with(amount_per_second: u64, peer: PeerConfig) -> Self {
        Self::new(
            client_config(amount_per_second, None, 1),
            peer,
            LinkConfig::default(),
            1,
        )
    }

    /// Calls the client (an application action) and drains its output.
    pub fn act<R>(&mut self, f: impl FnOnce(&mut Client, u64) -> R) -> R {
        let r = f(&mut self.client, self.now);
        self.drain();
        r
    }

    /// Polls the client until it returns `Timeout`, carrying out its outputs.
    pub fn drain(&mut self) {
        loop {
            match self.client.poll_output(self.now) {
                Output::ResolveReceiver => {
                    let at = self.now + 2 * self.link.latency_ms;
                    self.schedule(at, LinkEvent::Resolved);
                }
                Output::Connect => {
                    self.close_socket();
                    self.connects += 1;
                    self.connect_times.push(self.now);
                    self.generation += 1;
                    let g = self.generation;
                    let at = self.now + self.link.latency_ms;
                    let event = if self.link.refuse_connects {
                        LinkEvent::Closed(g)
                    } else {
                        LinkEvent::Opened(g)
                    };
                    self.schedule(at, event);
                }
                Output::Send(bytes) => {
                    if self.trace {
                        eprintln!("{} send {} bytes", self.now - T0, bytes.len());
                    }
                    self.sends += 1;
                    if self.stopped().is_some() {
                        self.sends_after_stop += 1;
                    }
                    if self.socket_open {
                        let g = self.generation;
                        self.transmit(LinkEvent::ToPeer(g, bytes), 0);
                    }
                }
                Output::Disconnect => {
                    if self.graceful_close {
                        self.flush_to_peer();
                    }
                    self.close_socket();
                }
                Output::Event(event) => self.events.push((self.now, event)),
                Output::Timeout(at) => {
                    assert!(
                        at >= self.now,
                        "timeout {at} in the past (now {})",
                        self.now
                    );
                    self.next_timeout = at;
                    return;
                }
            }
        }
    }

    fn schedule(&mut self, at: u64, event: LinkEvent) {
        self.order += 1;
        self.queue.insert((at, self.order), event);
    }

    /// Puts a message on the link, with loss, duplication and reordering.
    fn transmit(&mut self, event: LinkEvent, extra_delay: u64) {
        if self.rng.chance(self.link.loss_ppm) {
            self.lost_messages += 1;
            self.account_lost(&event);
            return;
        }
        let mut at = self.now + extra_delay + self.link.latency_ms;
        if self.rng.chance(self.link.reorder_ppm) {
            at += 1 + self.rng.below(4 * self.link.latency_ms + 1);
        }
        if self.rng.chance(self.link.duplicate_ppm) {
            let copy = match &event {
                LinkEvent::ToClient(g, b, _) => LinkEvent::ToClient(*g, b.clone(), None),
                other => other.clone(),
            };
            let later = at + self.rng.below(self.link.latency_ms + 1);
            self.schedule(later, copy);
        }
        self.schedule(at, event);
    }

    fn account_lost(&mut self, event: &LinkEvent) {
        if let LinkEvent::ToClient(_, _, Some((source, delivered))) = event {
            self.lost_fulfilled.0 += source;
            self.lost_fulfilled.1 += delivered;
        }
    }

    /// Closes the current socket: messages still on the link are lost,
    /// replies the peer is still holding (`hold_ms`) included; the Prepares
    /// behind those were executed on arrival, so their Fulfills are counted
    /// in `lost_fulfilled`.
    fn close_socket(&mut self) {
        let g = self.generation;
        let stale: Vec<_> = self
            .queue
            .iter()
            .filter(|(_, e)| e.generation() == g)
            .map(|(k, _)| *k)
            .collect();
        for key in stale {
            if let Some(event) = self.queue.remove(&key) {
                self.account_lost(&event);
            }
        }
        self.generation += 1;
        self.socket_open = false;
    }

    /// The receiver sends the client a Prepare of `amount` with these
    /// STREAM `frames` (see [`Peer::prepare_to_client`]); it goes over the
    /// link like any message (lost if no socket is open). The client's
    /// answer lands in `peer.client_replies`.
    pub fn peer_prepare(
        &mut self,
        amount: u64,
        frames: &[ilp_stream_web::stream::Frame<'_>],
        fulfillable: bool,
    ) {
        let bytes = self
            .peer
            .prepare_to_client(amount, frames, fulfillable, self.now);
        if self.socket_open {
            let g = self.generation;
            self.transmit(LinkEvent::ToClient(g, bytes, None), 0);
        }
    }

    /// The receiver writes `data` at `offset` of stream 1 (one fulfillable,
    /// 0-amount Prepare, as ilp-protocol-stream sends data).
    pub fn peer_write(&mut self, offset: u64, data: &[u8]) {
        let frame = ilp_stream_web::stream::Frame::StreamData {
            stream_id: 1,
            offset,
            data,
        };
        self.peer_prepare(0, &[frame], true);
    }

    /// Reads everything the client has received and not yet read.
    pub fn read_all(&mut self) -> Vec<u8> {
        let mut out = vec![0; self.client.readable()];
        let n = self.client.read(&mut out);
        out.truncate(n);
        self.drain();
        out
    }

    /// Marks the client's messages still on the current link as sent
    /// before a graceful close.
    fn flush_to_peer(&mut self) {
        let g = self.generation;
        let keys: Vec<_> = self
            .queue
            .iter()
            .filter(|(_, e)| matches!(e, LinkEvent::ToPeer(eg, _) if *eg == g))
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            if let Some(LinkEvent::ToPeer(_, bytes)) = self.queue.remove(&key) {
                self.queue.insert(key, LinkEvent::ToPeerAfterClose(bytes));
            }
        }
    }

    /// The link drops under the client (network fault): messages in flight
    /// are lost and the client is told the socket closed.
    pub fn disconnect(&mut self) {
        if !self.socket_open {
            return;
        }
        self.close_socket();
        self.client.handle_input(Input::SocketClosed, self.now);
        self.drain();
    }

    /// The page freezes for `ms`: no timer fires and no socket event is
    /// dispatched until then (they queue up), as in a suspended tab.
    pub fn freeze_for(&mut self, ms: u64) {
        self.frozen_until = self.now + ms;
    }

    fn timer_due(&self) -> u64 {
        self.next_timeout
    }

    /// The time of the next thing to happen.
    pub fn next_time(&self) -> u64 {
        let link = self.queue.keys().next().map_or(u64::MAX, |k| k.0);
        let at = link.min(self.timer_due());
        if at == u64::MAX {
            return at;
        }
        at.max(self.frozen_until)
    }

    /// Whether nothing is on the link.
    pub fn link_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Advances to the next link event or timer and handles it. False when
    /// nothing will ever happen again.
    pub fn step(&mut self) -> bool {
        let at = self.next_time();
        if at == u64::MAX {
            return false;
        }
        if at <= self.now {
            self.steps_at_now += 1;
            assert!(
                self.steps_at_now < 100_000,
                "busy loop: the client keeps asking to be woken at {} (now {})",
                at,
                self.now
            );
        } else {
            self.steps_at_now = 0;
        }
        self.now = self.now.max(at);
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let event = entry.remove();
            self.deliver(event);
        }
        if self.timer_due() <= self.now {
            self.drain();
        }
        true
    }

    fn deliver(&mut self, event: LinkEvent) {
        if self.trace {
            let kind = match &event {
                LinkEvent::ToClient(_, b, _) => format!("reply {:?}", b.get(..40)),
                other => format!("{:?}", std::mem::discriminant(other)),
            };
            eprintln!("{} deliver {kind}", self.now - T0);
        }
        if let LinkEvent::Resolved = event {
            if self.spsp_silent {
                return;
            }
            let input = match self.spsp.clone() {
                Ok(receiver) => Input::ReceiverResolved(receiver),
                Err(problem) => Input::ReceiverFailed(SpspFailure {
                    url: "https://wallet.example/.well-known/pay".into(),
                    problem,
                }),
            };
            self.client.handle_input(input, self.now);
            self.drain();
            return;
        }
        if let LinkEvent::ToPeerAfterClose(bytes) = &event {
            let (replies, _) = self.peer.handle(bytes, self.now);
            for r in replies {
                self.account_lost(&LinkEvent::ToClient(0, r.bytes, r.fulfilled));
            }
            return;
        }
        if event.generation() != self.generation {
            self.account_lost(&event);
            return;
        }
        if self.drop_replies && matches!(event, LinkEvent::ToClient(..)) {
            self.lost_messages += 1;
            self.account_lost(&event);
            return;
        }
        match event {
            LinkEvent::Opened(_) => {
                self.socket_open = true;
                self.peer.on_connect();
                self.client.handle_input(Input::SocketOpened, self.now);
            }
            LinkEvent::Closed(_) => {
                self.close_socket();
                self.client.handle_input(Input::SocketClosed, self.now);
            }
            LinkEvent::ToPeer(g, bytes) => {
                let (replies, close) = self.peer.handle(&bytes, self.now);
                for r in replies {
                    self.transmit(LinkEvent::ToClient(g, r.bytes, r.fulfilled), r.delay_ms);
                }
                if close {
                    // The peer closes after its replies have gone out.
                    let at = self.now + 2 * self.link.latency_ms + 1;
                    self.schedule(at, LinkEvent::Closed(g));
                }
            }
            LinkEvent::ToClient(_, bytes, _) => {
                self.client
                    .handle_input(Input::SocketMessage(&bytes), self.now);
            }
            LinkEvent::ToPeerAfterClose(_) | LinkEvent::Resolved => {}
        }
        self.drain();
    }

    /// Runs until virtual time `t` (events at `t` included).
    pub fn run_until(&mut self, t: u64) {
        self.run_until_checked(t, |_| {});
    }

    /// Runs for `ms` of virtual time.
    pub fn run_for(&mut self, ms: u64) {
        self.run_until(self.now + ms);
    }

    /// Runs until `t`, calling `check` after every step.
    pub fn run_until_checked(&mut self, t: u64, mut check: impl FnMut(&Self)) {
        while self.next_time() <= t {
            self.step();
            check(self);
        }
        self.now = self.now.max(t);
    }

    /// Runs until `done` holds or `limit` ms pass; returns whether it held.
    pub fn run_until_cond(&mut self, limit: u64, mut done: impl FnMut(&Self) -> bool) -> bool {
        let end = self.now + limit;
        while !done(self) {
            if self.next_time() > end {
                self.now = end;
                return done(self);
            }
            self.step();
        }
        true
    }

    /// The `Stopped` event, if any: `(reason, total_sent, total_delivered)`.
    pub fn stopped(&self) -> Option<&Event> {
        self.events
            .iter()
            .map(|(_, e)| e)
            .find(|e| matches!(e, Event::Stopped { .. }))
    }

    /// Codes of every `Event::Error`.
    pub fn error_codes(&self) -> Vec<&'static str> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Error(err) => Some(err.code()),
                _ => None,
            })
            .collect()
    }

    /// Whether the client's socket is open now.
    pub fn socket_open(&self) -> bool {
        self.socket_open
    }

    /// Whether the client has reported `Started`.
    pub fn started(&self) -> bool {
        self.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Started { .. }))
    }

    /// Asserts the money invariants that must hold at every step.
    pub fn check_money(&self) {
        let totals = *self.client.sender().totals();
        let sent = totals.sent;
        // Never paid twice: everything the receiver got is booked as sent,
        // in flight or in doubt, so it counts against every cap.
        assert!(
            self.peer.fulfilled_source <= totals.committed(),
            "the peer fulfilled {} but the client books only {totals:?}",
            self.peer.fulfilled_source
        );
        // The client never counts more than the peer fulfilled.
        assert!(
            sent <= self.peer.fulfilled_source,
            "client counts {sent} but the peer fulfilled {}",
            self.peer.fulfilled_source
        );
        assert!(
            self.client.total_delivered() <= self.peer.total_received,
            "client says {} delivered, receiver got {}",
            self.client.total_delivered(),
            self.peer.total_received
        );
        if let Some(max) = self.max_total {
            assert!(
                totals.committed() <= max && self.peer.fulfilled_source <= max,
                "past the cap {max}: {totals:?}, peer {}",
                self.peer.fulfilled_source
            );
        }
        // Progress events add up to the totals they report.
        let mut sum = 0u64;
        for (_, e) in &self.events {
            if let Event::Progress {
                amount_sent,
                total_sent,
                ..
            } = e
            {
                sum += amount_sent;
                assert_eq!(sum, *total_sent, "progress amounts do not add up");
            }
        }
        assert!(sum <= sent);
    }

    /// Every paid unit: the receiver's total never exceeds `cap`, and where
    /// the receiver reports totals the client's delivered total equals it.
    pub fn check_receiver(&self, cap: u64, reports_totals: bool) {
        assert!(
            self.peer.total_received <= cap,
            "receiver got {} past the cap {cap}",
            self.peer.total_received
        );
        if reports_totals {
            assert_eq!(
                self.client.total_delivered(),
                self.peer.total_received,
                "totalDelivered disagrees with the receiver"
            );
        }
    }

    /// Asserts that, with nothing in flight any more, both sides agree on
    /// every unit, except replies the link lost and the client could not
    /// recover from the receiver's total.
    pub fn check_settled(&self) {
        assert_eq!(self.client.sender().in_flight(), 0, "still in flight");
        let (lost_source, lost_delivered) = self.lost_fulfilled;
        let sent = self.client.total_sent();
        let fulfilled = self.peer.fulfilled_source;
        assert!(
            sent <= fulfilled && fulfilled <= sent + lost_source,
            "source totals disagree: client {sent}, peer {fulfilled}, lost {lost_source}"
        );
        let delivered = self.client.total_delivered();
        let received = self.peer.total_received;
        assert!(
            delivered <= received && received <= delivered + lost_delivered,
            "delivered totals disagree: client {delivered}, receiver {received}, lost {lost_delivered}"
        );
    }
}
