//! A fake connector with a STREAM receiver behind it, built only from this
//! crate's codecs. It plays the BTP server: it checks the auth message,
//! answers IL-DCP, applies an exchange rate and a max packet amount, can
//! refuse with T04/T05 (including ilp-connector's balance, throughput and
//! rate-limit buckets), and then receives STREAM packets with the shared
//! secret the way a production receiver does ([`ReceiverProfile`]: F99 +
//! encrypted STREAM Reject for probes and shortfalls, Fulfill + encrypted
//! STREAM Fulfill otherwise).
//!
//! Timing: the connector and receiver decide the moment a Prepare arrives
//! (the money is counted in [`Peer::total_received`] then); `hold_ms` only
//! delays the reply. So a Prepare that reached the peer is always executed,
//! whatever happens to the socket afterwards (as ilp-plugin-mini-accounts
//! does when the browser's socket drops): its Fulfill is lost with the
//! socket and `Sim::lost_fulfilled` counts it.

use std::collections::{HashMap, HashSet};

use ilp_stream_web::btp::{self, BtpError, Entries};
use ilp_stream_web::codec::{Decode, Encode};
use ilp_stream_web::ildcp;
use ilp_stream_web::ilp::{
    self, Address, AmountTooLarge, ErrorCode, Fulfill, GeneralizedTime, Prepare, Reject, Timestamp,
};
use ilp_stream_web::receipt::Receipt;
use ilp_stream_web::stream::crypto::{self, Keys};
use ilp_stream_web::stream::{ErrorCode as StreamErrorCode, Frame, IlpPacketType, OutgoingPacket};

use super::SplitMix64;

/// The receiver's ILP address (the client's destination).
pub const RECEIVER: &str = "test.conn.receiver";
/// The address IL-DCP gives the client.
pub const CLIENT_ADDRESS: &str = "test.conn.client";
/// The connector's own address (in `triggered_by`).
pub const CONNECTOR: &str = "test.conn";
/// The BTP token the peer accepts.
pub const TOKEN: &str = "correct-horse-battery-staple";
/// The STREAM shared secret.
pub const SECRET: [u8; 32] = [0x5a; 32];
/// The receiver's data window (connection and stream).
pub const DATA_WINDOW: u64 = 1 << 20;

/// Which production STREAM receiver the peer imitates. Whatever the profile,
/// the peer itself keeps the ground truth ([`Peer::total_received`],
/// [`Peer::fulfilled_source`], [`Peer::log`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReceiverProfile {
    /// ilp-protocol-stream 2.7.1 server (the default, and the only profile
    /// that keeps per-connection state). Every reply carries
    /// `ConnectionMaxData`, `StreamMaxMoney` (`receive_max`, or u64::MAX,
    /// and the stream's cumulative total received) and `StreamMaxData`;
    /// `ConnectionAssetDetails` answers `ConnectionNewAddress`; paying
    /// Fulfills carry a receipt when `receipts` is set; `receive_max` is
    /// enforced (F99); stream 1 data is accepted into [`Peer::data`];
    /// `close_at` adds `ConnectionClose` to the reply that crosses it. A
    /// STREAM packet that does not decrypt, or is not a Prepare, gets F06.
    #[default]
    Cumulative,
    /// @interledger/stream-receiver 0.2.2 (stateless; what Rafiki uses).
    /// Replies carry no `StreamMaxMoney` and no data windows, ever:
    /// only `ConnectionAssetDetails` (answering `ConnectionNewAddress`), a
    /// receipt on paying Fulfills when `receipts` is set (for the
    /// connection's total, as Rafiki tracks it), and `ConnectionClose`
    /// (below). Fulfills any authentic packet meeting its minimum (zero
    /// amounts included); `receive_max` is ignored and stream data is
    /// dropped (not written to [`Peer::data`]). A request carrying
    /// `ConnectionClose` gets F99 + `ConnectionClose` (echo). With
    /// `close_at`, once the total has reached it, every further paying
    /// packet is declined for good: F99 + `ConnectionClose` (Rafiki's
    /// `finalDecline` for a completed incoming payment). Not decrypting →
    /// F06 without data; not a Prepare → F00 without data.
    Stateless,
    /// interledger-rs ilp-node 0.6. Each `StreamMoney` frame of the request
    /// is answered with `StreamMaxMoney { receive_max: u64::MAX,
    /// total_received: 0 }` for that stream (so non-paying packets get
    /// none), plus `ConnectionAssetDetails` for `ConnectionNewAddress`;
    /// nothing else (no data windows, no receipts even if `receipts` is
    /// set, no `ConnectionClose`: `close_at` is ignored). Fulfills any
    /// authentic packet meeting its minimum; `receive_max` is ignored;
    /// stream data is dropped. Not decrypting → F06 "Could not decrypt
    /// data"; the STREAM packet type is not checked.
    InterledgerRs,
}

