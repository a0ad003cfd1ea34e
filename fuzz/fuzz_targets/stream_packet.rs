#![no_main]
use ilp_stream_web::codec::{Decode, Encode};
use ilp_stream_web::stream::{Frame, OutgoingPacket, Packet};
use ilp_stream_web_fuzz::round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((packet, bytes)) = round_trip!(Packet<'_>, data) else {
        return;
    };
    // Every frame round-trips alone, and re-encoding the frame list as an
    // OutgoingPacket gives the packet's own encoding.
    let frames: Vec<Frame<'_>> = packet.frames().collect();
    assert_eq!(frames.len(), packet.frame_count());
    for frame in &frames {
        round_trip!(Frame<'_>, &frame.to_bytes()).expect("a frame's encoding decodes");
    }
    let outgoing = OutgoingPacket {
        packet_type: packet.packet_type,
        sequence: packet.sequence,
        prepare_amount: packet.prepare_amount,
        frames: &frames,
    };
    assert_eq!(Packet::from_bytes(&outgoing.to_bytes()), Ok(packet));
    assert_eq!(outgoing.encoded_len(), bytes.len());
});
