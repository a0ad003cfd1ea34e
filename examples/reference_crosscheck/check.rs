//! Decoding the reference's packets with our codecs: every field is compared
//! with the reference's `fields`, and the value is rebuilt and re-encoded
//! and must give the reference's bytes exactly.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use ilp_stream_web::btp::{self, BtpError, Entries, ProtocolData};
use ilp_stream_web::codec::{Decode, DecodeError, Encode};
use ilp_stream_web::ildcp;
use ilp_stream_web::ilp::{AmountTooLarge, Fulfill, GeneralizedTime, Prepare, Reject};
use ilp_stream_web::receipt::Receipt;
use ilp_stream_web::stream::{self, Frame, Keys, OutgoingPacket, STREAM_VERSION};

use crate::util::{compare, dec, hex32_field, hex_field, hexv, obj, same_bytes, text, u64_field};

/// Differences found in one case.
pub(crate) type Diffs = Vec<String>;

fn decode_err(what: &'static str) -> impl Fn(DecodeError) -> String {
    move |e| format!("our {what} decoder refused it: {e}")
}

/// Checks one reference case; returns the differences (empty = pass).
pub(crate) fn case(keys: &Keys, kind: &str, bytes: &[u8], fields: &Value) -> Diffs {
    let mut d = Diffs::new();
    let result = match kind {
        "ilp-prepare" => ilp_prepare(bytes, fields, &mut d),
        "ilp-fulfill" => ilp_fulfill(bytes, fields, &mut d),
        "ilp-reject" => ilp_reject(bytes, fields, &mut d),
        "ildcp-request" => ildcp_request(bytes, fields, &mut d),
        "ildcp-response" => ildcp_response(bytes, fields, &mut d),
        "btp-message" | "btp-response" | "btp-error" | "btp-transfer" => {
            btp_packet(kind, bytes, fields, &mut d)
        }
        "stream-keys" => stream_keys(keys, fields, &mut d),
        "stream-packet" => {
            stream_plaintext(bytes, &mut d).map(|ours| compare("", &ours, fields, &mut d))
        }
        "stream-encrypted" => stream_encrypted(keys, bytes, fields, &mut d),
        "stream-ilp-prepare" => stream_ilp_prepare(keys, bytes, fields, &mut d),
        "stream-receipt" => stream_receipt(bytes, fields, &mut d),
        other => Err(format!("unknown kind {other:?}")),
    };
    if let Err(e) = result {
        d.push(e);
    }
    d
}

fn prepare_fields(p: &Prepare<'_>) -> Value {
    obj([
        ("amount", dec(p.amount)),
        ("expiresAt", Value::from(p.expires_at.as_millis())),
        ("executionCondition", hexv(&p.execution_condition)),
        ("destination", Value::from(p.destination.as_str())),
        ("data", hexv(p.data)),
    ])
}

fn ilp_prepare(bytes: &[u8], fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let p = Prepare::from_bytes(bytes).map_err(decode_err("ILP Prepare"))?;
    compare("", &prepare_fields(&p), fields, d);
    same_bytes("re-encoded ILP Prepare", &p.to_bytes(), bytes, d);
    Ok(())
}

fn ilp_fulfill(bytes: &[u8], fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let f = Fulfill::from_bytes(bytes).map_err(decode_err("ILP Fulfill"))?;
    let ours = obj([
        ("fulfillment", hexv(&f.fulfillment)),
        ("data", hexv(f.data)),
    ]);
    compare("", &ours, fields, d);
    same_bytes("re-encoded ILP Fulfill", &f.to_bytes(), bytes, d);
    Ok(())
}

fn ilp_reject(bytes: &[u8], fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let r = Reject::from_bytes(bytes).map_err(decode_err("ILP Reject"))?;
    let mut ours = obj([
        ("code", text(&r.code.0)),
        (
            "triggeredBy",
            Value::from(r.triggered_by.map_or("", |a| a.as_str())),
        ),
        ("message", text(r.message)),
        ("data", hexv(r.data)),
    ]);
    if fields.get("receivedAmount").is_some() {
        let f08 = AmountTooLarge::from_data(r.data).map_err(decode_err("F08 data"))?;
        if let Some(o) = ours.as_object_mut() {
            o.insert("receivedAmount".into(), dec(f08.received));
            o.insert("maximumAmount".into(), dec(f08.maximum));
        }
        same_bytes("re-encoded F08 data", &f08.to_bytes(), r.data, d);
    }
    compare("", &ours, fields, d);
    same_bytes("re-encoded ILP Reject", &r.to_bytes(), bytes, d);
    Ok(())
}

