//! The field's own tools reading cosect's results: the OASIS
//! `stix2-validator` and PyMISP (both installed by `.ci/run`).

use std::process::Command;

use serde_json::Value;

use super::{have_tool, json, Env};

/// Whether the Python packages are importable (`.ci/run` installs them).
pub fn have_python(module: &str, package: &str) -> bool {
    have_tool(
        &format!("python3 with {package}"),
        Command::new("python3").args(["-c", &format!("import {module}")]),
    )
}

/// stix2-validator's verdict on `file`, strict (warnings count as errors):
/// `Ok(())` or every message it gave.
pub fn stix_validate(env: &Env, file: &str) -> Result<(), String> {
    let script = r#"
import json, sys
from stix2validator import validate_file, ValidationOptions
r = validate_file(sys.argv[1], ValidationOptions(strict=True, version="2.1"))
msgs = [f"{o.object_id}: {m}" for o in r.object_results for m in list(o.errors) + list(o.warnings)]
msgs += [str(e) for e in (r.fatal,) if e]
print(json.dumps({"valid": bool(r.is_valid), "messages": msgs}))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &env.path(file).to_string_lossy()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out.stdout);
    let msgs: Vec<String> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    if v["valid"] == true && msgs.is_empty() {
        Ok(())
    } else {
        Err(msgs.join("\n"))
    }
}

/// The event as PyMISP loaded it: info, event tags, and per attribute
/// (type, category, value, to_ids, tags).
pub fn pymisp_load(env: &Env, file: &str) -> Value {
    let script = r#"
import json, sys
from pymisp import MISPEvent
e = MISPEvent()
e.load_file(sys.argv[1])
print(json.dumps({
    "info": e.info,
    "distribution": int(e.distribution),
    "tags": [t.name for t in e.tags],
    "attributes": [[a.type, a.category, a.value, a.to_ids, [t.name for t in a.tags]] for a in e.attributes],
}))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &env.path(file).to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyMISP could not load {file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}
