//! Reading what the receiver sends: the STREAM reply inside a Fulfill or
//! Reject, and Prepares the receiver sends us (answered, never paid).

use super::{Sender, SenderEvent, STREAM_ID};
use crate::codec::{Decode, Encode};
use crate::ilp::{self, ErrorCode, Prepare};
use crate::stream::crypto;
use crate::stream::packet::{IlpPacketType, OutgoingPacket, Packet as StreamPacket};
use crate::stream::{ErrorCode as CloseCode, Frame};

/// What an authentic STREAM reply said.
#[derive(Clone, Debug)]
pub(super) struct ReplyInfo {
    pub(super) delivered: u64,
    pub(super) receipt: Option<Vec<u8>>,
    /// The receiver closed the connection or our stream in this reply. It
    /// is acted on after the packet's money is accounted for.
    pub(super) closed: Option<(CloseCode, String)>,
    /// What the receiver says it has received on our stream in total.
    pub(super) receiver_total: Option<u64>,
}

impl Sender {
    /// A Prepare the receiver sent us (STREAM is bidirectional: a receiver
    /// that learnt our address probes the rate back and may send frames).
    /// This sender accepts no money, so the answer is always a Reject; for
    /// an authentic packet it carries an encrypted STREAM reply saying what
    /// arrived, as RFC 29 asks, and the packet's frames are taken in
    /// (notably `ConnectionClose`). Returns the encoded ILP Reject.
    pub fn handle_prepare(
        &mut self,
        prepare: &[u8],
        own_address: Option<&ilp::Address<'_>>,
    ) -> Vec<u8> {
        let reply = match ilp::Packet::from_bytes(prepare) {
            Ok(ilp::Packet::Prepare(p)) => self.answer_prepare(&p),
            _ => None,
        };
        let (code, data) = match reply {
            Some(data) => (ErrorCode::F99_APPLICATION_ERROR, data),
            None => (ErrorCode::F06_UNEXPECTED_PAYMENT, Vec::new()),
        };
        ilp::Packet::Reject(ilp::Reject {
            code,
            triggered_by: own_address.copied(),
            message: b"",
            data: &data,
        })
        .to_bytes()
    }

    fn answer_prepare(&mut self, prepare: &Prepare<'_>) -> Option<Vec<u8>> {
        let plaintext = crypto::open(&self.keys, prepare.data).ok()?;
        let packet = StreamPacket::from_bytes(&plaintext).ok()?;
        if packet.packet_type != IlpPacketType::Prepare {
            return None;
        }
        for frame in packet.frames() {
            if let Frame::ConnectionClose { code, message }
            | Frame::StreamClose {
                stream_id: STREAM_ID,
                code,
                message,
            } = frame
            {
                self.on_remote_close(code, crate::text::lossy(message));
            }
        }
        self.scratch.clear();
        OutgoingPacket {
            packet_type: IlpPacketType::Reject,
            sequence: packet.sequence,
            prepare_amount: prepare.amount,
            frames: &[],
        }
        .encode(&mut self.scratch);
        let mut data = Vec::with_capacity(self.scratch.len() + crypto::OVERHEAD);
        crypto::seal(&self.keys, self.rng.array(), &self.scratch, &mut data).ok()?;
        Some(data)
    }

    /// Decrypts and checks the STREAM reply inside a Fulfill or Reject and
    /// takes in its frames. `None` if it is absent or not authentic.
    pub(super) fn read_reply(
        &mut self,
        data: &[u8],
        sequence: u64,
        expected: IlpPacketType,
    ) -> Option<ReplyInfo> {
        if data.is_empty() {
            return None;
        }
        let plaintext = crypto::open(&self.keys, data).ok()?;
        let packet = StreamPacket::from_bytes(&plaintext).ok()?;
        if packet.packet_type != expected || packet.sequence != sequence {
            return None;
        }
        let mut receipt = None;
        let mut receiver_total = None;
        let mut closed = None;
        for frame in packet.frames() {
            match frame {
                Frame::ConnectionClose { code, message } => {
                    closed = Some((code, crate::text::lossy(message)));
                }
                Frame::StreamClose {
                    stream_id: STREAM_ID,
                    code,
                    message,
                } => {
                    closed = Some((code, crate::text::lossy(message)));
                }
                // Asset details never change within a connection: keep the first.
                Frame::ConnectionAssetDetails {
                    asset_code,
                    asset_scale,
                } if self.receiver_asset.is_none() => {
                    self.receiver_asset = Some((asset_code.to_owned(), asset_scale));
                }
                Frame::StreamMaxMoney {
                    stream_id: STREAM_ID,
                    receive_max,
                    total_received,
                } => {
                    receiver_total = Some(total_received);
                    // Windows only grow: frames may arrive out of order.
                    let (max, total) = self.receiver_limit.unwrap_or((0, 0));
                    self.receiver_limit = Some((max.max(receive_max), total.max(total_received)));
                }
                Frame::ConnectionMaxData { max_offset } => {
                    self.data_max_connection = self.data_max_connection.max(max_offset);
                }
                Frame::StreamMaxData {
                    stream_id: STREAM_ID,
                    max_offset,
                } => {
                    self.data_max_stream = self.data_max_stream.max(max_offset);
                }
                Frame::StreamReceipt {
                    stream_id: STREAM_ID,
                    receipt: r,
                } => receipt = Some(r.to_vec()),
                _ => {}
            }
        }
        if !self.connected {
            self.connected = true;
            self.events.push_back(SenderEvent::Connected {
                receiver_asset: self.receiver_asset.clone(),
            });
        }
        Some(ReplyInfo {
            delivered: packet.prepare_amount,
            receipt,
            closed,
            receiver_total,
        })
    }
}
