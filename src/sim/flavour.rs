//! Which edition of the API the simulator speaks, and the one place that knows what each
//! edition changes at the edges: the API prefix, the token path, and the `data` envelope.
//!
//! The prefixes and token paths are read from Veeam's documentation on their own here
//! (this module uses nothing of the client), so a client that got one wrong would fail
//! the integration tests. Where VRO's documentation is silent, the simulator chooses, and
//! says so: the paging keys of a collection's envelope (`start`, `limit`, `totalCount`), the
//! page size it caps `limit` to, and that error answers keep VAO 3's `{"message": ...}`.

use serde_json::{Value, json};

/// The API edition the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimApi {
    /// VAO 3.0: `/api/v3`, `POST /token`, bare JSON answers, `enabled` on plans.
    #[default]
    Vao3,
    /// VRO 7.x: `/api/v7.21`, `POST /api/token`, answers in `{"success": true, "data": ...}`,
    /// paged collections, `planMode`, string results, `isRunningState` / `isStableState`.
    Vro7,
    /// VRO 13: as VRO 7.x under `/api/v13`.
    Vro13,
}

impl SimApi {
    pub const ALL: [SimApi; 3] = [SimApi::Vao3, SimApi::Vro7, SimApi::Vro13];

    /// `vao3`, `vro7`, `vro13`: the names of a runbook's `api:` and of `--api`.
    pub fn name(self) -> &'static str {
        match self {
            SimApi::Vao3 => "vao3",
            SimApi::Vro7 => "vro7",
            SimApi::Vro13 => "vro13",
        }
    }

    pub fn from_name(name: &str) -> Option<SimApi> {
        SimApi::ALL.into_iter().find(|api| api.name() == name)
    }

    /// The prefix of every API route.
    pub fn prefix(self) -> &'static str {
        match self {
            SimApi::Vao3 => "/api/v3",
            SimApi::Vro7 => "/api/v7.21",
            SimApi::Vro13 => "/api/v13",
        }
    }

    /// Where tokens are issued.
    pub fn token_path(self) -> &'static str {
        match self {
            SimApi::Vao3 => "/token",
            SimApi::Vro7 | SimApi::Vro13 => "/api/token",
        }
    }

    /// Whether this edition answers in `ResponseWrapper`s and has VDRO 5's plan fields.
    pub fn is_vro(self) -> bool {
        self != SimApi::Vao3
    }

    /// A successful answer's body: the value itself (VAO 3), or in the envelope.
    pub fn wrap(self, value: Value) -> Value {
        if self.is_vro() {
            json!({ "success": true, "data": value })
        } else {
            value
        }
    }

    /// A page of a collection in the envelope, with the simulator's paging keys.
    pub fn wrap_page(self, items: Vec<Value>, start: usize, limit: usize, total: usize) -> Value {
        json!({
            "success": true,
            "data": items,
            "start": start,
            "limit": limit,
            "totalCount": total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_edition_names_its_routes() {
        let table: Vec<_> = SimApi::ALL
            .iter()
            .map(|a| (a.name(), a.prefix(), a.token_path()))
            .collect();
        assert_eq!(
            table,
            [
                ("vao3", "/api/v3", "/token"),
                ("vro7", "/api/v7.21", "/api/token"),
                ("vro13", "/api/v13", "/api/token"),
            ]
        );
        assert_eq!(SimApi::from_name("vro13"), Some(SimApi::Vro13));
        assert_eq!(SimApi::Vao3.wrap(json!([1])), json!([1]));
        assert_eq!(
            SimApi::Vro7.wrap(json!({"id": 1})),
            json!({"success": true, "data": {"id": 1}})
        );
    }
}