/// ilp-connector's reject messages (`Reject::message`) for its buckets.
pub mod messages {
    /// T04 from the balance middleware (`balance.maximum`).
    pub const BALANCE: &str = "exceeded maximum balance.";
    /// T04 from the throughput middleware (`throughput.incomingAmount`).
    pub const THROUGHPUT: &str = "exceeded money bandwidth, throttling.";
    /// T05 from the rate-limit middleware (`rateLimit`).
    pub const RATE_LIMIT: &str = "too many requests, throttling.";
    /// Every other refusal of this fake connector (F08, `t04_next`,
    /// `t05_next`, `liquidity`, `credit`).
    pub const CONNECTOR: &str = "connector";
}

/// How the peer behaves.
///
/// Connector checks run in ilp-connector's middleware order: `rate_limit`
/// (every Prepare, IL-DCP included) → IL-DCP / expiry (R00) / destination
/// (F02) → `max_packet` (F08) → (zero amounts skip the rest) → `t05_next`,
/// `t04_next` → `throughput` → `balance_max` → `liquidity`, `credit`. The
/// three ilp-connector buckets reject at once (their replies ignore
/// `hold_ms`, as a connector answers its own rejects immediately); every
/// other reply is held `hold_ms`. Probes (unfulfillable Prepares) pass
/// through the buckets on the way in like any other packet.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// The token `auth_token` must carry.
    pub token: String,
    /// Exchange rate applied by the connector: `floor(amount × num / den)`.
    pub rate: (u64, u64),
    /// Largest source amount forwarded; larger gets F08.
    pub max_packet: Option<u64>,
    /// Whether F08 carries `AmountTooLarge` data.
    pub f08_data: bool,
    /// Source units that may be in flight through the connector at once
    /// (T04 beyond). A packet is in flight from arrival until its reply.
    pub liquidity: Option<u64>,
    /// Source units the connector will ever forward for fulfilled packets
    /// (T04 "connector" for good once reached; in-flight amounts count,
    /// fulfilled ones once). Older, generic form of `balance_max` (held
    /// reply, generic message); prefer that.
    pub credit: Option<u64>,
    /// ilp-connector `balance: { maximum }` without settlement: the
    /// account's balance is every fulfilled amount so far (nothing ever
    /// settles) plus the amounts in flight (from arrival until the reply;
    /// a Reject refunds its amount). A Prepare that does not fit in the room
    /// left is refused whole: T04 [`messages::BALANCE`], immediately.
    pub balance_max: Option<u64>,
    /// ilp-connector `throughput: { incomingAmount, refillPeriod }` as
    /// `(amount per period, period in ms)`: a token bucket of source units,
    /// capacity one period's amount, full at the first Prepare, refilled
    /// continuously in virtual time. A Prepare whose amount exceeds the
    /// tokens left gets T04 [`messages::THROUGHPUT`] (immediately) and takes
    /// none; one that passes takes its amount whatever happens to it next
    /// (fulfilled, F99 probe, or refused by the balance). Period must be > 0.
    pub throughput: Option<(u64, u64)>,
    /// ilp-connector `rateLimit: { refillCount, refillPeriod }` as
    /// `(packets per period, period in ms)`, capacity one period's count:
    /// every Prepare (IL-DCP and zero amounts included) takes one token;
    /// with none left it gets T05 [`messages::RATE_LIMIT`] (immediately).
    /// ilp-connector's default is `Some((10_000, 60_000))`; `None` is no
    /// limit. Period must be > 0.
    pub rate_limit: Option<(u64, u64)>,
    /// Reject this many of the next paying packets with T04.
    pub t04_next: u32,
    /// Reject this many of the next paying packets with T05.
    pub t05_next: u32,
    /// How long the connector + receiver take to answer a Prepare (the
    /// reply is held; the Prepare itself is executed on arrival).
    pub hold_ms: u64,
    /// Which production receiver the peer imitates.
    pub receiver: ReceiverProfile,
    /// The receiver's `receive_max` for stream 1 (destination units);
    /// enforced only by [`ReceiverProfile::Cumulative`].
    pub receive_max: Option<u64>,
    /// Receipt nonce and secret, if the receiver issues RFC 39 receipts.
    pub receipts: Option<([u8; 16], [u8; 32])>,
    /// The receiver's asset code and scale.
    pub receiver_asset: (String, u8),
    /// Once the receiver has this much, it closes the connection
    /// (`ConnectionClose`, NoError): in the reply that crosses it
    /// (`Cumulative`), or by declining every later paying packet
    /// (`Stateless`); `InterledgerRs` never closes.
    pub close_at: Option<u64>,
}

