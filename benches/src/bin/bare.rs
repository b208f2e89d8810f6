//! `kargo-webhook-bare`: the baseline of the HTTP benchmark. An actix-web
//! server set up like the gateway's webhook server (one handler for every
//! path, the same worker and timeout settings) that reads the whole body and
//! answers 200 with a body the size of the gateway's answer, and does
//! nothing else. The gateway's cost above it is what the gateway adds.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;

/// The gateway's answer to a push that matches no Warehouse.
const ANSWER: &str = r#"{"msg":"refreshed 0 warehouse(s)","warehouses":[]}"#;

/// Serves the baseline endpoint until killed.
#[derive(Debug, Parser)]
#[command(name = "kargo-webhook-bare", about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    address: SocketAddr,
    /// Worker threads (the benchmark gives both servers one).
    #[arg(long, default_value_t = 1)]
    workers: usize,
}

/// Reading the body matters: actix closes the connection after a request
/// whose body was not read, and the baseline would then measure reconnects
/// (a baseline that skips the body looks 5-6 times slower than it is).
async fn answer(body: web::Bytes) -> HttpResponse {
    std::hint::black_box(body.len());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ANSWER)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    HttpServer::new(|| App::new().default_service(web::to(answer)))
        .workers(args.workers)
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .bind(args.address)?
        .run()
        .await
}
