//! The Knative check shared by the adapter's manifest tests and the facade's quickstart test:
//! every generated object is validated against its CRD's OpenAPI v3 schema
//! (`crates/adapter-gcp/tests/knative-crds/`) as the Kubernetes API server does with strict
//! field validation.
//!
//! The validator is small and written here rather than the `jsonschema` crate because what must
//! be checked is Kubernetes' structural-schema rule, not JSON Schema's: a field the schema does
//! not name is unknown (rejected) unless `additionalProperties` or
//! `x-kubernetes-preserve-unknown-fields: true` allows it, `x-kubernetes-int-or-string` takes
//! either, and the root's `apiVersion`, `kind` and `metadata` are the API server's own
//! (ObjectMeta). JSON Schema allows unknown fields by default, so `jsonschema` would need the
//! schemas rewritten first, and its default features build reqwest and aws-lc-rs. The CRDs use
//! only `type`, `properties`, `required`, `items`, `additionalProperties`, `enum`, `anyOf`
//! (with int-or-string) and the `x-kubernetes-*` markers, which this covers.

#![allow(dead_code)]

use faasport_adapter_gcp::manifest::{knative, KnativeOptions};
use faasport_core::App;
use serde_json::Value;

/// A CRD's served version: `group/version`, kind, and schema.
pub struct Crd {
    pub api_version: String,
    pub kind: String,
    pub schema: Value,
}

pub fn crd(file: &str) -> Crd {
    // From the adapter's tests or the facade's.
    let root = env!("CARGO_MANIFEST_DIR");
    let path = [
        format!("{root}/tests/knative-crds/{file}"),
        format!("{root}/crates/adapter-gcp/tests/knative-crds/{file}"),
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("the Knative CRDs");
    let text = std::fs::read_to_string(&path).expect("CRD file");
    let crd: Value = serde_yaml_ng::from_str(&text).expect("CRD YAML");
    let version = crd["spec"]["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["storage"] == true))
        .expect("a storage version");
    Crd {
        api_version: format!(
            "{}/{}",
            crd["spec"]["group"].as_str().expect("group"),
            version["name"].as_str().expect("name")
        ),
        kind: crd["spec"]["names"]["kind"]
            .as_str()
            .expect("kind")
            .to_owned(),
        schema: version["schema"]["openAPIV3Schema"].clone(),
    }
}

pub fn crds() -> Vec<Crd> {
    [
        "serving-service.yaml",
        "eventing-trigger.yaml",
        "eventing-pingsource.yaml",
    ]
    .into_iter()
    .map(crd)
    .collect()
}

/// Validates one object as the API server would.
pub fn validate_object(object: &Value, crds: &[Crd]) -> Result<(), String> {
    let api_version = object["apiVersion"].as_str().ok_or("no apiVersion")?;
    let kind = object["kind"].as_str().ok_or("no kind")?;
    let crd = crds
        .iter()
        .find(|c| c.api_version == api_version && c.kind == kind)
        .ok_or(format!("no CRD serves {api_version} {kind}"))?;
    let map = object.as_object().ok_or("not an object")?;
    for (key, value) in map {
        match key.as_str() {
            "apiVersion" | "kind" => {}
            "metadata" => validate_metadata(value)?,
            _ => {
                let schema = crd.schema["properties"]
                    .get(key)
                    .ok_or(format!("unknown field `{key}`"))?;
                validate(value, schema, key)?;
            }
        }
    }
    Ok(())
}

/// The ObjectMeta fields a client sets.
pub fn validate_metadata(metadata: &Value) -> Result<(), String> {
    let map = metadata.as_object().ok_or("metadata is not an object")?;
    for (key, value) in map {
        match key.as_str() {
            "name" | "namespace" | "generateName" if value.is_string() => {}
            "labels" | "annotations"
                if value
                    .as_object()
                    .is_some_and(|m| m.values().all(Value::is_string)) => {}
            _ => return Err(format!("metadata.{key} is not a valid ObjectMeta field")),
        }
    }
    map.get("name")
        .and_then(Value::as_str)
        .ok_or("metadata.name is missing")?;
    Ok(())
}

pub fn validate(value: &Value, schema: &Value, path: &str) -> Result<(), String> {
    if schema["x-kubernetes-int-or-string"] == true {
        return if value.is_i64() || value.is_u64() || value.is_string() {
            Ok(())
        } else {
            Err(format!("{path}: expected an integer or a string"))
        };
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{path}: {value} is not one of {allowed:?}"));
        }
    }
    let ty = schema["type"].as_str().unwrap_or("");
    let fits = match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "" => true,
        other => return Err(format!("{path}: schema type `{other}` is not handled")),
    };
    if !fits {
        return Err(format!("{path}: expected {ty}, got {value}"));
    }
    if let Some(items) = value.as_array() {
        for (i, item) in items.iter().enumerate() {
            validate(item, &schema["items"], &format!("{path}[{i}]"))?;
        }
    }
    if let Some(map) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or("");
            if !map.contains_key(name) {
                return Err(format!("{path}: missing required `{name}`"));
            }
        }
        let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true;
        for (key, field) in map {
            let child = format!("{path}.{key}");
            if let Some(property) = schema["properties"].get(key) {
                validate(field, property, &child)?;
            } else if schema["additionalProperties"].is_object() {
                validate(field, &schema["additionalProperties"], &child)?;
            } else if !preserve {
                return Err(format!("{child}: unknown field"));
            }
        }
    }
    Ok(())
}

/// Every object of every file, by file.
pub fn objects(app: &App) -> Vec<(String, Vec<Value>)> {
    let files = knative(
        app,
        &KnativeOptions::new("europe-docker.pkg.dev/p/apps/shop:1"),
    )
    .expect("knative");
    files
        .into_iter()
        .map(|f| {
            let docs = f
                .contents
                .split("---\n")
                .filter(|d| !d.trim().is_empty())
                .map(|d| serde_yaml_ng::from_str::<Value>(d).expect("YAML document"))
                .collect();
            (f.path, docs)
        })
        .collect()
}
