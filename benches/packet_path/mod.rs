//! The sender's work per STREAM packet, shared by the native benchmark
//! (`examples/packet_bench.rs`) and the browser one (`tests/bench_web.rs`),
//! which include this file with `#[path]`. It is not part of the library, so
//! nothing here reaches the production wasm.
//!
//! One [`Fixture::packet`] call does what the sender does for every packet:
//!
//! 1. encode a STREAM Prepare packet with one `StreamMoney` frame;
//! 2. seal it with AES-256-GCM under a fresh nonce from the crate's DRBG;
//! 3. derive the fulfillment (HMAC-SHA256) and the condition (SHA-256);
//! 4. encode the ILP Prepare;
//! 5. decode the ILP Fulfill that answers it, check SHA-256(fulfillment)
//!    against the condition, open the STREAM reply and parse its frames.
//!
//! The reply is built once, outside the timed loop, as a JS receiver would
//! send it (ConnectionMaxData, StreamMaxMoney, StreamReceipt). Because each
//! Prepare has a fresh nonce, its condition differs from the one the fixed
//! reply fulfills; the check in step 5 therefore compares against the
//! condition of the Prepare the reply was built for, which is the same work
//! (one SHA-256 and a 32-byte comparison).

use ilp_stream_web::codec::{Decode, Encode};
use ilp_stream_web::ilp::{self, Address, Fulfill, Prepare, Timestamp};
use ilp_stream_web::rand::Rng;
use ilp_stream_web::receipt::Receipt;
use ilp_stream_web::stream::crypto::{self, Keys};
use ilp_stream_web::stream::{Frame, IlpPacketType, OutgoingPacket, Packet};

/// The receiver's ILP address.
pub(crate) const DESTINATION: &str = "test.connector.receiver.abc";
/// Source units per packet.
pub(crate) const AMOUNT: u64 = 1_000;
/// How long a Prepare lives.
pub(crate) const EXPIRY_MS: u64 = 30_000;
/// The shared secret (SPSP would hand it out).
pub(crate) const SHARED_SECRET: [u8; 32] = [0x5e; 32];
/// The smallest ILP Prepare this path writes: envelope, fixed fields, the
/// address and the sealed one-frame STREAM packet.
const MIN_PREPARE_LEN: u64 = 1 + 2 + 8 + 17 + 32 + (1 + 27) + (1 + 28 + 14);
/// 2021-01-01T00:00:00Z, the benchmark's "now".
pub(crate) const START_MS: u64 = 1_609_459_200_000;

/// Keys, generator, buffers and the fixed reply; reused across packets as
/// the real sender reuses its connection state.
pub(crate) struct Fixture {
    keys: Keys,
    rng: Rng,
    destination: Address<'static>,
    /// The ILP Fulfill bytes answering every Prepare.
    reply: Vec<u8>,
    /// The condition the fixed reply's fulfillment must hash to.
    reply_condition: [u8; 32],
    plaintext: Vec<u8>,
    sealed: Vec<u8>,
    prepare: Vec<u8>,
    opened: Vec<u8>,
}

/// What a run did, so the caller can check it and nothing is optimised away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Packets sent and fulfilled.
    pub(crate) packets: u64,
    /// ILP Prepare bytes written.
    pub(crate) prepare_bytes: u64,
    /// Frames parsed from replies.
    pub(crate) reply_frames: u64,
    /// Sum of `StreamMaxMoney.total_received` seen (a value from the reply).
    pub(crate) total_received: u64,
}

impl Totals {
    /// Checks that `iterations` packets all went through with the expected
    /// reply: three frames each and the receiver's `total_received`.
    pub(crate) fn check(&self, iterations: u64) -> Result<(), String> {
        let expected = Self {
            packets: iterations,
            prepare_bytes: self.prepare_bytes,
            reply_frames: 3 * iterations,
            total_received: AMOUNT.wrapping_mul(iterations),
        };
        if *self != expected || self.prepare_bytes < iterations * MIN_PREPARE_LEN {
            return Err(format!(
                "unexpected totals {self:?} for {iterations} packets"
            ));
        }
        Ok(())
    }
}

