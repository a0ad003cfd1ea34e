//! Reading the STREAM reply inside a Fulfill or Reject. (Prepares the
//! receiver sends us are answered in `prepare.rs`.)

use super::{Sender, SenderEvent, STREAM_ID};
use crate::codec::Decode;
use crate::stream::crypto;
use crate::stream::packet::{IlpPacketType, Packet as StreamPacket};
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
