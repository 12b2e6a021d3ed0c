//! A serde serializer writing the compact JSON serde_json writes, byte for
//! byte, straight into a buffer (serde_json makes a writer call for every
//! token): every part of `--json` but the records `json_records` writes by
//! hand, such as services' settings and the connection table. The model's
//! own `Serialize` drives it, so the document is still what the derives
//! say; serde_json stays the reference it is tested against, and writes
//! what is rare here (strings that need escapes, floats).

use super::text;
use serde::ser::{self, Serialize};
use std::fmt;

/// Appends `value` as compact JSON to `out`.
pub(crate) fn append<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(Writer { out })
}

/// Why a value could not be written (a map key that is not a string).
/// Boxed, so that every `Result` of the serializer is returned in
/// registers rather than through memory.
#[derive(Debug)]
pub(crate) struct Error(Box<str>);

impl Error {
    pub(super) fn new(why: &str) -> Error {
        Error(why.into())
    }

    /// What serde_json said, where it writes for this serializer.
    fn from_serde_json(e: serde_json::Error) -> Error {
        Error(e.to_string().into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string().into())
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

/// The serializer: where the bytes go.
struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// An object or array being written: whether a member came yet.
struct Compound<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    /// the bytes that close it
    close: Close,
}

/// How an object or array ends. Kept a byte wide: the compound is passed
/// by value through every member.
#[derive(Clone, Copy)]
enum Close {
    Array,
    Object,
    /// `]}`: a tuple variant's content and its `{"name":` object
    ArrayInVariant,
    /// `}}`: a struct variant's content and its `{"name":` object
    ObjectInVariant,
}

impl Close {
    fn bytes(self) -> &'static [u8] {
        match self {
            Close::Array => b"]",
            Close::Object => b"}",
            Close::ArrayInVariant => b"]}",
            Close::ObjectInVariant => b"}}",
        }
    }
}

/// A JSON string. Text without quotes, backslashes or control characters
/// (every name and word of the model) is copied as it is; the rest is
/// left to serde_json, whose escapes are the reference.
pub(super) fn string(out: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    if !text.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(&mut *out, text).map_err(Error::from_serde_json)
    }
}

/// The bytes a JSON string cannot hold as they are: one load per byte
/// instead of three comparisons.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = byte < 0x20 || byte == b'"' as usize || byte == b'\\' as usize;
        byte += 1;
    }
    table
};

/// `{"name":` before a variant's content.
fn variant_open(out: &mut Vec<u8>, name: &str) -> Result<(), Error> {
    out.push(b'{');
    string(out, name)?;
    out.push(b':');
    Ok(())
}

impl<'a> Writer<'a> {
    fn compound(self, open: u8, close: Close) -> Compound<'a> {
        self.out.push(open);
        Compound {
            out: self.out,
            first: true,
            close,
        }
    }

    fn float(self, v: impl Serialize) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v).map_err(Error::from_serde_json)
    }
}

