//! Windows Installer database structures over the streams of a compound
//! file: stream-name decoding, the string pool, the `_Tables` / `_Columns`
//! catalog, column-major table streams and the summary-information
//! property set.
//!
//! Table layout: a table `T` is the stream `\u{4840}` + encode(`T`); its
//! rows are stored column by column. Integer columns are 2 or 4 bytes with
//! the sign bit flipped (0 = NULL); string columns are 2-byte string ids, or
//! 3-byte ids when the string pool's codepage word has bit 31 set; binary
//! (stream) columns are 2 bytes and their data is the stream
//! `Table.Key1.Key2…`.

use super::super::{le_u16, le_u32, le_u64};
use installsift_model::error::Error;
use std::collections::HashMap;
use std::sync::Arc;

/// Prefix character of table stream names.
pub const TABLE_PREFIX: char = '\u{4840}';

/// Decode an MSI-compressed stream name: characters 0x3800–0x47FF carry two
/// name characters, 0x4800–0x483F one, and a leading 0x4840 marks a table.
/// Returns the name and whether it is a table.
pub fn decode_stream_name(raw: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    let is_table = chars.peek() == Some(&TABLE_PREFIX);
    if is_table {
        chars.next();
    }
    for c in chars {
        let v = c as u32;
        if (0x3800..0x4800).contains(&v) {
            let v = v - 0x3800;
            out.push(b64(v & 0x3f));
            out.push(b64(v >> 6));
        } else if (0x4800..0x4840).contains(&v) {
            out.push(b64(v - 0x4800));
        } else {
            out.push(c);
        }
    }
    (out, is_table)
}

/// Encode a name the way MSI stores it as a stream name (the inverse of
/// [`decode_stream_name`], for the round-trip test).
#[cfg(test)]
fn encode_stream_name(name: &str, is_table: bool) -> String {
    let mut out = String::new();
    if is_table {
        out.push(TABLE_PREFIX);
    }
    let mut chars = name.chars().peekable();
    while let Some(c1) = chars.next() {
        let Some(v1) = from_b64(c1) else {
            out.push(c1);
            continue;
        };
        if let Some(v2) = chars.peek().copied().and_then(from_b64) {
            chars.next();
            out.push(char::from_u32(0x3800 + (v2 << 6) + v1).unwrap_or(c1));
        } else {
            out.push(char::from_u32(0x4800 + v1).unwrap_or(c1));
        }
    }
    out
}

fn b64(v: u32) -> char {
    match v {
        0..=9 => char::from(b'0' + v as u8),
        10..=35 => char::from(b'A' + (v - 10) as u8),
        36..=61 => char::from(b'a' + (v - 36) as u8),
        62 => '.',
        _ => '_',
    }
}

#[cfg(test)]
fn from_b64(c: char) -> Option<u32> {
    Some(match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A'..='Z' => c as u32 - 'A' as u32 + 10,
        'a'..='z' => c as u32 - 'a' as u32 + 36,
        '.' => 62,
        '_' => 63,
        _ => return None,
    })
}

/// The decoder for a Windows codepage number, when known.
pub fn codepage_encoding(cp: u32) -> Option<&'static encoding_rs::Encoding> {
    use encoding_rs::*;
    Some(match cp {
        0 | 1252 | 20127 | 28591 => WINDOWS_1252,
        65001 => UTF_8,
        874 => WINDOWS_874,
        932 => SHIFT_JIS,
        936 => GBK,
        949 => EUC_KR,
        950 => BIG5,
        866 => IBM866,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        1253 => WINDOWS_1253,
        1254 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        10000 => MACINTOSH,
        28592 => ISO_8859_2,
        28595 => ISO_8859_5,
        _ => return None,
    })
}

fn decode_cp(enc: &'static encoding_rs::Encoding, bytes: &[u8]) -> String {
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// A summary-information string: in the codepage of PID 1, except that
/// bytes which are non-ASCII valid UTF-8 are taken as UTF-8 (msitools writes
/// UTF-8 whatever PID 1 says; real codepage text is rarely valid UTF-8).
fn decode_summary_string(enc: &'static encoding_rs::Encoding, bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !bytes.is_ascii() => s.to_owned(),
        _ => decode_cp(enc, bytes),
    }
}

