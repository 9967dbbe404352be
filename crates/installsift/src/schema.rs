//! The JSON Schema (draft 2020-12) of what `scan --format jsonl` and
//! `--format json` write, derived from the report types themselves
//! (`schemars` derives behind the `schema` feature of this crate, of
//! `installsift-formats` and of `installsift-model`).
//!
//! Nothing here lists a field: [`NodeInfo`] and every type
//! it holds derive `JsonSchema` next to `Serialize`, reading the same serde
//! attributes (renames, `skip_serializing_if`, `flatten`, `untagged`,
//! internal tags), so a field added to a report type is in the schema, and
//! a new type in a report does not compile until it has a schema. The few
//! types serialized by hand (digests, [`Family`](crate::Family),
//! [`Limit`](crate::Limit), a node's `errors`) have hand-written schemas
//! beside their `Serialize` impls.
//!
//! The schema is strict where the contract is: every object is closed
//! (`additionalProperties: false`, added here to every object schema that
//! names its properties), fields that are always written are `required`,
//! formats, verdicts, families, checks, error kinds and limits are enums,
//! digests are lowercase hex of their exact length, and a node has a
//! `family` exactly when its verdict is `installer`.

use crate::render::InputErrorRecord;
use crate::{NodeInfo, Report};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The version of the JSONL/JSON contract this schema describes, written in
/// the schema as `x-installsift-contract`. The minor number grows when
/// fields or values are added (older records still validate; newer ones may
/// not validate against an older schema, whose objects are closed); the
/// major number when a field is removed or renamed or its values narrowed.
pub const CONTRACT_VERSION: &str = "1.0";

/// The schema document: its root validates one line of `scan --format
/// jsonl` (a node, or the record of an input that could not be scanned);
/// `#/$defs/ScanJson` validates the whole output of `scan --format json`,
/// `#/$defs/ExtractManifest` a line of `extract`'s manifest and
/// `#/$defs/DiffLine` a line of `diff --format jsonl`.
pub fn schema() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let node = generator.subschema_for::<NodeInfo>();
    let input_error = generator.subschema_for::<InputErrorRecord<'static>>();
    let report = generator.subschema_for::<Report>();
    let extract_line = generator.subschema_for::<crate::extract::ManifestLine<'static>>();
    let diff_entry = generator.subschema_for::<crate::diff::Entry>();
    let diff_summary = generator.subschema_for::<crate::diff::SummaryRecord>();
    let mut defs: Map<String, Value> = generator.take_definitions(true);
    defs.insert(
        "ScanJson".to_owned(),
        serde_json::json!({
            "description": "The output of `scan --format json`: one element per input, \
                in input order; an input that could not be scanned is its `InputError` record.",
            "type": "array",
            "items": { "oneOf": [report, input_error] },
        }),
    );
    defs.insert(
        "ExtractManifest".to_owned(),
        serde_json::json!({
            "description": "One line of the manifest `installsift extract` prints: a node \
                as `scan` reports it, and where it was written.",
            "oneOf": [extract_line],
        }),
    );
    defs.insert(
        "DiffLine".to_owned(),
        serde_json::json!({
            "description": "One line of `installsift diff --format jsonl`: a path compared, \
                or the summary (the last line).",
            "oneOf": [diff_entry, diff_summary],
        }),
    );
    let mut root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "installsift scan output",
        "description": "One line of `installsift scan --format jsonl`: a node (`NodeInfo`, \
            parent before children) or the record of an input that could not be scanned \
            (`InputError`). `#/$defs/ScanJson` is the document `--format json` writes, \
            `#/$defs/ExtractManifest` a line of `installsift extract`'s manifest, \
            `#/$defs/DiffLine` a line of `installsift diff --format jsonl`. \
            Generated from the Rust types by `installsift schema`.",
        "x-installsift-contract": CONTRACT_VERSION,
        "oneOf": [node, input_error],
        "$defs": defs,
    });
    close_objects(&mut root);
    for def in ["/$defs/NodeInfo", "/$defs/Node", "/$defs/ExtractLine"] {
        if let Some(node) = root.pointer_mut(def) {
            family_iff_installer(node);
        }
    }
    sorted(root)
}

/// The schema as `installsift schema` prints it and
/// `docs/schema/installsift.schema.json` holds it: pretty JSON, keys
/// sorted, a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// `additionalProperties: false` on every object schema (walked keyword by
/// keyword: only schemas, never the values of `enum` or the names of
/// `properties`) that lists its properties and says nothing of others: report objects are closed, so a
/// field the schema does not know is drift, not an extension. (Maps, such
/// as an installer's `properties`, say what their values are and stay
/// open to any key.)
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            let required: Vec<Value> = match m.get("required") {
                Some(Value::Array(r)) => r.clone(),
                _ => Vec::new(),
            };
            if let Some(Value::Object(props)) = m.get_mut("properties") {
                for (name, p) in props.iter_mut() {
                    if !required.contains(&Value::String(name.clone())) {
                        never_null(p);
                    }
                }
            }
            for (keyword, child) in m.iter_mut() {
                match (keyword.as_str(), child) {
                    // Maps of names to schemas (a property may be called
                    // `properties`: the map itself is no schema).
                    ("properties" | "$defs" | "patternProperties", Value::Object(named)) => {
                        named.values_mut().for_each(close_objects);
                    }
                    // Lists of schemas.
                    ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(list)) => {
                        list.iter_mut().for_each(close_objects);
                    }
                    // One schema.
                    (
                        "items"
                        | "additionalProperties"
                        | "not"
                        | "if"
                        | "then"
                        | "else"
                        | "contains",
                        child,
                    ) => close_objects(child),
                    // Values (`enum`, `const`, `required`, descriptions).
                    _ => {}
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// The schema of a field that is not `required`, without `null`: serde
/// leaves out an empty `Option` field that may be absent
/// (`skip_serializing_if`) rather than write `null`, so a `null` there is
/// drift. (`Option` fields without it are `required`, and keep `null`.)
fn never_null(p: &mut Value) {
    let Value::Object(m) = p else { return };
    if let Some(Value::Array(types)) = m.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            m.insert("type".to_owned(), only);
        }
    }
    let is_null = |v: &Value| v.get("type").is_some_and(|t| t == "null");
    if let Some(Value::Array(alternatives)) = m.get("anyOf") {
        if alternatives.len() == 2 && alternatives.iter().any(is_null) {
            let kept = alternatives.iter().find(|v| !is_null(v)).cloned();
            if let Some(Value::Object(kept)) = kept {
                m.remove("anyOf");
                for (k, v) in kept {
                    m.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// A node's `family` is an installer family when its verdict is
/// `installer`, and `null` otherwise (the README's contract).
fn family_iff_installer(node: &mut Value) {
    if let Value::Object(m) = node {
        m.insert(
            "if".to_owned(),
            serde_json::json!({ "properties": { "verdict": { "const": "installer" } } }),
        );
        m.insert(
            "then".to_owned(),
            serde_json::json!({ "properties": { "family": { "$ref": "#/$defs/Family" } } }),
        );
        m.insert(
            "else".to_owned(),
            serde_json::json!({ "properties": { "family": { "type": "null" } } }),
        );
    }
}

/// The same value with every object's keys in order, whatever map
/// serde_json was built with (`preserve_order` keeps insertion order).
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}