impl Default for PeerConfig {
    fn default() -> Self {
        Self {
            token: TOKEN.into(),
            rate: (1, 1),
            max_packet: Some(1_000),
            f08_data: true,
            liquidity: None,
            credit: None,
            balance_max: None,
            throughput: None,
            rate_limit: None,
            t04_next: 0,
            t05_next: 0,
            hold_ms: 0,
            receiver: ReceiverProfile::Cumulative,
            receive_max: None,
            receipts: None,
            receiver_asset: ("USD".into(), 6),
            close_at: None,
        }
    }
}

/// How a Prepare to the receiver ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Fulfilled.
    Fulfilled,
    /// Rejected with this code.
    Rejected(ErrorCode),
}

/// One Prepare addressed to the receiver, as the peer saw it.
#[derive(Clone, Debug)]
pub struct Record {
    /// Arrival time.
    pub at: u64,
    /// Source amount.
    pub amount: u64,
    /// STREAM sequence, if the packet decrypted.
    pub sequence: Option<u64>,
    /// STREAM `prepare_amount` (the minimum to deliver), if decrypted.
    pub min_destination: Option<u64>,
    /// Whether it carried a `StreamMoney` frame and could be fulfilled
    /// (rate probes name the stream with a random condition: never paying).
    pub paying: bool,
    /// Whether it carried a `StreamMoney` frame (paying or not).
    pub names_stream: bool,
    /// Destination amount after the exchange rate (0 if the connector rejected).
    pub arrived: u64,
    /// What happened.
    pub outcome: Outcome,
    /// The Reject's message (empty for a Fulfill or a receiver's Reject).
    pub message: &'static str,
}

/// A Prepare that passed the connector, until its reply leaves.
#[derive(Clone, Copy, Debug)]
struct InFlight {
    /// When its reply leaves the peer.
    until: u64,
    /// Source amount.
    amount: u64,
    /// Whether the receiver fulfilled it.
    fulfilled: bool,
}

/// ilp-connector's `TokenBucket` (refilled continuously, capacity one
/// period's count, full when created), in exact integer arithmetic: tokens
/// are kept multiplied by the period so no floats are needed.
#[derive(Clone, Debug)]
struct Bucket {
    /// `(count per period, period ms)` it was made for.
    config: (u64, u64),
    /// Tokens × period.
    scaled: u128,
    /// Last refill.
    last: u64,
}

impl Bucket {
    fn new(config: (u64, u64), now: u64) -> Self {
        let (count, period) = config;
        Self {
            config,
            scaled: u128::from(count) * u128::from(period.max(1)),
            last: now,
        }
    }

    /// The bucket for `config` in `slot` (new and full if `config` changed).
    fn get(slot: &mut Option<Self>, config: Option<(u64, u64)>, now: u64) -> Option<&mut Self> {
        let Some(config) = config else {
            *slot = None;
            return None;
        };
        if slot.as_ref().is_none_or(|b| b.config != config) {
            *slot = Some(Self::new(config, now));
        }
        slot.as_mut()
    }

    /// Refills for the time since the last call, then takes `n` tokens if
    /// there are that many (JS `take`: nothing is taken on refusal).
    fn take(&mut self, n: u64, now: u64) -> bool {
        let (count, period) = self.config;
        let period = u128::from(period.max(1));
        let elapsed = u128::from(now.saturating_sub(self.last));
        self.last = now.max(self.last);
        let capacity = u128::from(count) * period;
        self.scaled = (self.scaled + elapsed * u128::from(count)).min(capacity);
        let need = u128::from(n) * period;
        if self.scaled < need {
            return false;
        }
        self.scaled -= need;
        true
    }
}

/// A refusal by the connector.
struct Refusal {
    code: ErrorCode,
    message: &'static str,
    /// Answered at once (an ilp-connector bucket) rather than after `hold_ms`.
    immediate: bool,
}

impl Refusal {
    const fn held(code: ErrorCode) -> Self {
        Self {
            code,
            message: messages::CONNECTOR,
            immediate: false,
        }
    }

    const fn bucket(code: ErrorCode, message: &'static str) -> Self {
        Self {
            code,
            message,
            immediate: true,
        }
    }
}

/// A BTP message the peer sends back, with what it means for the money.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Extra delay before it leaves the peer.
    pub delay_ms: u64,
    /// The BTP bytes.
    pub bytes: Vec<u8>,
    /// `(source, delivered)` when it carries a Fulfill of a paying packet.
    pub fulfilled: Option<(u64, u64)>,
}