/// The string pool: id 0 is NULL, ids from 1 index `strings`.
#[derive(Debug, Default)]
pub struct StringPool {
    /// Codepage of the database.
    pub codepage: u32,
    /// String references are 3 bytes wide.
    pub long_refs: bool,
    /// Shared with the cells that name them: a table of a million rows
    /// naming one long string holds it once (issue 16: 20,000 rows naming
    /// one 65,000-byte value, an 8.9 MB file, took 1.3 GB as copies).
    strings: Vec<Arc<str>>,
}

impl StringPool {
    /// Decode `_StringPool` (codepage word, then `(length, refcount)` u16
    /// pairs; a pair with length 0 and a non-zero refcount is followed by a
    /// u32 holding the real length) against `_StringData`. Strings past the
    /// end of the data are kept empty and reported.
    pub fn parse(pool: &[u8], data: &[u8]) -> (StringPool, Option<Error>) {
        let mut problem = None;
        let Some(head) = le_u32(pool, 0) else {
            return (
                StringPool::default(),
                Some(Error::truncated("_StringPool has no codepage word")),
            );
        };
        let long_refs = head & 0x8000_0000 != 0;
        let codepage = head & 0x7FFF_FFFF;
        let enc = codepage_encoding(codepage).unwrap_or_else(|| {
            problem = Some(Error::unsupported(format!(
                "string pool codepage {codepage}; decoded as Windows-1252"
            )));
            encoding_rs::WINDOWS_1252
        });
        let mut strings = Vec::new();
        let mut at = 4usize;
        let mut pos = 0usize;
        while let (Some(len), Some(refs)) = (le_u16(pool, at), le_u16(pool, at + 2)) {
            at += 4;
            let mut len = usize::from(len);
            if len == 0 && refs != 0 {
                let Some(big) = le_u32(pool, at) else {
                    problem = Some(Error::truncated(
                        "_StringPool ends inside a long-string length",
                    ));
                    break;
                };
                at += 4;
                len = big as usize;
            }
            match pos.checked_add(len).and_then(|end| data.get(pos..end)) {
                Some(bytes) => {
                    strings.push(Arc::from(decode_cp(enc, bytes)));
                    pos += len;
                }
                None => {
                    problem = Some(Error::truncated(format!(
                        "_StringData has {} bytes, string {} needs {len} at {pos}",
                        data.len(),
                        strings.len() + 1
                    )));
                    break;
                }
            }
        }
        if problem.is_none() && pos != data.len() {
            // Each string is found by adding up the lengths before it: one
            // damaged length shifts every later string (table and column
            // names included), so the mismatch is said, not guessed around.
            problem = Some(Error::malformed(format!(
                "the {} string lengths in _StringPool add up to {pos} bytes, _StringData has {}: strings after a damaged length are wrong",
                strings.len(),
                data.len()
            )));
        }
        (
            StringPool {
                codepage,
                long_refs,
                strings,
            },
            problem,
        )
    }

    /// The string with this id (1-based); `None` for 0 or out of range.
    pub fn get(&self, id: u32) -> Option<&str> {
        self.strings
            .get((id as usize).checked_sub(1)?)
            .map(|s| &**s)
    }

    /// String `id`, shared (not copied).
    pub fn get_shared(&self, id: u32) -> Option<Arc<str>> {
        self.strings.get((id as usize).checked_sub(1)?).cloned()
    }

    /// Width of a string reference in table streams.
    pub fn ref_width(&self) -> usize {
        if self.long_refs {
            3
        } else {
            2
        }
    }
}

/// Storage class of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// 2-byte integer.
    I16,
    /// 4-byte integer.
    I32,
    /// String id.
    Str,
    /// Stream reference (2 bytes).
    Binary,
}

impl ColType {
    /// Decode the `_Columns.Type` bit field (as the msi crate and Wine do).
    pub fn from_bits(bits: i32) -> Result<ColType, Error> {
        const VALID: i32 = 0x100;
        const NONBINARY: i32 = 0x400;
        const STRING: i32 = 0x800;
        const NULLABLE: i32 = 0x1000;
        let width = bits & 0xff;
        if bits & !NULLABLE == STRING | VALID {
            Ok(ColType::Binary)
        } else if bits & STRING != 0 {
            Ok(ColType::Str)
        } else {
            match width {
                4 if bits & NONBINARY == 0 => Ok(ColType::I32),
                4 => Ok(ColType::Binary),
                0..=2 => Ok(ColType::I16),
                w => Err(Error::malformed(format!(
                    "integer column of width {w} (type bits {bits:#x})"
                ))),
            }
        }
    }

