//! Answers as the server wraps them. VAO 3 answers the object (or the array) itself; since
//! VDRO 5 an answer may come in a `ResponseWrapper` (`{"success": true, "data": ...}`), and
//! collections come as `data` arrays with `start` / `limit` paging. HAL `_links` may sit
//! beside the fields. drbook reads every edition's answer the same way, whatever flavour it
//! was told: an envelope is unwrapped wherever it appears, and `_links` is never read.
//!
//! Which keys name the envelope's paging totals is not documented: `totalCount`, `total`
//! and `count` are each accepted, and without one the pages end when one comes back short.

use serde_json::Value;

/// The member of an object named `name`, matched case-insensitively like ASP.NET does.
pub fn member<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Whether an object is an envelope rather than a resource: it holds `data` (an object or
/// an array) and none of a resource's own identifying fields.
fn is_envelope(value: &Value) -> bool {
    let data = member(value, "data").is_some_and(|d| d.is_object() || d.is_array());
    data && member(value, "id").is_none() && member(value, "state").is_none()
}

/// The resource inside any number of envelopes. An envelope that says `success: false`
/// is an error, with whatever message it carries.
pub fn unwrap(mut value: &Value) -> Result<&Value, String> {
    loop {
        if member(value, "success").and_then(Value::as_bool) == Some(false) {
            let said = ["message", "error", "errors"]
                .iter()
                .find_map(|k| member(value, k))
                .map(|m| match m {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| "(no message)".to_owned());
            return Err(format!("the server answered success: false: {said}"));
        }
        if !is_envelope(value) {
            return Ok(value);
        }
        value = member(value, "data").unwrap_or(value);
    }
}

/// One page of a collection: its items, the total the envelope says there are, and the
/// page size the server says it applied (it may cap the `limit` asked for).
#[derive(Debug)]
pub struct Page<'a> {
    pub items: Vec<&'a Value>,
    pub total: Option<u64>,
    pub limit: Option<u64>,
}

/// Reads a collection answer: a bare array (VAO 3), or a `data` array in an envelope.
pub fn page(value: &Value) -> Result<Page<'_>, String> {
    let total = ["totalCount", "total", "count"]
        .iter()
        .find_map(|k| member(value, k).and_then(Value::as_u64));
    let limit = member(value, "limit").and_then(Value::as_u64);
    match unwrap(value)? {
        Value::Array(items) => Ok(Page {
            items: items.iter().collect(),
            total,
            limit,
        }),
        _ => Err("not a list".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes_are_unwrapped_wherever_they_appear() {
        let plan = json!({"id": "p", "state": "Verified", "_links": {"self": {"href": "/x"}}});
        assert_eq!(unwrap(&plan), Ok(&plan));
        let wrapped = json!({"success": true, "data": plan.clone()});
        assert_eq!(unwrap(&wrapped), Ok(&plan));
        let twice = json!({"data": {"success": true, "data": plan.clone()}});
        assert_eq!(unwrap(&twice), Ok(&plan));
        // A resource that happens to hold a `data` field is no envelope.
        let resource = json!({"id": "p", "data": {"x": 1}});
        assert_eq!(unwrap(&resource), Ok(&resource));
        let failed = json!({"success": false, "message": "Plan is locked"});
        assert_eq!(
            unwrap(&failed),
            Err("the server answered success: false: Plan is locked".to_owned())
        );
    }

    #[test]
    fn collections_come_bare_or_in_data_with_paging() {
        let bare = json!([{"id": "a"}, {"id": "b"}]);
        let page_of = |v: &Value| {
            let p = page(v).unwrap();
            (p.items.len(), p.total)
        };
        assert_eq!(page_of(&bare), (2, None));
        let vro = json!({"success": true, "data": [{"id": "a"}], "start": 0, "limit": 1, "totalCount": 3});
        assert_eq!(page_of(&vro), (1, Some(3)));
        let third_party = json!({"data": [{"id": "a", "planMode": "Enabled"}]});
        assert_eq!(page_of(&third_party), (1, None));
        assert!(page(&json!({"id": "a", "state": "Verified"})).is_err());
    }
}
