//! A fake connector with a STREAM receiver behind it, built only from this
//! crate's codecs. It plays the BTP server: it checks the auth message,
//! answers IL-DCP, applies an exchange rate and a max packet amount, can
//! refuse with T04/T05, and then receives STREAM packets with the shared
//! secret the way the JS receiver does (F99 + encrypted STREAM Reject for
//! probes and shortfalls, Fulfill + encrypted STREAM Fulfill otherwise).

use std::collections::HashSet;

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

/// How the peer behaves.
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
    /// (T04 for good once reached).
    pub credit: Option<u64>,
    /// Reject this many of the next paying packets with T04.
    pub t04_next: u32,
    /// Reject this many of the next paying packets with T05.
    pub t05_next: u32,
    /// How long the connector + receiver take to answer a Prepare.
    pub hold_ms: u64,
    /// The receiver's `receive_max` for stream 1 (destination units).
    pub receive_max: Option<u64>,
    /// Receipt nonce and secret, if the receiver issues RFC 39 receipts.
    pub receipts: Option<([u8; 16], [u8; 32])>,
    /// The receiver's asset code and scale.
    pub receiver_asset: (String, u8),
    /// Once the receiver has this much, it closes the connection
    /// (`ConnectionClose`, NoError) in the reply that crosses it.
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
            t04_next: 0,
            t05_next: 0,
            hold_ms: 0,
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
    /// Whether it carried a `StreamMoney` frame.
    pub paying: bool,
    /// Destination amount after the exchange rate (0 if the connector rejected).
    pub arrived: u64,
    /// What happened.
    pub outcome: Outcome,
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
    in_flight: Vec<(u64, u64)>,
    /// Destination units the receiver accepted in total.
    pub total_received: u64,
    /// Source units of fulfilled Prepares.
    pub fulfilled_source: u64,
    /// Stream 1 data, by offset.
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
            total_received: 0,
            fulfilled_source: 0,
            data: Vec::new(),
            log: Vec::new(),
            connection_closed: false,
            stream_closed: false,
            auth_attempts: 0,
            ildcp_requests: 0,
            data_conflicts: 0,
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
        let (ilp_reply, fulfilled) = self.handle_ilp(ilp_bytes, now);
        let hold = self.config.hold_ms;
        let bytes = btp::ilp_response(request_id, &ilp_reply);
        (vec![reply(hold, bytes, fulfilled)], false)
    }

    fn handle_ilp(&mut self, bytes: &[u8], now: u64) -> (Vec<u8>, Option<(u64, u64)>) {
        let Ok(ilp::Packet::Prepare(prepare)) = ilp::Packet::from_bytes(bytes) else {
            return (reject(ErrorCode::F01_INVALID_PACKET, b"", &[]), None);
        };
        if ildcp::is_request(&prepare) {
            self.ildcp_requests += 1;
            let data = ildcp::Response {
                client_address: Address::new(CLIENT_ADDRESS).unwrap(),
                asset_scale: 9,
                asset_code: "XRP",
            }
            .to_bytes();
            return (ildcp::Response::fulfill(&data).to_bytes(), None);
        }
        if prepare.expires_at.as_millis() <= now {
            return (reject(ErrorCode::R00_TRANSFER_TIMED_OUT, b"", &[]), None);
        }
        if prepare.destination.as_str() != RECEIVER {
            return (reject(ErrorCode::F02_UNREACHABLE, b"", &[]), None);
        }
        let amount = prepare.amount;
        let mut record = Record {
            at: now,
            amount,
            sequence: None,
            min_destination: None,
            paying: false,
            arrived: 0,
            outcome: Outcome::Rejected(ErrorCode::F99_APPLICATION_ERROR),
        };
        if let Some(code) = self.connector_refuses(amount, now) {
            record.outcome = Outcome::Rejected(code);
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
            return (reject(code, b"connector", &data), None);
        }
        let (num, den) = self.config.rate;
        let arrived = u64::try_from(u128::from(amount) * u128::from(num) / u128::from(den.max(1)))
            .unwrap_or(u64::MAX);
        record.arrived = arrived;
        self.in_flight.push((now + self.config.hold_ms, amount));
        let (reply, fulfilled) = self.receive(&prepare, arrived, &mut record);
        if fulfilled {
            self.fulfilled_source += amount;
            self.total_received += arrived;
        }
        let paying = record.paying;
        self.log.push(record);
        (reply, (fulfilled && paying).then_some((amount, arrived)))
    }

    /// The connector's checks before forwarding.
    fn connector_refuses(&mut self, amount: u64, now: u64) -> Option<ErrorCode> {
        if self.config.max_packet.is_some_and(|max| amount > max) {
            return Some(ErrorCode::F08_AMOUNT_TOO_LARGE);
        }
        if amount == 0 {
            return None;
        }
        if self.config.t05_next > 0 {
            self.config.t05_next -= 1;
            return Some(ErrorCode::T05_RATE_LIMITED);
        }
        if self.config.t04_next > 0 {
            self.config.t04_next -= 1;
            return Some(ErrorCode::T04_INSUFFICIENT_LIQUIDITY);
        }
        self.in_flight.retain(|&(until, _)| until > now);
        let in_flight: u64 = self.in_flight.iter().map(|&(_, a)| a).sum();
        if self
            .config
            .liquidity
            .is_some_and(|l| in_flight + amount > l)
            || self
                .config
                .credit
                .is_some_and(|c| self.fulfilled_source + in_flight + amount > c)
        {
            return Some(ErrorCode::T04_INSUFFICIENT_LIQUIDITY);
        }
        None
    }

    /// The STREAM receiver. Returns the ILP reply and whether it fulfilled.
    fn receive(
        &mut self,
        prepare: &Prepare<'_>,
        arrived: u64,
        record: &mut Record,
    ) -> (Vec<u8>, bool) {
        let Ok(plaintext) = crypto::open(&self.keys, prepare.data) else {
            record.outcome = Outcome::Rejected(ErrorCode::F06_UNEXPECTED_PAYMENT);
            return (reject(ErrorCode::F06_UNEXPECTED_PAYMENT, b"", &[]), false);
        };
        let Ok(packet) = ilp_stream_web::stream::Packet::from_bytes(&plaintext) else {
            record.outcome = Outcome::Rejected(ErrorCode::F06_UNEXPECTED_PAYMENT);
            return (reject(ErrorCode::F06_UNEXPECTED_PAYMENT, b"", &[]), false);
        };
        if packet.packet_type != IlpPacketType::Prepare {
            record.outcome = Outcome::Rejected(ErrorCode::F06_UNEXPECTED_PAYMENT);
            return (reject(ErrorCode::F06_UNEXPECTED_PAYMENT, b"", &[]), false);
        }
        record.sequence = Some(packet.sequence);
        record.min_destination = Some(packet.prepare_amount);
        let mut announced_address = false;
        let mut data_frames = Vec::new();
        for frame in packet.frames() {
            match frame {
                Frame::StreamMoney { stream_id: 1, .. } => record.paying = true,
                Frame::StreamData {
                    stream_id: 1,
                    offset,
                    data,
                } => data_frames.push((offset, data.to_vec())),
                Frame::ConnectionNewAddress { .. } => announced_address = true,
                Frame::ConnectionClose { .. } => self.connection_closed = true,
                Frame::StreamClose { stream_id: 1, .. } => self.stream_closed = true,
                _ => {}
            }
        }
        let fulfillment = crypto::fulfillment(&self.keys, prepare.data);
        let fulfillable = crypto::condition(&fulfillment) == prepare.execution_condition;
        let over_cap = record.paying
            && self
                .config
                .receive_max
                .is_some_and(|max| self.total_received + arrived > max);
        let fulfill = fulfillable && arrived >= packet.prepare_amount && !over_cap;
        if fulfill {
            for (offset, bytes) in data_frames {
                self.write_data(offset, &bytes);
            }
        }
        let total_after = self.total_received + if fulfill { arrived } else { 0 };
        let receipt = self
            .config
            .receipts
            .filter(|_| fulfill && record.paying)
            .map(|(nonce, secret)| Receipt::create(nonce, 1, total_after, &secret));
        let (code, scale) = (
            self.config.receiver_asset.0.clone(),
            self.config.receiver_asset.1,
        );
        let mut frames = vec![
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
        ];
        if announced_address {
            frames.push(Frame::ConnectionAssetDetails {
                asset_code: &code,
                asset_scale: scale,
            });
        }
        if let Some(receipt) = &receipt {
            frames.push(Frame::StreamReceipt {
                stream_id: 1,
                receipt,
            });
        }
        if self.config.close_at.is_some_and(|at| total_after >= at) {
            frames.push(Frame::ConnectionClose {
                code: StreamErrorCode::NO_ERROR,
                message: b"done",
            });
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