    fn width(self, ref_width: usize) -> usize {
        match self {
            ColType::I16 | ColType::Binary => 2,
            ColType::I32 => 4,
            ColType::Str => ref_width,
        }
    }
}

/// A column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Storage class.
    pub ty: ColType,
}

/// A cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// Integer.
    Int(i32),
    /// String (resolved through the pool, and shared with it).
    Str(Arc<str>),
    /// A stream reference (binary column).
    Binary,
}

impl Value {
    /// The string, if this is a non-NULL string cell.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The integer, if this is a non-NULL integer cell.
    pub fn as_int(&self) -> Option<i32> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// A decoded table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// Index of a column by name.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The cell of `row` in column `name`.
    pub fn get<'t>(&'t self, row: &'t [Value], name: &str) -> Option<&'t Value> {
        row.get(self.col(name)?)
    }

    /// The string cell of `row` in column `name`.
    pub fn str<'t>(&'t self, row: &'t [Value], name: &str) -> Option<&'t str> {
        self.get(row, name)?.as_str()
    }
}

/// Decode a column-major table stream. `max_rows` caps the rows decoded.
pub fn decode_table(
    bytes: &[u8],
    columns: &[Column],
    pool: &StringPool,
    max_rows: u64,
) -> Result<(Table, Option<Error>), Error> {
    let rw = pool.ref_width();
    let row_width: usize = columns.iter().map(|c| c.ty.width(rw)).sum();
    if row_width == 0 {
        return Err(Error::malformed("table has no columns"));
    }
    let mut problem = None;
    if !bytes.len().is_multiple_of(row_width) {
        problem = Some(Error::malformed(format!(
            "table stream of {} bytes is not a multiple of the row width {row_width}",
            bytes.len()
        )));
    }
    let nrows = bytes.len() / row_width;
    let take = nrows.min(usize::try_from(max_rows).unwrap_or(usize::MAX));
    if take < nrows {
        problem = Some(Error::limit(
            installsift_model::limits::Limit::MaxTableRows,
            format!("table has {nrows} rows, read {take}"),
        ));
    }
    let mut rows: Vec<Vec<Value>> = (0..take)
        .map(|_| Vec::with_capacity(columns.len()))
        .collect();
    let mut col_start = 0usize;
    for c in columns {
        let w = c.ty.width(rw);
        for (r, row) in rows.iter_mut().enumerate() {
            let at = col_start + r * w;
            let cell = bytes.get(at..at + w).unwrap_or(&[]);
            let raw = match (w, cell) {
                (2, [a, b]) => u32::from(u16::from_le_bytes([*a, *b])),
                (3, [a, b, c3]) => u32::from(*a) | u32::from(*b) << 8 | u32::from(*c3) << 16,
                (4, [a, b, c3, d]) => u32::from_le_bytes([*a, *b, *c3, *d]),
                _ => 0,
            };
            let v = match c.ty {
                _ if raw == 0 && c.ty != ColType::Binary => Value::Null,
                ColType::I16 => Value::Int(i32::from((raw as u16 ^ 0x8000) as i16)),
                ColType::I32 => Value::Int((raw ^ 0x8000_0000) as i32),
                ColType::Str => match pool.get_shared(raw) {
                    Some(s) => Value::Str(s),
                    None => {
                        problem.get_or_insert_with(|| {
                            Error::malformed(format!(
                                "column {} refers to string id {raw}, not in the pool",
                                c.name
                            ))
                        });
                        Value::Null
                    }
                },
                ColType::Binary => Value::Binary,
            };
            row.push(v);
        }
        col_start += w * nrows;
    }
    Ok((
        Table {
            columns: columns.to_vec(),
            rows,
        },
        problem,
    ))
}

/// Summary-information values (property set `\u{5}SummaryInformation`).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Property id → value, strings decoded with the set's codepage.
    pub props: HashMap<u32, PropValue>,
}

/// A property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropValue {
    /// VT_I2 / VT_I4.
    Int(i32),
    /// VT_LPSTR.
    Str(String),
    /// VT_FILETIME (100 ns ticks since 1601).
    FileTime(u64),
}

