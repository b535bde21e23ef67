//! The floor: the least any client can do to make a run's requests — one keep-alive reqwest
//! client on a single-threaded runtime sending drbook's exact sequence (the token, then per
//! step the plan read, the failover and, when waiting, one runtime-details read), reading
//! each answer and checking its status. No runbook, no journal, no report.
//!
//! It runs as its own process: the benchmark executable started again with `floor` as its
//! first argument.

use super::generate;
use super::server::{PASSWORD, TOKEN, USERNAME};

pub struct FloorArgs {
    pub server: String,
    pub steps: usize,
    pub wait: bool,
    pub ca_cert: Option<String>,
}

impl FloorArgs {
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            "floor".to_owned(),
            self.server.clone(),
            self.steps.to_string(),
            self.wait.to_string(),
        ];
        args.extend(self.ca_cert.clone());
        args
    }

    pub fn from_args(args: &[String]) -> Option<FloorArgs> {
        Some(FloorArgs {
            server: args.get(1)?.clone(),
            steps: args.get(2)?.parse().ok()?,
            wait: args.get(3)?.parse().ok()?,
            ca_cert: args.get(4).cloned(),
        })
    }
}

/// Runs the floor client; the process's exit code.
pub fn main(args: &FloorArgs) -> i32 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(requests(args)) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("floor: {message}");
            1
        }
    }
}

async fn requests(args: &FloorArgs) -> Result<(), String> {
    let mut builder = reqwest::Client::builder().tcp_nodelay(true).no_proxy();
    if let Some(path) = &args.ca_cert {
        let pem = std::fs::read(path).map_err(|e| e.to_string())?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string())?;
        builder = builder.tls_certs_merge(certs);
    }
    if args.server.starts_with("http://") {
        // As drbook does: over plain HTTP the platform's certificate roots are not loaded.
        builder = builder.tls_certs_only([]);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let check = |response: reqwest::Response| async move {
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("answered {status}"))
        }
    };
    let token = client
        .post(format!("{}/token", args.server))
        .form(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(token).await?;
    let body =
        br#"{"executeChainedPlans":false,"restorePointDate":null,"protectStorageVolumes":true}"#;
    for id in generate::plan_ids(args.steps) {
        let plan = client
            .get(format!("{}/api/v3/Plans/{id}", args.server))
            .bearer_auth(TOKEN)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        check(plan).await?;
        let failover = client
            .post(format!("{}/api/v3/Plans/{id}/Failover", args.server))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(&body[..])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        check(failover).await?;
        if args.wait {
            let details = client
                .get(format!("{}/api/v3/RuntimeDetails/Plans/{id}", args.server))
                .bearer_auth(TOKEN)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            check(details).await?;
        }
    }
    Ok(())
}
