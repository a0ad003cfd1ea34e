//! Prepares the receiver sends us (STREAM is bidirectional) and the data
//! they carry.
//!
//! RFC 29: a Fulfill or Reject acknowledges every frame of the Prepare it
//! answers, and an authentic Prepare is answered with an encrypted STREAM
//! reply. So:
//!
//! - A Prepare that does not decrypt is refused with F06 and no data.
//! - One that carries money (amount > 0) is refused with F99: this
//!   connection receives no money. Its reply says so (`StreamMaxMoney` of
//!   0 for our stream), and its data is not taken (the peer re-sends it, the
//!   RFC's NACK).
//! - One with no money, whose condition is ours (a fulfillable packet, as
//!   ilp-protocol-stream sends data in), is fulfilled: that is how the peer
//!   learns its data arrived. Its `StreamData` for our stream goes into the
//!   [`Incoming`](crate::stream::connection::Incoming) buffer, in order and
//!   exactly once.
//! - Anything else authentic (a probe, a close notice) gets F99.
//!
//! Every STREAM reply carries our receive window (`ConnectionMaxData`,
//! `StreamMaxData`). Data beyond it is a flow-control error: the packet is
//! refused and the connection closed with `FlowControlError`. A peer's
//! `ConnectionClose` or `StreamClose` for our stream is honoured after its
//! data is taken.

use super::{Sender, SenderError, SenderEvent, STREAM_ID};
use crate::codec::{Decode, Encode};
use crate::ilp::{self, ErrorCode, Prepare};
use crate::stream::crypto;
use crate::stream::packet::{IlpPacketType, OutgoingPacket, Packet as StreamPacket};
use crate::stream::{ErrorCode as CloseCode, Frame};

/// How we answer an authentic Prepare.
enum Answer {
    /// Fulfill with this fulfillment and sealed STREAM reply.
    Fulfill([u8; 32], Vec<u8>),
    /// F99 with this sealed STREAM reply.
    Reject(Vec<u8>),
}

impl Sender {
    /// A Prepare the receiver sent us, as encoded ILP. Returns the encoded
    /// ILP Fulfill or Reject to send back: F06 if it is not ours, F99 (with
    /// a STREAM reply saying we take no money) if it carries money or
    /// cannot be fulfilled, a Fulfill for a 0-amount packet of ours, whose
    /// data is taken in. Every STREAM reply carries our receive window;
    /// data beyond it closes the connection (`FlowControlError`).
    /// Data it carries becomes readable with [`Sender::read_data`]
    /// ([`SenderEvent::DataReadable`] says when).
    pub fn handle_prepare(
        &mut self,
        prepare: &[u8],
        own_address: Option<&ilp::Address<'_>>,
    ) -> Vec<u8> {
        let answer = match ilp::Packet::from_bytes(prepare) {
            Ok(ilp::Packet::Prepare(p)) => self.answer_prepare(&p),
            _ => None,
        };
        match answer {
            Some(Answer::Fulfill(fulfillment, data)) => ilp::Packet::Fulfill(ilp::Fulfill {
                fulfillment,
                data: &data,
            })
            .to_bytes(),
            Some(Answer::Reject(data)) => {
                reject(ErrorCode::F99_APPLICATION_ERROR, own_address, &data)
            }
            None => reject(ErrorCode::F06_UNEXPECTED_PAYMENT, own_address, &[]),
        }
    }

    fn answer_prepare(&mut self, prepare: &Prepare<'_>) -> Option<Answer> {
        let plaintext = crypto::open(&self.keys, prepare.data).ok()?;
        let packet = StreamPacket::from_bytes(&plaintext).ok()?;
        if packet.packet_type != IlpPacketType::Prepare {
            return None;
        }
        let fulfillment = crypto::fulfillment(&self.keys, prepare.data);
        let fulfillable = prepare.amount == 0
            && packet.prepare_amount == 0
            && crypto::condition(&fulfillment) == prepare.execution_condition;
        let mut closed = None;
        let mut flow_error = None;
        let mut newly_readable = 0usize;
        for frame in packet.frames() {
            match frame {
                Frame::StreamData {
                    stream_id: STREAM_ID,
                    offset,
                    data,
                } if fulfillable && flow_error.is_none() => {
                    match self.incoming.receive(offset, data) {
                        Ok(n) => newly_readable = newly_readable.saturating_add(n),
                        Err(e) => flow_error = Some(e),
                    }
                }
                // The peer's window for what we send.
                Frame::ConnectionMaxData { max_offset } => {
                    self.data_max_connection = self.data_max_connection.max(max_offset);
                }
                Frame::StreamMaxData {
                    stream_id: STREAM_ID,
                    max_offset,
                } => self.data_max_stream = self.data_max_stream.max(max_offset),
                Frame::ConnectionClose { code, message }
                | Frame::StreamClose {
                    stream_id: STREAM_ID,
                    code,
                    message,
                } => closed = Some((code, crate::text::lossy(message))),
                // Data on other streams is dropped (RFC 29: unknown stream).
                _ => {}
            }
        }
        if newly_readable > 0 {
            self.events.push_back(SenderEvent::DataReadable {
                readable: self.incoming.readable(),
            });
        }
        let limit = self.incoming.advertise();
        let mut frames = vec![
            Frame::ConnectionMaxData { max_offset: limit },
            Frame::StreamMaxMoney {
                stream_id: STREAM_ID,
                receive_max: 0,
                total_received: 0,
            },
            Frame::StreamMaxData {
                stream_id: STREAM_ID,
                max_offset: limit,
            },
        ];
        if flow_error.is_some() {
            frames.push(Frame::ConnectionClose {
                code: CloseCode::FLOW_CONTROL_ERROR,
                message: b"data beyond the advertised window",
            });
        }
        let fulfill = fulfillable && flow_error.is_none();
        self.scratch.clear();
        OutgoingPacket {
            packet_type: if fulfill {
                IlpPacketType::Fulfill
            } else {
                IlpPacketType::Reject
            },
            sequence: packet.sequence,
            prepare_amount: prepare.amount,
            frames: &frames,
        }
        .encode(&mut self.scratch);
        let mut data = Vec::with_capacity(self.scratch.len() + crypto::OVERHEAD);
        crypto::seal(&self.keys, self.rng.array(), &self.scratch, &mut data).ok()?;
        if let Some(e) = flow_error {
            self.fail(SenderError::FlowControl {
                end: e.end,
                limit: e.limit,
            });
        } else if let Some((code, message)) = closed {
            self.on_remote_close(code, message);
        }
        Some(if fulfill {
            Answer::Fulfill(fulfillment, data)
        } else {
            Answer::Reject(data)
        })
    }

    /// Copies data the peer sent on our stream into `out`, in order, and
    /// consumes it; returns how many bytes. Reading re-opens the receive
    /// window by as much (the peer is told in the next packet, or in a
    /// window update once half a window is free).
    pub fn read_data(&mut self, out: &mut [u8]) -> usize {
        self.incoming.read(out)
    }

    /// Bytes the peer sent that can be read now, in order.
    pub fn data_readable(&self) -> usize {
        self.incoming.readable()
    }

    /// Bytes of the peer's data read so far.
    pub const fn data_read(&self) -> u64 {
        self.incoming.read_offset()
    }
}

fn reject(code: ErrorCode, own_address: Option<&ilp::Address<'_>>, data: &[u8]) -> Vec<u8> {
    ilp::Packet::Reject(ilp::Reject {
        code,
        triggered_by: own_address.copied(),
        message: b"",
        data,
    })
    .to_bytes()
}