/// Parse the first section of an OLE property set.
pub fn parse_summary(bytes: &[u8]) -> Result<Summary, Error> {
    if le_u16(bytes, 0) != Some(0xFFFE) {
        return Err(Error::malformed(
            "summary information has no 0xFFFE byte-order mark",
        ));
    }
    let nsections = le_u32(bytes, 24)
        .ok_or_else(|| Error::truncated("summary information header is cut off"))?;
    if nsections == 0 {
        return Err(Error::malformed("summary information has no section"));
    }
    let sec = le_u32(bytes, 44)
        .ok_or_else(|| Error::truncated("summary information section list is cut off"))?
        as usize;
    let nprops = le_u32(bytes, sec.saturating_add(4))
        .ok_or_else(|| Error::truncated("summary section is cut off"))?;
    // Each property needs an 8-byte id/offset pair: cap the count by the data.
    let nprops = (nprops as usize).min(bytes.len() / 8);
    // First pass: codepage (property 1), to decode strings.
    let mut raw = Vec::new();
    for i in 0..nprops {
        let at = sec.saturating_add(8).saturating_add(i * 8);
        let (Some(id), Some(off)) = (le_u32(bytes, at), le_u32(bytes, at + 4)) else {
            break;
        };
        raw.push((id, sec.saturating_add(off as usize)));
    }
    let mut enc = encoding_rs::WINDOWS_1252;
    for &(id, at) in &raw {
        if id == 1 && le_u32(bytes, at) == Some(2) {
            let cp = le_u16(bytes, at + 4).unwrap_or(0);
            enc = codepage_encoding(u32::from(cp)).unwrap_or(enc);
        }
    }
    let mut props = HashMap::new();
    for (id, at) in raw {
        let Some(vt) = le_u32(bytes, at) else {
            continue;
        };
        let v = match vt {
            2 => le_u16(bytes, at + 4).map(|v| PropValue::Int(i32::from(v as i16))),
            3 => le_u32(bytes, at + 4).map(|v| PropValue::Int(v as i32)),
            30 => le_u32(bytes, at + 4).and_then(|n| {
                let s = bytes.get(at + 8..(at + 8).checked_add(n as usize)?)?;
                let s = s.split(|&b| b == 0).next().unwrap_or(&[]);
                Some(PropValue::Str(decode_summary_string(enc, s)))
            }),
            64 => le_u64(bytes, at + 4).map(PropValue::FileTime),
            _ => None,
        };
        if let Some(v) = v {
            props.insert(id, v);
        }
    }
    Ok(Summary { props })
}