/// The fake connector + receiver.
pub struct Peer {
    /// Its behaviour; tests may change it mid-run.
    pub config: PeerConfig,
    keys: Keys,
    rng: SplitMix64,
    authenticated: bool,
    seen_requests: HashSet<u32>,
    in_flight: Vec<InFlight>,
    throughput_bucket: Option<Bucket>,
    rate_bucket: Option<Bucket>,
    /// Destination units the receiver accepted in total (in every profile).
    pub total_received: u64,
    /// Source units of fulfilled Prepares (in every profile).
    pub fulfilled_source: u64,
    /// Stream 1 data, by offset (only a `Cumulative` receiver keeps it).
    pub data: Vec<u8>,
    /// Every Prepare addressed to the receiver.
    pub log: Vec<Record>,
    /// The client sent `ConnectionClose`.
    pub connection_closed: bool,
    /// The client sent `StreamClose` for stream 1.
    pub stream_closed: bool,
    /// Auth messages received.
    pub auth_attempts: u32,
    /// IL-DCP requests answered.
    pub ildcp_requests: u32,
    /// Data frames that contradicted bytes already received.
    pub data_conflicts: u32,
    /// The receive window the client advertised in its Prepares
    /// (`StreamMaxData` for stream 1), if any.
    pub client_window: Option<u64>,
    /// The client's answers to Prepares the receiver sent it
    /// ([`Peer::prepare_to_client`]), in arrival order.
    pub client_replies: Vec<ClientReply>,
    /// The address the client announced (`ConnectionNewAddress`), if it did.
    pub announced: Option<String>,
    /// Where Prepares to the client go (default: the IL-DCP address, [`CLIENT_ADDRESS`]).
    pub to_client_destination: Option<String>,
    /// Prepares sent to the client awaiting its answer, by BTP request id.
    to_client: HashMap<u32, (u64, [u8; 32])>,
    next_to_client: u32,
    next_sequence: u64,
}

/// How the client answered a Prepare the receiver sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientReply {
    /// The BTP request id of the Prepare.
    pub request_id: u32,
    /// The Prepare's STREAM sequence.
    pub sequence: u64,
    /// Fulfilled with the right fulfillment (`None`: rejected).
    pub fulfilled: bool,
    /// The Reject's code, if rejected.
    pub code: Option<ErrorCode>,
    /// Whether the reply carried an authentic STREAM packet of the right
    /// type and sequence.
    pub authentic: bool,
    /// Its `StreamMaxData` for stream 1.
    pub max_data: Option<u64>,
    /// Its `ConnectionMaxData`.
    pub connection_max_data: Option<u64>,
    /// Its `StreamMaxMoney` for stream 1: `(receive_max, total_received)`.
    pub max_money: Option<(u64, u64)>,
    /// Its `ConnectionClose` code.
    pub close: Option<StreamErrorCode>,
}

impl Peer {
    /// A peer with `config`; `seed` drives its nonces.
    pub fn new(config: PeerConfig, seed: u64) -> Self {
        Self {
            config,
            keys: Keys::new(&SECRET),
            rng: SplitMix64(seed ^ 0x005e_ed0f_9ee2),
            authenticated: false,
            seen_requests: HashSet::new(),
            in_flight: Vec::new(),
            throughput_bucket: None,
            rate_bucket: None,
            total_received: 0,
            fulfilled_source: 0,
            data: Vec::new(),
            log: Vec::new(),
            connection_closed: false,
            stream_closed: false,
            auth_attempts: 0,
            ildcp_requests: 0,
            data_conflicts: 0,
            client_window: None,
            client_replies: Vec::new(),
            announced: None,
            to_client_destination: None,
            to_client: HashMap::new(),
            next_to_client: 0x8000_0000,
            next_sequence: 1,
        }
    }

    /// A new socket: authenticate again.
    pub fn on_connect(&mut self) {
        self.authenticated = false;
        self.seen_requests.clear();
    }

    /// Handles one BTP message. Returns the replies and whether the peer
    /// closes the socket afterwards.
    pub fn handle(&mut self, bytes: &[u8], now: u64) -> (Vec<Reply>, bool) {
        let Ok(packet) = btp::Packet::from_bytes(bytes) else {
            return (Vec::new(), false);
        };
        let request_id = packet.request_id();
        if !self.authenticated {
            self.auth_attempts += 1;
            let first = packet.protocol_data().first().map(|e| e.name);
            let token = packet.protocol_data().get(btp::AUTH_TOKEN).map(|e| e.data);
            let ok = matches!(packet, btp::Packet::Message(_))
                && first == Some(btp::AUTH)
                && token == Some(self.config.token.as_bytes());
            if ok {
                self.authenticated = true;
                let response = btp::Packet::Response(btp::Response {
                    request_id,
                    protocol_data: Entries::EMPTY,
                });
                return (vec![reply(0, response.to_bytes(), None)], false);
            }
            return (vec![reply(0, btp_error(request_id, now), None)], true);
        }
        if let btp::Packet::Response(_) = packet {
            if let (Some(sent), Some(ilp)) = (self.to_client.remove(&request_id), packet.ilp()) {
                self.on_client_reply(request_id, sent, ilp);
            }
            return (Vec::new(), false);
        }
        let btp::Packet::Message(_) = packet else {
            return (Vec::new(), false);
        };
        // A connector refuses a request id already in flight; a duplicated
        // message on the link must not be paid twice.
        if !self.seen_requests.insert(request_id) {
            return (Vec::new(), false);
        }
        let Some(ilp_bytes) = packet.ilp() else {
            return (Vec::new(), false);
        };
        let (ilp_reply, fulfilled, immediate) = self.handle_ilp(ilp_bytes, now);
        let delay = if immediate { 0 } else { self.config.hold_ms };
        let bytes = btp::ilp_response(request_id, &ilp_reply);
        (vec![reply(delay, bytes, fulfilled)], false)
    }

