//! Streaming JSON walk for STIX 2.1 bundles and MISP exports.
//!
//! serde visitors walk the document and its arrays element by element; no
//! `serde_json::Value` is built for the whole document, only one per STIX
//! object, and one small string per MISP attribute field used. A 2 GB
//! MISP export therefore needs memory for the entries, not for the file.
//!
//! Accepted shapes (the format is decided by the keys met):
//! - STIX: `{"type": "bundle", "objects": [...]}`
//! - MISP: `{"Event": {...}}` (event export: `Attribute` and `Object[].Attribute`),
//!   `{"response": [{"Event": {...}}, ...]}`, `{"response": {"Attribute": [...]}}`,
//!   `{"Attribute": [...]}`, `[{"Event": ...}, ...]` and a plain list of
//!   attributes `[{"type": ..., "value": ...}, ...]`.

use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{misp, stix, InputError, InputFormat, Pos, Sink};

struct State<'s> {
    sink: &'s mut dyn Sink,
    want: Option<InputFormat>,
    seen: Option<InputFormat>,
    err: Option<InputError>,
    top_type: Option<String>,
}

impl State<'_> {
    fn enter(&mut self, f: InputFormat) -> Result<(), InputError> {
        if let Some(w) = self.want {
            if w != f {
                return Err(InputError::Format(format!(
                    "this is {} JSON, not {} (--input-format {})",
                    f.name(),
                    w.name(),
                    if w == InputFormat::Stix { "stix" } else { "misp" }
                )));
            }
        }
        if let Some(s) = self.seen {
            if s != f {
                return Err(InputError::Format("the file mixes STIX and MISP content".into()));
            }
        }
        self.seen = Some(f);
        Ok(())
    }

    /// Stash a reader error and stop the walk with a placeholder.
    fn fail<E: de::Error>(&mut self, e: InputError) -> E {
        self.err = Some(e);
        E::custom("stopped")
    }
}

/// Where a JSON map sits in a MISP export.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    Event,
    Object,
}

/// Read a STIX bundle or MISP export; returns which one it was.
pub fn read<R: BufRead>(
    mut reader: R,
    want: Option<InputFormat>,
    sink: &mut dyn Sink,
) -> Result<InputFormat, InputError> {
    if reader.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        reader.consume(3);
    }
    let mut st = State {
        sink,
        want,
        seen: None,
        err: None,
        top_type: None,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let res = Top(&mut st).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = st.err.take() {
        return Err(e);
    }
    res.map_err(json_error)?;
    match (st.seen, st.top_type.as_deref()) {
        (Some(f), _) => Ok(f),
        (None, Some("bundle")) => {
            st.enter(InputFormat::Stix)?;
            Ok(InputFormat::Stix)
        }
        _ => Err(InputError::Format(
            "this JSON is neither a STIX 2.1 bundle (\"type\": \"bundle\") nor a MISP export (\"Event\" or \"Attribute\")"
                .into(),
        )),
    }
}

fn json_error(e: serde_json::Error) -> InputError {
    if e.is_io() {
        return InputError::Io(e.into());
    }
    let full = e.to_string();
    let msg = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => &full[..],
    };
    InputError::Json {
        line: e.line(),
        column: e.column(),
        msg: super::shown(msg),
    }
}

/// The document: an object or a list.
struct Top<'a, 's>(&'a mut State<'s>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a STIX bundle or MISP export (a JSON object or list)")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        MapItem {
            st: self.0,
            ctx: Ctx::Top,
            pos: Pos::Item("document", 1),
        }
        .visit_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        List {
            st: self.0,
            ctx: Ctx::Top,
            name: "list item",
        }
        .visit_seq(seq)
    }
}

/// A list of MISP maps (events, attributes, objects).
struct List<'a, 's> {
    st: &'a mut State<'s>,
    ctx: Ctx,
    name: &'static str,
}