fn ildcp_request(bytes: &[u8], fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let p = Prepare::from_bytes(bytes).map_err(decode_err("ILP Prepare"))?;
    if !ildcp::is_request(&p) {
        d.push("ildcp::is_request is false".into());
    }
    compare("", &prepare_fields(&p), fields, d);
    let ours = ildcp::request(p.expires_at).to_bytes();
    same_bytes("ildcp::request(expiresAt)", &ours, bytes, d);
    Ok(())
}

fn ildcp_response(bytes: &[u8], fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let f = Fulfill::from_bytes(bytes).map_err(decode_err("ILP Fulfill"))?;
    let r = ildcp::Response::from_fulfill(&f).map_err(decode_err("IL-DCP response"))?;
    let ours = obj([
        ("clientAddress", Value::from(r.client_address.as_str())),
        ("assetScale", Value::from(r.asset_scale)),
        ("assetCode", Value::from(r.asset_code)),
    ]);
    compare("", &ours, fields, d);
    let data = r.to_bytes();
    same_bytes(
        "re-encoded IL-DCP response",
        &ildcp::Response::fulfill(&data).to_bytes(),
        bytes,
        d,
    );
    Ok(())
}

fn btp_packet(kind: &str, bytes: &[u8], fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let p = btp::Packet::from_bytes(bytes).map_err(decode_err("BTP"))?;
    // Rebuilt from owned parts so that the encoders really run.
    let entries: Vec<ProtocolData<'_>> = p.protocol_data().iter().collect();
    let pd: Vec<Value> = entries
        .iter()
        .map(|e| {
            obj([
                ("protocolName", Value::from(e.name)),
                ("contentType", Value::from(e.content_type.0)),
                ("data", hexv(e.data)),
            ])
        })
        .collect();
    let mut ours = obj([
        ("requestId", Value::from(p.request_id())),
        ("protocolData", Value::Array(pd)),
    ]);
    let protocol_data = Entries::new(&entries);
    let mut time = String::new();
    let (want, rebuilt) = match p {
        btp::Packet::Message(m) => ("btp-message", btp::Message { protocol_data, ..m }.into()),
        btp::Packet::Response(r) => ("btp-response", btp::Response { protocol_data, ..r }.into()),
        btp::Packet::Transfer(t) => {
            if let Some(o) = ours.as_object_mut() {
                o.insert("amount".into(), dec(t.amount));
            }
            ("btp-transfer", btp::Transfer { protocol_data, ..t }.into())
        }
        btp::Packet::Error(e) => {
            if let Some(o) = ours.as_object_mut() {
                o.insert("code".into(), text(&e.code.0));
                o.insert("name".into(), Value::from(e.name));
                o.insert(
                    "triggeredAt".into(),
                    Value::from(e.triggered_at.timestamp().as_millis()),
                );
                o.insert("data".into(), hexv(e.data));
            }
            // The JS form of the time, written by us from the decoded instant.
            let triggered_at =
                GeneralizedTime::from_timestamp_js(e.triggered_at.timestamp(), &mut time);
            let rebuilt = BtpError {
                protocol_data,
                triggered_at,
                ..e
            };
            ("btp-error", rebuilt.into())
        }
    };
    let rebuilt: btp::Packet<'_> = rebuilt;
    if want != kind {
        d.push(format!("decoded as {want}"));
    }
    compare("", &ours, fields, d);
    same_bytes("re-encoded BTP packet", &rebuilt.to_bytes(), bytes, d);
    Ok(())
}

