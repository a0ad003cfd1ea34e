//! The invariant of a decoded STREAM packet, checked by the `stream_packet`
//! and `stream_open` fuzz targets. `tests/robustness_stream.rs` includes this
//! file with `#[path]`, so `cargo test` asserts exactly the same thing on its
//! random inputs and regression cases.
//!
//! The decoder accepts only canonical encodings, with one exception that
//! RFC 29 requires: `StreamMaxMoney.receiveMax` and `StreamMoneyBlocked.sendMax`
//! may be longer than 8 bytes and then read as `u64::MAX`, which encodes in
//! 8. Such a frame cannot re-encode to its own bytes. For an input that
//! decodes to a packet `P`, with `E` the encoding of `P`'s header and frames
//! as an [`OutgoingPacket`], what holds is:
//!
//! 1. `P`'s own encoding (canonical header, frame bytes as received) is the
//!    input without its junk, and it decodes to `P`.
//! 2. Every frame encodes to `encoded_len()` bytes that decode to it.
//! 3. `E` decodes to the same header and the same frame values as `P`.
//! 4. `E` is canonical: decoding and re-encoding it (as a `Packet`, or its
//!    frames as an `OutgoingPacket`) gives `E` again.
//! 5. A frame re-encodes to its own bytes exactly when none of its fields
//!    saturated; a saturated field reads as `u64::MAX` and its frame
//!    re-encodes shorter. So `E` is `P`'s own encoding exactly when nothing
//!    saturated.

use ilp_stream_web::codec::{Decode, Encode, Reader};
use ilp_stream_web::stream::{Frame, FrameType, OutgoingPacket, Packet};

/// What [`check_stream_packet`] found in a packet that decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketSummary {
    /// Number of frames.
    pub frames: usize,
    /// Number of frames with a saturated field (at most one each).
    pub saturated: usize,
}

/// Decodes `data` as a plaintext STREAM packet and, if it decodes, asserts
/// the invariant in the module documentation. Panics on a violation (that is
/// the point); returns `None` for input the decoder rejects.
pub fn check_stream_packet(data: &[u8]) -> Option<PacketSummary> {
    let packet = Packet::from_bytes(data).ok()?;

    // 1. The packet's own encoding is the input minus junk.
    let own = packet.to_bytes();
    assert_eq!(
        own.len(),
        packet.encoded_len(),
        "Packet::encoded_len is exact"
    );
    assert!(
        data.starts_with(&own),
        "own encoding is the input without junk"
    );
    assert_eq!(
        Packet::from_bytes(&own),
        Ok(packet),
        "own encoding decodes to P"
    );

    // 2. Frames, each alone.
    let frames: Vec<Frame<'_>> = packet.frames().collect();
    assert_eq!(frames.len(), packet.frame_count());
    for frame in &frames {
        let bytes = frame.to_bytes();
        assert_eq!(
            bytes.len(),
            frame.encoded_len(),
            "Frame::encoded_len is exact"
        );
        assert_eq!(Frame::from_bytes(&bytes), Ok(*frame), "a frame round-trips");
    }

    // 3. The canonical re-encoding has the same values.
    let outgoing = OutgoingPacket {
        packet_type: packet.packet_type,
        sequence: packet.sequence,
        prepare_amount: packet.prepare_amount,
        frames: &frames,
    };
    let canonical = outgoing.to_bytes();
    assert_eq!(
        canonical.len(),
        outgoing.encoded_len(),
        "OutgoingPacket::encoded_len is exact"
    );
    let again = match Packet::from_bytes(&canonical) {
        Ok(again) => again,
        Err(err) => panic!("the re-encoding decodes: {err:?}"),
    };
    assert_eq!(
        (again.packet_type, again.sequence, again.prepare_amount),
        (packet.packet_type, packet.sequence, packet.prepare_amount),
        "same header"
    );
    let again_frames: Vec<Frame<'_>> = again.frames().collect();
    assert_eq!(again_frames, frames, "same frame values");

    // 4. The re-encoding is a fixed point.
    assert_eq!(again.to_bytes(), canonical, "encode(decode(E)) == E");
    let twice = OutgoingPacket {
        frames: &again_frames,
        ..outgoing
    };
    assert_eq!(twice.to_bytes(), canonical, "E re-encodes to E");

    // 5. Frame by frame: own bytes unless a field saturated.
    let frame_bytes = packet.frame_bytes();
    let mut reader = Reader::new(frame_bytes);
    let mut saturated = 0;
    for frame in &frames {
        let start = frame_bytes.len() - reader.remaining();
        assert_eq!(
            Frame::decode(&mut reader),
            Ok(*frame),
            "frames are contiguous"
        );
        let end = frame_bytes.len() - reader.remaining();
        let Some(raw) = frame_bytes.get(start..end) else {
            panic!("frame {start}..{end} is inside the frame bytes");
        };
        let encoded = frame.to_bytes();
        if has_saturated_field(raw) {
            saturated += 1;
            assert!(
                matches!(
                    frame,
                    Frame::StreamMaxMoney {
                        receive_max: u64::MAX,
                        ..
                    } | Frame::StreamMoneyBlocked {
                        send_max: u64::MAX,
                        ..
                    }
                ),
                "a saturated field reads as u64::MAX: {frame:?}"
            );
            assert!(
                encoded.len() < raw.len(),
                "a saturated frame re-encodes shorter"
            );
        } else {
            assert_eq!(
                encoded, raw,
                "an unsaturated frame re-encodes to its own bytes"
            );
        }
    }
    assert!(reader.is_empty(), "the frames cover the frame bytes");
    assert_eq!(
        canonical == own,
        saturated == 0,
        "E == own encoding iff nothing saturated"
    );

    Some(PacketSummary {
        frames: frames.len(),
        saturated,
    })
}

/// Whether `raw`, one encoded frame, is a `StreamMaxMoney` or
/// `StreamMoneyBlocked` whose `receiveMax` / `sendMax` has more than 8
/// magnitude bytes. Reads the bytes by hand, not through the frame decoder.
fn has_saturated_field(raw: &[u8]) -> bool {
    let mut r = Reader::new(raw);
    let Ok(frame_type) = r.u8("frame type") else {
        return false;
    };
    if frame_type != FrameType::STREAM_MAX_MONEY.0
        && frame_type != FrameType::STREAM_MONEY_BLOCKED.0
    {
        return false;
    }
    let Ok(mut contents) = r.var_octet_reader("frame contents") else {
        return false;
    };
    contents.var_uint("stream id").is_ok()
        && contents
            .var_octet_string("receive max / send max")
            .is_ok_and(|magnitude| magnitude.len() > 8)
}