impl<'de> DeserializeSeed<'de> for List<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list ({})", self.name)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0u64;
        loop {
            n += 1;
            let item = MapItem {
                st: &mut *self.st,
                ctx: self.ctx,
                pos: Pos::Item(self.name, n),
            };
            if seq.next_element_seed(item)?.is_none() {
                return Ok(());
            }
        }
    }
    // `"response": {"Attribute": [...]}` in a MISP restSearch export.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        MapItem {
            st: self.st,
            ctx: Ctx::Top,
            pos: Pos::Item(self.name, 1),
        }
        .visit_map(map)
    }
}

/// One JSON object: the document, a MISP event, object or attribute.
struct MapItem<'a, 's> {
    st: &'a mut State<'s>,
    ctx: Ctx,
    pos: Pos,
}

fn string(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

impl<'de> DeserializeSeed<'de> for MapItem<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MapItem<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.st;
        let (mut ty, mut value, mut uuid, mut deleted, mut event) = (None, None, None, false, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "type" => ty = string(map.next_value()?),
                "value" => value = string(map.next_value()?),
                "uuid" => uuid = string(map.next_value()?),
                "event_id" => {
                    event = match map.next_value::<serde_json::Value>()? {
                        serde_json::Value::String(s) => Some(s),
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    }
                }
                "deleted" => deleted = map.next_value::<serde_json::Value>()? == serde_json::Value::Bool(true),
                other => match nested(self.ctx, other) {
                    Some(n) => {
                        let format = if n == Nested::Stix {
                            InputFormat::Stix
                        } else {
                            InputFormat::Misp
                        };
                        st.enter(format).map_err(|e| st.fail(e))?;
                        match n {
                            Nested::Stix => map.next_value_seed(StixObjects(&mut *st))?,
                            Nested::Event => map.next_value_seed(MapItem {
                                st: &mut *st,
                                ctx: Ctx::Event,
                                pos: Pos::Item("Event", 1),
                            })?,
                            Nested::List(ctx, name) => map.next_value_seed(List {
                                st: &mut *st,
                                ctx,
                                name,
                            })?,
                        }
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        if self.ctx == Ctx::Top && matches!(self.pos, Pos::Item("document", _)) {
            st.top_type = ty;
            return Ok(());
        }
        if let (Some(ty), Some(value)) = (ty, value) {
            st.enter(InputFormat::Misp).map_err(|e| st.fail(e))?;
            let ids = misp::Ids {
                uuid: uuid.as_deref(),
                event: event.as_deref(),
            };
            misp::attribute(&ty, &value, ids, deleted, self.pos, st.sink).map_err(|e| st.fail(e))?;
        }
        Ok(())
    }
}

/// What a key of a map holds that the reader descends into.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nested {
    /// A STIX bundle's `objects`.
    Stix,
    /// A MISP export's `Event` object.
    Event,
    /// A list of MISP maps, read in this context, named so in errors.
    List(Ctx, &'static str),
}

/// What `key` holds in a map read in `ctx`, if the reader descends into it.
fn nested(ctx: Ctx, key: &str) -> Option<Nested> {
    let named = |top, event, object| match ctx {
        Ctx::Top => top,
        Ctx::Event => event,
        Ctx::Object => object,
    };
    Some(match key {
        "objects" if ctx == Ctx::Top => Nested::Stix,
        "response" if ctx == Ctx::Top => Nested::List(Ctx::Top, "response"),
        "Event" if ctx == Ctx::Top => Nested::Event,
        "Attribute" => Nested::List(
            if ctx == Ctx::Object { Ctx::Object } else { Ctx::Event },
            named("Attribute", "Event.Attribute", "Event.Object.Attribute"),
        ),
        "Object" if ctx != Ctx::Object => Nested::List(Ctx::Object, named("Object", "Event.Object", "Event.Object")),
        _ => return None,
    })
}

/// The `objects` list of a STIX bundle: one `Value` per object.
struct StixObjects<'a, 's>(&'a mut State<'s>);

impl<'de> DeserializeSeed<'de> for StixObjects<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for StixObjects<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the list of STIX objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0u64;
        while let Some(obj) = seq.next_element::<serde_json::Value>()? {
            n += 1;
            stix::object(&obj, Pos::Item("objects", n), self.0.sink).map_err(|e| self.0.fail(e))?;
        }
        Ok(())
    }
}