impl Fixture {
    /// Derives the keys and builds the fixed reply.
    pub(crate) fn new() -> Result<Self, &'static str> {
        let keys = Keys::new(&SHARED_SECRET);
        let destination = Address::new(DESTINATION).map_err(|_| "destination")?;
        let mut rng = Rng::from_seed([0x11; 32]);
        let (reply, reply_condition) = build_reply(&keys, &mut rng)?;
        Ok(Self {
            keys,
            rng,
            destination,
            reply,
            reply_condition,
            plaintext: Vec::with_capacity(64),
            sealed: Vec::with_capacity(128),
            prepare: Vec::with_capacity(256),
            opened: Vec::with_capacity(256),
        })
    }

    /// One packet's sender work (see the module docs), adding to `totals`.
    pub(crate) fn packet(
        &mut self,
        sequence: u64,
        totals: &mut Totals,
    ) -> Result<(), &'static str> {
        // Build and seal the STREAM Prepare packet.
        let frames = [Frame::StreamMoney {
            stream_id: 1,
            shares: 1,
        }];
        let stream = OutgoingPacket {
            packet_type: IlpPacketType::Prepare,
            sequence,
            prepare_amount: 0,
            frames: &frames,
        };
        self.plaintext.clear();
        stream.encode(&mut self.plaintext);
        self.sealed.clear();
        let nonce = self.rng.array();
        crypto::seal(&self.keys, nonce, &self.plaintext, &mut self.sealed).map_err(|_| "seal")?;
        let fulfillment = crypto::fulfillment(&self.keys, &self.sealed);
        let condition = crypto::condition(&fulfillment);

        // The ILP Prepare.
        let now = Timestamp::from_millis(START_MS.saturating_add(sequence)).ok_or("now")?;
        let prepare = Prepare {
            amount: AMOUNT,
            expires_at: now.saturating_add_millis(EXPIRY_MS),
            execution_condition: condition,
            destination: self.destination,
            data: &self.sealed,
        };
        self.prepare.clear();
        prepare.encode(&mut self.prepare);
        totals.prepare_bytes += self.prepare.len() as u64;

        // The reply.
        let ilp::Packet::Fulfill(fulfill) =
            ilp::Packet::from_bytes(&self.reply).map_err(|_| "reply decode")?
        else {
            return Err("reply is not a Fulfill");
        };
        if crypto::condition(&fulfill.fulfillment) != self.reply_condition {
            return Err("fulfillment does not match the condition");
        }
        crypto::open_into(&self.keys, fulfill.data, &mut self.opened).map_err(|_| "open")?;
        let reply = Packet::from_bytes(&self.opened).map_err(|_| "reply stream decode")?;
        if reply.packet_type != IlpPacketType::Fulfill {
            return Err("reply STREAM packet is not a Fulfill");
        }
        for frame in reply.frames() {
            totals.reply_frames += 1;
            if let Frame::StreamMaxMoney { total_received, .. } = frame {
                totals.total_received = totals.total_received.wrapping_add(total_received);
            }
        }
        totals.packets += 1;
        Ok(())
    }

    /// `iterations` packets with sequence numbers from `first`.
    pub(crate) fn run(&mut self, first: u64, iterations: u64) -> Result<Totals, &'static str> {
        let mut totals = Totals::default();
        for sequence in first..first.saturating_add(iterations) {
            self.packet(sequence, &mut totals)?;
        }
        Ok(totals)
    }
}

/// The ILP Fulfill a JS receiver sends for sequence 1, and the condition of
/// the Prepare it answers.
fn build_reply(keys: &Keys, rng: &mut Rng) -> Result<(Vec<u8>, [u8; 32]), &'static str> {
    // The Prepare data the reply is for (any sealed STREAM Prepare will do).
    let mut prepare_data = Vec::new();
    crypto::seal(
        keys,
        rng.array(),
        &[1, 12, 1, 1, 1, 0, 1, 0],
        &mut prepare_data,
    )
    .map_err(|_| "seal")?;
    let fulfillment = crypto::fulfillment(keys, &prepare_data);
    let receipt = Receipt::create([7; 16], 1, AMOUNT, &[0x33; 32]);
    let frames = [
        Frame::ConnectionMaxData { max_offset: 65_534 },
        Frame::StreamMaxMoney {
            stream_id: 1,
            receive_max: u64::MAX,
            total_received: AMOUNT,
        },
        Frame::StreamReceipt {
            stream_id: 1,
            receipt: &receipt,
        },
    ];
    let stream = OutgoingPacket {
        packet_type: IlpPacketType::Fulfill,
        sequence: 1,
        prepare_amount: AMOUNT,
        frames: &frames,
    };
    let mut data = Vec::new();
    crypto::seal(keys, rng.array(), &stream.to_bytes(), &mut data).map_err(|_| "seal")?;
    let fulfill = Fulfill {
        fulfillment,
        data: &data,
    };
    Ok((fulfill.to_bytes(), crypto::condition(&fulfillment)))
}
