//! `drbook simulator`: the VAO-compatible simulator as a server.

use super::args::SimulatorArgs;
use super::exit;
use crate::sim::{SimConfig, serve};

pub async fn simulator(args: &SimulatorArgs) -> u8 {
    let config = match &args.plans {
        Some(path) => match SimConfig::from_yaml_file(path) {
            Ok(config) => config,
            Err(message) => {
                say!("error: {message}");
                return exit::INVALID;
            }
        },
        None => SimConfig::demo(),
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            say!("error: cannot listen on {}: {e}", args.listen);
            return exit::FAILED;
        }
    };
    let addr = listener.local_addr().map_or(args.listen, |a| a);
    out!("drbook simulator listening on http://{addr}");
    say!(
        "{} plan(s); log in as {} (password {})",
        config.plans.len(),
        config.username,
        if args.plans.is_some() {
            "from the plans file"
        } else {
            "drbook"
        }
    );
    for plan in &config.plans {
        say!("  {}  {}  {}", plan.id, plan.state, plan.name);
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match serve(config, listener, shutdown).await {
        Ok(()) => exit::SUCCESS,
        Err(e) => {
            say!("error: simulator stopped: {e}");
            exit::FAILED
        }
    }
}
