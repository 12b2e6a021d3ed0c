//! The printer, a pure function, against text the reference ipvsadm printed
//! in the VM for the same table (tests/golden/listings: record.sh made
//! ref.N.txt for the N-th line of forms.txt, and table.json with
//! `ipvsadm-rs -Ln --json --nosort`, i.e. in kernel order so the sort is
//! exercised too).

#[path = "common/listing.rs"]
mod listing;

use ipvsadm_rs::print::json::Document;

const FORMS: &str = include_str!("golden/listings/forms.txt");
const TABLE: &str = include_str!("golden/listings/table.json");

fn golden(n: usize) -> String {
    let path = format!(
        "{}/tests/golden/listings/ref.{n}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_listing_form_matches_ipvsadm_byte_for_byte() {
    let doc: Document = serde_json::from_str(TABLE).unwrap();
    let mut compared = 0;
    for (i, form) in FORMS.lines().enumerate() {
        if let Some(text) = listing::render(&doc, form) {
            assert_eq!(text, golden(i + 1), "ipvsadm {form}");
            compared += 1;
        }
    }
    assert!(compared >= 19, "only {compared} forms compared");
}

#[test]
fn json_round_trips_through_the_model() {
    let doc: Document = serde_json::from_str(TABLE).unwrap();
    let mut again = serde_json::to_string(&doc).unwrap();
    again.push('\n');
    assert_eq!(again, TABLE);
    assert_eq!(doc.services.as_ref().map(Vec::len), Some(12));
}