    /// The ILP reply, the money a Fulfill settles, and whether it leaves at
    /// once (not held).
    fn handle_ilp(&mut self, bytes: &[u8], now: u64) -> (Vec<u8>, Option<(u64, u64)>, bool) {
        let Ok(ilp::Packet::Prepare(prepare)) = ilp::Packet::from_bytes(bytes) else {
            return (reject(ErrorCode::F01_INVALID_PACKET, b"", &[]), None, false);
        };
        // ilp-connector's rate limit comes first and counts every Prepare.
        if Bucket::get(&mut self.rate_bucket, self.config.rate_limit, now)
            .is_some_and(|bucket| !bucket.take(1, now))
        {
            if prepare.destination.as_str() == RECEIVER {
                self.log.push(Record {
                    at: now,
                    amount: prepare.amount,
                    sequence: None,
                    min_destination: None,
                    paying: false,
                    names_stream: false,
                    arrived: 0,
                    outcome: Outcome::Rejected(ErrorCode::T05_RATE_LIMITED),
                    message: messages::RATE_LIMIT,
                });
            }
            let message = messages::RATE_LIMIT.as_bytes();
            return (
                reject(ErrorCode::T05_RATE_LIMITED, message, &[]),
                None,
                true,
            );
        }
        self.forward(&prepare, now)
    }

    /// Everything after the rate limit: the ILP reply, the money a Fulfill
    /// settles, and whether the reply leaves at once.
    fn forward(&mut self, prepare: &Prepare<'_>, now: u64) -> (Vec<u8>, Option<(u64, u64)>, bool) {
        if ildcp::is_request(prepare) {
            self.ildcp_requests += 1;
            let data = ildcp::Response {
                client_address: Address::new(CLIENT_ADDRESS).unwrap(),
                asset_scale: 9,
                asset_code: "XRP",
            }
            .to_bytes();
            return (ildcp::Response::fulfill(&data).to_bytes(), None, false);
        }
        if prepare.expires_at.as_millis() <= now {
            return (
                reject(ErrorCode::R00_TRANSFER_TIMED_OUT, b"", &[]),
                None,
                false,
            );
        }
        if prepare.destination.as_str() != RECEIVER {
            return (reject(ErrorCode::F02_UNREACHABLE, b"", &[]), None, false);
        }
        let amount = prepare.amount;
        let mut record = Record {
            at: now,
            amount,
            sequence: None,
            min_destination: None,
            paying: false,
            names_stream: false,
            arrived: 0,
            outcome: Outcome::Rejected(ErrorCode::F99_APPLICATION_ERROR),
            message: "",
        };
        if let Some(refusal) = self.connector_refuses(amount, now) {
            let code = refusal.code;
            record.outcome = Outcome::Rejected(code);
            record.message = refusal.message;
            let data = if code == ErrorCode::F08_AMOUNT_TOO_LARGE && self.config.f08_data {
                AmountTooLarge {
                    received: amount,
                    maximum: self.config.max_packet.unwrap_or(0),
                }
                .to_bytes()
            } else {
                Vec::new()
            };
            self.log.push(record);
            let reply = reject(code, refusal.message.as_bytes(), &data);
            return (reply, None, refusal.immediate);
        }
        let (num, den) = self.config.rate;
        let arrived = u64::try_from(u128::from(amount) * u128::from(num) / u128::from(den.max(1)))
            .unwrap_or(u64::MAX);
        record.arrived = arrived;
        let (reply, fulfilled) = self.receive(prepare, arrived, &mut record);
        self.in_flight.push(InFlight {
            until: now + self.config.hold_ms,
            amount,
            fulfilled,
        });
        if fulfilled {
            self.fulfilled_source += amount;
            self.total_received += arrived;
        }
        let paying = record.paying;
        self.log.push(record);
        (
            reply,
            (fulfilled && paying).then_some((amount, arrived)),
            false,
        )
    }