fn hmac_sha256(key: &[u8; 32], data: &[u8]) -> Result<[u8; 32], String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|e| e.to_string())?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// Our keys, derived from the shared secret, must behave like the
/// reference's derived keys (which `Keys` does not expose).
fn stream_keys(keys: &Keys, fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let enc_key = hex32_field(fields, "encryptionKey")?;
    let ful_key = hex32_field(fields, "fulfillmentKey")?;
    let data = b"cross-check: fulfillment over these bytes";
    let theirs = hmac_sha256(&ful_key, data)?;
    same_bytes(
        "fulfillment vs HMAC(fulfillmentKey)",
        &stream::fulfillment(keys, data),
        &theirs,
        d,
    );

    let cipher = Aes256Gcm::new(&enc_key.into());
    let nonce = [0x5a; 12];
    let plaintext = b"sealed by us, opened with the reference key".to_vec();
    let mut sealed = Vec::new();
    stream::seal(keys, nonce, &plaintext, &mut sealed).map_err(|e| e.to_string())?;
    let (head, body) = sealed.split_at_checked(28).ok_or("sealed data too short")?;
    let (_, tag) = head.split_at(12);
    let mut body = body.to_vec();
    let tag = <[u8; 16]>::try_from(tag).map_err(|_| "tag")?;
    match cipher.decrypt_in_place_detached(&Nonce::from(nonce), &[], &mut body, &Tag::from(tag)) {
        Ok(()) => same_bytes("our seal opened with encryptionKey", &body, &plaintext, d),
        Err(_) => d.push("our seal does not open with the reference encryptionKey".into()),
    }

    let mut body = b"sealed with the reference key, opened by us".to_vec();
    let tag = cipher
        .encrypt_in_place_detached(&Nonce::from(nonce), &[], &mut body)
        .map_err(|e| e.to_string())?;
    let theirs = [&nonce[..], tag.as_slice(), &body].concat();
    match stream::open(keys, &theirs) {
        Ok(plain) => same_bytes(
            "open of encryptionKey data",
            &plain,
            b"sealed with the reference key, opened by us",
            d,
        ),
        Err(e) => d.push(format!(
            "our open refused data sealed with encryptionKey: {e}"
        )),
    }
    Ok(())
}

fn frame_fields(f: &Frame<'_>) -> Value {
    let ty = f.frame_type();
    let mut o = obj([
        ("type", Value::from(ty.0)),
        ("name", Value::from(ty.name().unwrap_or("Unknown"))),
    ]);
    let rest = match *f {
        Frame::ConnectionClose { code, message } => {
            vec![
                ("errorCode", Value::from(code.0)),
                ("errorMessage", text(message)),
            ]
        }
        Frame::ConnectionNewAddress { source_address } => {
            vec![("sourceAccount", Value::from(source_address))]
        }
        Frame::ConnectionMaxData { max_offset } | Frame::ConnectionDataBlocked { max_offset } => {
            vec![("maxOffset", dec(max_offset))]
        }
        Frame::ConnectionMaxStreamId { max_stream_id }
        | Frame::ConnectionStreamIdBlocked { max_stream_id } => {
            vec![("maxStreamId", dec(max_stream_id))]
        }
        Frame::ConnectionAssetDetails {
            asset_code,
            asset_scale,
        } => vec![
            ("sourceAssetCode", Value::from(asset_code)),
            ("sourceAssetScale", Value::from(asset_scale)),
        ],
        Frame::StreamClose {
            stream_id,
            code,
            message,
        } => vec![
            ("streamId", dec(stream_id)),
            ("errorCode", Value::from(code.0)),
            ("errorMessage", text(message)),
        ],
        Frame::StreamMoney { stream_id, shares } => {
            vec![("streamId", dec(stream_id)), ("shares", dec(shares))]
        }
        Frame::StreamMaxMoney {
            stream_id,
            receive_max,
            total_received,
        } => vec![
            ("streamId", dec(stream_id)),
            ("receiveMax", dec(receive_max)),
            ("totalReceived", dec(total_received)),
        ],
        Frame::StreamMoneyBlocked {
            stream_id,
            send_max,
            total_sent,
        } => vec![
            ("streamId", dec(stream_id)),
            ("sendMax", dec(send_max)),
            ("totalSent", dec(total_sent)),
        ],
        Frame::StreamData {
            stream_id,
            offset,
            data,
        } => vec![
            ("streamId", dec(stream_id)),
            ("offset", dec(offset)),
            ("data", hexv(data)),
        ],
        Frame::StreamMaxData {
            stream_id,
            max_offset,
        }
        | Frame::StreamDataBlocked {
            stream_id,
            max_offset,
        } => {
            vec![("streamId", dec(stream_id)), ("maxOffset", dec(max_offset))]
        }
        Frame::StreamReceipt { stream_id, receipt } => {
            vec![("streamId", dec(stream_id)), ("receipt", hexv(receipt))]
        }
        Frame::Unknown { contents, .. } => vec![("contents", hexv(contents))],
    };
    if let Some(map) = o.as_object_mut() {
        map.extend(rest.into_iter().map(|(k, v)| (k.to_owned(), v)));
    }
    o
}