/// Narrow integers, written as the widest of their kind.
macro_rules! widened {
    ($($($method:ident($ty:ty)),* => $wide:ident($as:ty);)*) => {$($(
        fn $method(self, v: $ty) -> Result<(), Error> {
            self.$wide(<$as>::from(v))
        }
    )*)*};
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    widened! {
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32) => serialize_i64(i64);
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32) => serialize_u64(u64);
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        text::push_signed(self.out, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.out.extend_from_slice(v.to_string().as_bytes());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        text::push_unsigned(self.out, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.out.extend_from_slice(v.to_string().as_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        string(self.out, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        string(self.out, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        v.iter().try_for_each(|b| seq.serialize_element(b))?;
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        string(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        variant_open(self.out, variant)?;
        value.serialize(Writer { out: self.out })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.compound(b'[', Close::Array))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        variant_open(self.out, variant)?;
        Ok(self.compound(b'[', Close::ArrayInVariant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.compound(b'{', Close::Object))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.compound(b'{', Close::Object))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        variant_open(self.out, variant)?;
        Ok(self.compound(b'{', Close::ObjectInVariant))
    }
}

impl Compound<'_> {
    /// The comma before every member but the first.
    fn next(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.next();
        value.serialize(Writer { out: self.out })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.next();
        string(self.out, key)?;
        self.out.push(b':');
        value.serialize(Writer { out: self.out })
    }

    fn close(self) -> Result<(), Error> {
        self.out.extend_from_slice(self.close.bytes());
        Ok(())
    }
}

/// The element-list traits: each element after a comma.
macro_rules! element_lists {
    ($($list:ident::$add:ident),*) => {$(
        impl ser::$list for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $add<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

element_lists!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The struct traits: each field's name, then its value.
macro_rules! field_lists {
    ($($list:ident),*) => {$(
        impl ser::$list for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

field_lists!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.next();
        let start = self.out.len();
        key.serialize(Writer { out: self.out })?;
        // JSON keys are strings, as serde_json requires (it also quotes
        // numbers; this model has no such keys, so they are refused).
        if self.out.get(start) != Some(&b'"') {
            self.out.truncate(start);
            return Err(Error::new("a map key must be a string"));
        }
        self.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::json::Document;
    use serde::Serialize;
    use std::collections::BTreeMap;

    fn written<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        append(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn alike<T: Serialize + ?Sized>(value: &T) {
        assert_eq!(written(value), serde_json::to_string(value).unwrap());
    }

    #[test]
    fn documents_are_written_as_serde_json_writes_them() {
        let doc: Document =
            serde_json::from_str(include_str!("../../tests/golden/listings/table.json")).unwrap();
        alike(&doc);
        alike(&Document::default());
    }

    #[derive(Serialize)]
    enum Shapes {
        Unit,
        Newtype(u8),
        Tuple(i32, i64),
        Struct { a: Option<u8>, b: () },
    }

    #[derive(Serialize)]
    #[serde(tag = "kind")]
    enum Tagged {
        One { x: u16 },
    }

    #[derive(Serialize)]
    struct Outer {
        #[serde(flatten)]
        inner: Tagged,
        list: Vec<Shapes>,
        empty: Vec<u8>,
        map: BTreeMap<String, bool>,
        tuple: (char, f64, f32),
        unit: (),
    }

    #[test]
    fn every_shape_serde_has_is_written_as_serde_json_writes_it() {
        for number in [0, 1, 9, 10, u64::MAX] {
            alike(&number);
        }
        for number in [i64::MIN, -1, 0, i64::MAX] {
            alike(&number);
        }
        alike(&(u128::MAX, i128::MIN, -7i8, 255u8));
        for text in [
            "",
            "plain",
            "quote \" back \\ slash",
            "tab\t nl\n cr\r",
            "\u{1}\u{1f}\u{7f}",
            "é✓",
        ] {
            alike(text);
        }
        for float in [0.0, 1.5, -2.25e-7, 1e20, f64::NAN, f64::INFINITY] {
            alike(&float);
        }
        alike(&Outer {
            inner: Tagged::One { x: 7 },
            list: vec![
                Shapes::Unit,
                Shapes::Newtype(3),
                Shapes::Tuple(-1, 2),
                Shapes::Struct { a: None, b: () },
                Shapes::Struct { a: Some(1), b: () },
            ],
            empty: vec![],
            map: BTreeMap::from([("k\"ey".to_string(), true), ("b".to_string(), false)]),
            tuple: ('"', 0.1, 3.5),
            unit: (),
        });
        alike(&serde_bytes_like(&[0, 255]));
    }

    /// A value that serializes as bytes.
    fn serde_bytes_like(bytes: &[u8]) -> impl Serialize + '_ {
        struct Bytes<'a>(&'a [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        Bytes(bytes)
    }

    #[test]
    fn keys_that_are_not_strings_are_refused() {
        let map = BTreeMap::from([(1u8, 2u8)]);
        assert!(append(&mut Vec::new(), &map).is_err());
    }
}
