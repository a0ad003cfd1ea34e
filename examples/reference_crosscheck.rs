//! Live cross-check of our codecs against the JavaScript reference libraries.
//!
//! ```sh
//! node tests/interop/reference-packets.mjs REF.json
//! cargo run --example reference_crosscheck -- REF.json OURS.json
//! node tests/interop/verify-ours.mjs OURS.json
//! ```
//!
//! (`make crosscheck` runs all three.) For every case the reference wrote,
//! this decodes the bytes with our codec, compares every field with the
//! reference's, rebuilds the value and re-encodes it, which must give the
//! same bytes. STREAM data is opened with our crypto and the shared secret.
//! It prints one line per failure and `crosscheck: N passed, M failed`, and
//! exits 1 if anything failed or no case was read.
//!
//! Then it writes OURS.json: packets of every kind encoded by us, and STREAM
//! packets sealed by us with random nonces (the generator is seeded from
//! `/dev/urandom`), for `verify-ours.mjs` to check with the reference.

#[cfg(not(target_arch = "wasm32"))]
#[path = "reference_crosscheck/check.rs"]
mod check;
#[cfg(not(target_arch = "wasm32"))]
#[path = "reference_crosscheck/ours.rs"]
mod ours;
#[cfg(not(target_arch = "wasm32"))]
#[path = "reference_crosscheck/util.rs"]
mod util;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match run() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("reference_crosscheck: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Native only: the cross-check reads and writes files.
#[cfg(target_arch = "wasm32")]
fn main() {}

/// Checks every reference case, writes OURS.json; `Ok(false)` if a case
/// failed or there were none.
#[cfg(not(target_arch = "wasm32"))]
fn run() -> Result<bool, String> {
    use std::io::Read;

    use ilp_stream_web::rand::Rng;
    use ilp_stream_web::stream::Keys;
    use serde_json::Value;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [reference_path, ours_path] = args.as_slice() else {
        return Err("usage: reference_crosscheck REF.json OURS.json".into());
    };
    let text = std::fs::read_to_string(reference_path)
        .map_err(|e| format!("cannot read {reference_path}: {e}"))?;
    let reference: Value =
        serde_json::from_str(&text).map_err(|e| format!("{reference_path}: {e}"))?;
    let secret = reference
        .get("sharedSecret")
        .and_then(Value::as_str)
        .ok_or("sharedSecret missing")
        .and_then(|s| util::unhex32(s).map_err(|_| "sharedSecret is not 32 bytes of hex"))?;
    let keys = Keys::new(&secret);
    let cases = reference
        .get("cases")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);

    let (mut passed, mut failed) = (0usize, 0usize);
    for (i, c) in cases.iter().enumerate() {
        let kind = c.get("kind").and_then(Value::as_str).unwrap_or("?");
        let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
        let fields = c.get("fields").unwrap_or(&Value::Null);
        let diffs = match c.get("hex").and_then(Value::as_str).map(util::unhex) {
            Some(Ok(bytes)) => check::case(&keys, kind, &bytes, fields),
            Some(Err(e)) => vec![format!("hex: {e}")],
            None => vec!["no hex".to_owned()],
        };
        if diffs.is_empty() {
            passed += 1;
        } else {
            failed += 1;
            for d in diffs {
                println!("FAIL case {i} {kind} {name}: {d}");
            }
        }
    }
    println!("crosscheck: {passed} passed, {failed} failed");

    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    let mut rng = Rng::from_seed(seed);
    let ours = ours::build(&secret, &mut rng)?;
    let json = serde_json::to_string_pretty(&ours).map_err(|e| e.to_string())?;
    std::fs::write(ours_path, json + "\n").map_err(|e| format!("cannot write {ours_path}: {e}"))?;
    let count = |k: &str| ours.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    println!(
        "wrote {} encrypted entries and {} packets to {ours_path}",
        count("encrypted"),
        count("packets")
    );
    Ok(failed == 0 && passed > 0)
}