    /// The connector's checks before forwarding, in ilp-connector's order
    /// (see [`PeerConfig`]).
    fn connector_refuses(&mut self, amount: u64, now: u64) -> Option<Refusal> {
        if self.config.max_packet.is_some_and(|max| amount > max) {
            return Some(Refusal::held(ErrorCode::F08_AMOUNT_TOO_LARGE));
        }
        if amount == 0 {
            return None;
        }
        if self.config.t05_next > 0 {
            self.config.t05_next -= 1;
            return Some(Refusal::held(ErrorCode::T05_RATE_LIMITED));
        }
        if self.config.t04_next > 0 {
            self.config.t04_next -= 1;
            return Some(Refusal::held(ErrorCode::T04_INSUFFICIENT_LIQUIDITY));
        }
        if Bucket::get(&mut self.throughput_bucket, self.config.throughput, now)
            .is_some_and(|bucket| !bucket.take(amount, now))
        {
            return Some(Refusal::bucket(
                ErrorCode::T04_INSUFFICIENT_LIQUIDITY,
                messages::THROUGHPUT,
            ));
        }
        self.in_flight.retain(|p| p.until > now);
        let in_flight: u64 = self.in_flight.iter().map(|p| p.amount).sum();
        // Fulfilled amounts are already in `fulfilled_source`.
        let unsettled: u64 = self
            .in_flight
            .iter()
            .filter(|p| !p.fulfilled)
            .map(|p| p.amount)
            .sum();
        let balance = self.fulfilled_source + unsettled;
        if self
            .config
            .balance_max
            .is_some_and(|max| balance.saturating_add(amount) > max)
        {
            return Some(Refusal::bucket(
                ErrorCode::T04_INSUFFICIENT_LIQUIDITY,
                messages::BALANCE,
            ));
        }
        if self
            .config
            .liquidity
            .is_some_and(|l| in_flight + amount > l)
            || self.config.credit.is_some_and(|c| balance + amount > c)
        {
            return Some(Refusal::held(ErrorCode::T04_INSUFFICIENT_LIQUIDITY));
        }
        None
    }

