//! `drbook simulator`: the VAO-compatible simulator as a server.

use super::args::SimulatorArgs;
use super::exit::{Error, Exit, Outcome};
use crate::sim::{SimConfig, serve};

pub async fn simulator(args: &SimulatorArgs) -> Outcome {
    let mut config = match &args.plans {
        Some(path) => SimConfig::from_yaml_file(path).map_err(|e| Error::Refused(e.to_string()))?,
        None => SimConfig::demo(),
    };
    if let Some(api) = args.api {
        config.api = super::run::sim_api(api);
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::Failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().map_or(args.listen, |a| a);
    out!("drbook simulator listening on http://{addr}");
    say!(
        "{} API ({}, token endpoint {}); {} plan(s); log in as {} (password {})",
        config.api.name(),
        config.api.prefix(),
        config.api.token_path(),
        config.plans.len(),
        config.username,
        if args.plans.is_some() {
            "from the plans file"
        } else {
            crate::sim::DEFAULT_PASSWORD
        }
    );
    for plan in &config.plans {
        say!("  {}  {}  {}", plan.id, plan.state, plan.name);
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    serve(config, listener, shutdown)
        .await
        .map_err(|e| Error::Failed(format!("simulator stopped: {e}")))?;
    Ok(Exit::Success)
}