/// Decodes a plaintext STREAM packet, re-encodes it from its frames (the
/// rest must be zero padding) and returns its fields.
fn stream_plaintext(bytes: &[u8], d: &mut Diffs) -> Result<Value, String> {
    let p = stream::Packet::from_bytes(bytes).map_err(decode_err("STREAM packet"))?;
    let frames: Vec<Frame<'_>> = p.frames().collect();
    let out = OutgoingPacket {
        packet_type: p.packet_type,
        sequence: p.sequence,
        prepare_amount: p.prepare_amount,
        frames: &frames,
    }
    .to_bytes();
    let (head, padding) = bytes.split_at(out.len().min(bytes.len()));
    same_bytes("re-encoded STREAM packet", &out, head, d);
    if padding.iter().any(|&b| b != 0) {
        d.push(format!(
            "{} bytes after the frames are not zero padding",
            padding.len()
        ));
    }
    Ok(obj([
        ("version", Value::from(STREAM_VERSION)),
        ("ilpPacketType", Value::from(p.packet_type.to_u8())),
        ("sequence", dec(p.sequence)),
        ("prepareAmount", dec(p.prepare_amount)),
        (
            "frames",
            Value::Array(p.frames().map(|f| frame_fields(&f)).collect()),
        ),
    ]))
}

/// Opens sealed STREAM data: plaintext, fulfillment, condition and packet.
fn stream_opened(keys: &Keys, data: &[u8], d: &mut Diffs) -> Result<Value, String> {
    let plain = stream::open(keys, data).map_err(|e| format!("our open refused it: {e}"))?;
    let fulfillment = stream::fulfillment(keys, data);
    Ok(obj([
        ("plaintextHex", hexv(&plain)),
        ("fulfillment", hexv(&fulfillment)),
        ("condition", hexv(&stream::condition(&fulfillment))),
        ("packet", stream_plaintext(&plain, d)?),
    ]))
}

fn stream_encrypted(
    keys: &Keys,
    bytes: &[u8],
    fields: &Value,
    d: &mut Diffs,
) -> Result<(), String> {
    let ours = stream_opened(keys, bytes, d)?;
    compare("", &ours, fields, d);
    Ok(())
}

fn stream_ilp_prepare(
    keys: &Keys,
    bytes: &[u8],
    fields: &Value,
    d: &mut Diffs,
) -> Result<(), String> {
    let p = Prepare::from_bytes(bytes).map_err(decode_err("ILP Prepare"))?;
    let mut ours = prepare_fields(&p);
    let opened = stream_opened(keys, p.data, d)?;
    if opened.get("condition") != Some(&hexv(&p.execution_condition)) {
        d.push("executionCondition is not SHA-256 of our fulfillment".into());
    }
    if let (Some(o), Value::Object(extra)) = (ours.as_object_mut(), opened) {
        for key in ["plaintextHex", "fulfillment", "packet"] {
            if let Some(v) = extra.get(key) {
                o.insert(key.into(), v.clone());
            }
        }
    }
    compare("", &ours, fields, d);
    same_bytes("re-encoded ILP Prepare", &p.to_bytes(), bytes, d);
    Ok(())
}

fn stream_receipt(bytes: &[u8], fields: &Value, d: &mut Diffs) -> Result<(), String> {
    let secret = hex32_field(fields, "secret")?;
    let r = Receipt::verify(bytes, &secret).map_err(|e| format!("our verify refused it: {e}"))?;
    let ours = obj([
        ("nonce", hexv(&r.nonce)),
        ("streamId", Value::from(r.stream_id)),
        ("totalReceived", dec(r.total_received)),
        ("secret", hexv(&secret)),
    ]);
    compare("", &ours, fields, d);
    let nonce: [u8; 16] = hex_field(fields, "nonce")?
        .try_into()
        .map_err(|_| "reference nonce is not 16 bytes")?;
    let stream_id = u8::try_from(u64_field(fields, "streamId")?).map_err(|e| e.to_string())?;
    let total = u64_field(fields, "totalReceived")?;
    let created = Receipt::create(nonce, stream_id, total, &secret);
    same_bytes(
        "Receipt::create from the reference fields",
        &created,
        bytes,
        d,
    );
    Ok(())
}