    /// The STREAM receiver, as `config.receiver` behaves. Returns the ILP
    /// reply and whether it fulfilled.
    fn receive(
        &mut self,
        prepare: &Prepare<'_>,
        arrived: u64,
        record: &mut Record,
    ) -> (Vec<u8>, bool) {
        let profile = self.config.receiver;
        let Ok(plaintext) = crypto::open(&self.keys, prepare.data) else {
            record.outcome = Outcome::Rejected(ErrorCode::F06_UNEXPECTED_PAYMENT);
            let message: &[u8] = if profile == ReceiverProfile::InterledgerRs {
                b"Could not decrypt data"
            } else {
                b""
            };
            return (
                reject(ErrorCode::F06_UNEXPECTED_PAYMENT, message, &[]),
                false,
            );
        };
        let Ok(packet) = ilp_stream_web::stream::Packet::from_bytes(&plaintext) else {
            record.outcome = Outcome::Rejected(ErrorCode::F06_UNEXPECTED_PAYMENT);
            return (reject(ErrorCode::F06_UNEXPECTED_PAYMENT, b"", &[]), false);
        };
        if packet.packet_type != IlpPacketType::Prepare {
            match profile {
                ReceiverProfile::Cumulative => {
                    record.outcome = Outcome::Rejected(ErrorCode::F06_UNEXPECTED_PAYMENT);
                    return (reject(ErrorCode::F06_UNEXPECTED_PAYMENT, b"", &[]), false);
                }
                ReceiverProfile::Stateless => {
                    record.outcome = Outcome::Rejected(ErrorCode::F00_BAD_REQUEST);
                    return (reject(ErrorCode::F00_BAD_REQUEST, b"", &[]), false);
                }
                // interledger-rs does not look at the type.
                ReceiverProfile::InterledgerRs => {}
            }
        }
        record.sequence = Some(packet.sequence);
        record.min_destination = Some(packet.prepare_amount);
        let mut announced_address = false;
        let mut client_closed = false;
        let mut data_frames = Vec::new();
        for frame in packet.frames() {
            match frame {
                Frame::StreamMoney { stream_id: 1, .. } => {
                    record.paying = true;
                    record.names_stream = true;
                }
                Frame::StreamData {
                    stream_id: 1,
                    offset,
                    data,
                } => data_frames.push((offset, data.to_vec())),
                Frame::ConnectionNewAddress { source_address } => {
                    announced_address = true;
                    self.announced = Some(source_address.to_owned());
                }
                Frame::ConnectionClose { .. } => {
                    self.connection_closed = true;
                    client_closed = true;
                }
                Frame::StreamClose { stream_id: 1, .. } => self.stream_closed = true,
                Frame::StreamMaxData {
                    stream_id: 1,
                    max_offset,
                } => self.client_window = Some(self.client_window.unwrap_or(0).max(max_offset)),
                _ => {}
            }
        }
        let fulfillment = crypto::fulfillment(&self.keys, prepare.data);
        let fulfillable = crypto::condition(&fulfillment) == prepare.execution_condition;
        // A rate probe names the stream too (so a receiver opens it early)
        // but carries a random condition: it can never pay.
        record.paying &= fulfillable;
        let meets_minimum = fulfillable && arrived >= packet.prepare_amount;
        let (code, scale) = (
            self.config.receiver_asset.0.clone(),
            self.config.receiver_asset.1,
        );
        let asset_details = Frame::ConnectionAssetDetails {
            asset_code: &code,
            asset_scale: scale,
        };
        let close = Frame::ConnectionClose {
            code: StreamErrorCode::NO_ERROR,
            message: b"",
        };
        // Whether a Stateless receiver declines for good (`close_at` reached;
        // zero amounts are fulfilled before its application is asked).
        let declined = profile == ReceiverProfile::Stateless
            && arrived > 0
            && self
                .config
                .close_at
                .is_some_and(|at| self.total_received >= at);
        let fulfill = match profile {
            ReceiverProfile::Cumulative => {
                let over_cap = record.paying
                    && self
                        .config
                        .receive_max
                        .is_some_and(|max| self.total_received + arrived > max);
                meets_minimum && !over_cap
            }
            ReceiverProfile::Stateless => !client_closed && meets_minimum && !declined,
            ReceiverProfile::InterledgerRs => meets_minimum,
        };
        if fulfill && profile == ReceiverProfile::Cumulative {
            for (offset, bytes) in data_frames {
                self.write_data(offset, &bytes);
            }
        }
        let total_after = self.total_received + if fulfill { arrived } else { 0 };
        let receipt = self
            .config
            .receipts
            .filter(|_| match profile {
                ReceiverProfile::Cumulative => fulfill && record.paying,
                ReceiverProfile::Stateless => fulfill && record.paying && arrived > 0,
                ReceiverProfile::InterledgerRs => false,
            })
            .map(|(nonce, secret)| Receipt::create(nonce, 1, total_after, &secret));
        let receipt_frame = receipt.as_ref().map(|receipt| Frame::StreamReceipt {
            stream_id: 1,
            receipt,
        });
        let mut frames = Vec::new();
        match profile {
            ReceiverProfile::Cumulative => {
                frames.extend([
                    Frame::ConnectionMaxData {
                        max_offset: DATA_WINDOW,
                    },
                    Frame::StreamMaxMoney {
                        stream_id: 1,
                        receive_max: self.config.receive_max.unwrap_or(u64::MAX),
                        total_received: total_after,
                    },
                    Frame::StreamMaxData {
                        stream_id: 1,
                        max_offset: DATA_WINDOW,
                    },
                ]);
                if announced_address {
                    frames.push(asset_details);
                }
                frames.extend(receipt_frame);
                if self.config.close_at.is_some_and(|at| total_after >= at) {
                    frames.push(Frame::ConnectionClose {
                        code: StreamErrorCode::NO_ERROR,
                        message: b"done",
                    });
                }
            }
            // The echo of a client's close carries nothing else.
            ReceiverProfile::Stateless if client_closed => frames.push(close),
            ReceiverProfile::Stateless => {
                if announced_address {
                    frames.push(asset_details);
                }
                if meets_minimum && declined {
                    frames.push(close);
                }
                frames.extend(receipt_frame);
            }
            ReceiverProfile::InterledgerRs => {
                for frame in packet.frames() {
                    match frame {
                        Frame::StreamMoney { stream_id, .. } => {
                            frames.push(Frame::StreamMaxMoney {
                                stream_id,
                                receive_max: u64::MAX,
                                total_received: 0,
                            });
                        }
                        Frame::ConnectionNewAddress { .. } => frames.push(asset_details),
                        _ => {}
                    }
                }
            }
        }
        let reply_type = if fulfill {
            IlpPacketType::Fulfill
        } else {
            IlpPacketType::Reject
        };
        let mut plain = Vec::new();
        OutgoingPacket {
            packet_type: reply_type,
            sequence: packet.sequence,
            prepare_amount: arrived,
            frames: &frames,
        }
        .encode(&mut plain);
        let mut sealed = Vec::new();
        let nonce = self.rng.bytes12();
        crypto::seal(&self.keys, nonce, &plain, &mut sealed).unwrap();
        if fulfill {
            record.outcome = Outcome::Fulfilled;
            let reply = Fulfill {
                fulfillment,
                data: &sealed,
            };
            (reply.to_bytes(), true)
        } else {
            (
                reject(ErrorCode::F99_APPLICATION_ERROR, b"", &sealed),
                false,
            )
        }
    }

    fn write_data(&mut self, offset: u64, bytes: &[u8]) {
        let start = usize::try_from(offset).unwrap();
        for (i, &b) in bytes.iter().enumerate() {
            let at = start + i;
            if at < self.data.len() {
                if self.data[at] != b {
                    self.data_conflicts += 1;
                }
            } else if at == self.data.len() {
                self.data.push(b);
            } else {
                // A gap: the sender skipped bytes.
                self.data_conflicts += 1;
                self.data.resize(at, 0);
                self.data.push(b);
            }
        }
    }