impl Summary {
    /// A string property.
    pub fn str(&self, id: u32) -> Option<String> {
        match self.props.get(&id)? {
            PropValue::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
    /// An integer property.
    pub fn int(&self, id: u32) -> Option<i32> {
        match self.props.get(&id)? {
            PropValue::Int(i) => Some(*i),
            _ => None,
        }
    }
    /// A FILETIME property as seconds since 1970 (when after 1970).
    pub fn unix_time(&self, id: u32) -> Option<i64> {
        match self.props.get(&id)? {
            PropValue::FileTime(t) => {
                let secs = (*t / 10_000_000) as i64 - 11_644_473_600;
                (secs >= 0).then_some(secs)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_round_trip() {
        for (name, table) in [
            ("Binary.CustomAction", false),
            ("_StringPool", true),
            ("File", true),
            ("product.cab", false),
        ] {
            let enc = encode_stream_name(name, table);
            assert!(enc.encode_utf16().count() <= 31, "{name}");
            assert_eq!(decode_stream_name(&enc), (name.to_owned(), table));
        }
        // Characters outside the 64-symbol alphabet stay as they are.
        assert_eq!(
            decode_stream_name("\u{5}SummaryInformation"),
            ("\u{5}SummaryInformation".to_owned(), false)
        );
        let enc = encode_stream_name("a-b", false);
        assert_eq!(enc.chars().nth(1), Some('-'));
        assert_eq!(decode_stream_name(&enc).0, "a-b");
    }

    #[test]
    fn string_pool_long_strings_and_truncation() {
        // codepage 1252, strings "ab", (long form) "xyz", then one past the data.
        let mut pool = 1252u32.to_le_bytes().to_vec();
        pool.extend([2, 0, 1, 0]);
        pool.extend([0, 0, 1, 0]);
        pool.extend(3u32.to_le_bytes());
        pool.extend([9, 0, 1, 0]);
        let (p, err) = StringPool::parse(&pool, b"abxyz\xfc");
        assert_eq!(p.get(1), Some("ab"));
        assert_eq!(p.get(2), Some("xyz"));
        assert_eq!(p.get(3), None);
        assert_eq!(p.get(0), None);
        assert!(matches!(err, Some(Error::Truncated { .. })));
        let (p, _) = StringPool::parse(&[0xE9, 0xFD, 0, 0x80, 1, 0, 1, 0], b"\xfc");
        assert!(p.long_refs);
        assert_eq!(p.codepage, 65001);
        assert_eq!(p.ref_width(), 3);
    }

    #[test]
    fn string_lengths_must_cover_the_string_data() {
        // "ab" + "xyz" declared, but the data has a sixth byte: a length was
        // damaged (every string after it would be read shifted).
        let mut pool = 1252u32.to_le_bytes().to_vec();
        pool.extend([2, 0, 1, 0, 3, 0, 1, 0]);
        let (p, err) = StringPool::parse(&pool, b"abxyz");
        assert_eq!((p.get(1), p.get(2), err), (Some("ab"), Some("xyz"), None));
        let (_, err) = StringPool::parse(&pool, b"abxyzw");
        assert!(
            matches!(&err, Some(Error::Malformed { message, .. }) if message.contains("add up to 5 bytes")),
            "{err:?}"
        );
    }

    #[test]
    fn column_types() {
        assert_eq!(ColType::from_bits(0x1d48).ok(), Some(ColType::Str)); // S72
        assert_eq!(ColType::from_bits(0x0502).ok(), Some(ColType::I16)); // i2
        assert_eq!(ColType::from_bits(0x0104).ok(), Some(ColType::I32)); // i4
        assert_eq!(ColType::from_bits(0x1900).ok(), Some(ColType::Binary)); // V0
        assert!(ColType::from_bits(0x0103).is_err());
    }

    #[test]
    fn table_is_column_major() {
        let (pool, _) = StringPool::parse(&[0xE4, 4, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0], b"AB");
        let cols = vec![
            Column {
                name: "K".into(),
                ty: ColType::Str,
            },
            Column {
                name: "N".into(),
                ty: ColType::I16,
            },
        ];
        // Two rows: (A, 1), (B, NULL).
        let bytes = [1, 0, 2, 0, 0x01, 0x80, 0, 0];
        let (t, err) = decode_table(&bytes, &cols, &pool, 100).unwrap();
        assert!(err.is_none());
        assert_eq!(
            t.rows,
            vec![
                vec![Value::Str("A".into()), Value::Int(1)],
                vec![Value::Str("B".into()), Value::Null]
            ]
        );
        let (t, err) = decode_table(&bytes, &cols, &pool, 1).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert!(matches!(err, Some(Error::LimitExceeded { .. })));
    }

    /// Issue 16: cells naming one string share the pool's copy. A table
    /// of 20,000 rows naming one 65,000-byte value (an 8.9 MB MSI made by
    /// msibuild) took 1.3 GB when each cell copied it: rows × length.
    #[test]
    fn cells_naming_one_string_share_it() {
        let len: u16 = 65_000;
        let mut pool = vec![0xE4, 4, 0, 0];
        pool.extend_from_slice(&len.to_le_bytes());
        pool.extend_from_slice(&1u16.to_le_bytes());
        let (pool, err) = StringPool::parse(&pool, &vec![b'A'; usize::from(len)]);
        assert!(err.is_none());
        let cols = vec![Column {
            name: "Value".into(),
            ty: ColType::Str,
        }];
        let rows = 10_000;
        let bytes: Vec<u8> = (0..rows).flat_map(|_| [1u8, 0]).collect();
        let (t, err) = decode_table(&bytes, &cols, &pool, 1_000_000).unwrap();
        assert!(err.is_none());
        assert_eq!(t.rows.len(), rows);
        let shared = pool.get_shared(1).unwrap();
        for row in &t.rows {
            let [Value::Str(s)] = row.as_slice() else {
                panic!("{row:?}")
            };
            assert!(Arc::ptr_eq(s, &shared));
        }
    }
}