    /// A Prepare from the receiver to the client, as BTP bytes: `amount`,
    /// these STREAM `frames`, a fulfillable condition (or a random one).
    /// The client's answer lands in [`Peer::client_replies`].
    pub fn prepare_to_client(
        &mut self,
        amount: u64,
        frames: &[Frame<'_>],
        fulfillable: bool,
        now: u64,
    ) -> Vec<u8> {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let mut plain = Vec::new();
        OutgoingPacket {
            packet_type: IlpPacketType::Prepare,
            sequence,
            prepare_amount: 0,
            frames,
        }
        .encode(&mut plain);
        let mut sealed = Vec::new();
        crypto::seal(&self.keys, self.rng.bytes12(), &plain, &mut sealed).unwrap();
        let condition = if fulfillable {
            crypto::condition(&crypto::fulfillment(&self.keys, &sealed))
        } else {
            let mut c = [0; 32];
            c[..12].copy_from_slice(&self.rng.bytes12());
            c
        };
        let prepare = Prepare {
            amount,
            expires_at: Timestamp::from_millis_saturating(now + 30_000),
            execution_condition: condition,
            destination: Address::new(
                self.to_client_destination
                    .as_deref()
                    .unwrap_or(CLIENT_ADDRESS),
            )
            .unwrap(),
            data: &sealed,
        }
        .to_bytes();
        let request_id = self.next_to_client;
        self.next_to_client += 1;
        self.to_client.insert(request_id, (sequence, condition));
        btp::ilp_message(request_id, &prepare)
    }

    fn on_client_reply(&mut self, request_id: u32, sent: (u64, [u8; 32]), ilp_bytes: &[u8]) {
        let (sequence, condition) = sent;
        let (fulfilled, code, data) = match ilp::Packet::from_bytes(ilp_bytes) {
            Ok(ilp::Packet::Fulfill(f)) => (
                crypto::condition(&f.fulfillment) == condition,
                None,
                f.data.to_vec(),
            ),
            Ok(ilp::Packet::Reject(r)) => (false, Some(r.code), r.data.to_vec()),
            _ => (false, None, Vec::new()),
        };
        let mut reply = ClientReply {
            request_id,
            sequence,
            fulfilled,
            code,
            authentic: false,
            max_data: None,
            connection_max_data: None,
            max_money: None,
            close: None,
        };
        let expected = if fulfilled {
            IlpPacketType::Fulfill
        } else {
            IlpPacketType::Reject
        };
        let plain = crypto::open(&self.keys, &data).ok();
        if let Some(packet) = plain
            .as_deref()
            .and_then(|p| ilp_stream_web::stream::Packet::from_bytes(p).ok())
        {
            reply.authentic = packet.sequence == sequence && packet.packet_type == expected;
            for frame in packet.frames() {
                match frame {
                    Frame::StreamMaxData {
                        stream_id: 1,
                        max_offset,
                    } => reply.max_data = Some(max_offset),
                    Frame::ConnectionMaxData { max_offset } => {
                        reply.connection_max_data = Some(max_offset);
                    }
                    Frame::StreamMaxMoney {
                        stream_id: 1,
                        receive_max,
                        total_received,
                    } => reply.max_money = Some((receive_max, total_received)),
                    Frame::ConnectionClose { code, .. } => reply.close = Some(code),
                    _ => {}
                }
            }
        }
        self.client_replies.push(reply);
    }

    /// Paying Prepares the receiver saw, with their STREAM sequence.
    pub fn paying(&self) -> impl Iterator<Item = &Record> {
        self.log.iter().filter(|r| r.paying)
    }
}

fn reply(delay_ms: u64, bytes: Vec<u8>, fulfilled: Option<(u64, u64)>) -> Reply {
    Reply {
        delay_ms,
        bytes,
        fulfilled,
    }
}

fn reject(code: ErrorCode, message: &[u8], data: &[u8]) -> Vec<u8> {
    Reject {
        code,
        triggered_by: Some(Address::new(CONNECTOR).unwrap()),
        message,
        data,
    }
    .to_bytes()
}

fn btp_error(request_id: u32, now: u64) -> Vec<u8> {
    let mut text = String::new();
    btp::Packet::Error(BtpError {
        request_id,
        code: btp::ErrorCode::F00_NOT_ACCEPTED,
        name: "NotAcceptedError",
        triggered_at: GeneralizedTime::from_timestamp(
            Timestamp::from_millis_saturating(now),
            &mut text,
        ),
        data: b"{\"message\":\"invalid auth_token\"}",
        protocol_data: Entries::EMPTY,
    })
    .to_bytes()
}
