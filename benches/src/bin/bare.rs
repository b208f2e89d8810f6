//! `kargo-webhook-bare`: the baseline of the HTTP benchmark. An actix-web
//! server set up like the gateway's webhook server (one handler for every
//! path, the same worker and timeout settings) that reads the whole body and
//! answers 200 with a body the size of the gateway's answer, and does
//! nothing else. The gateway's cost above it is what the gateway adds.
//!
//! With `--work`, it also does the least that any receiver of a Harbor push
//! has to do: read the push's fields from the JSON body (serde_json, one
//! pass, strings borrowed) and write one log line for it (one `write` to
//! stderr). The gateway's cost above that is its own overhead, apart from
//! the work itself.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;
use serde::Deserialize;

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
    /// Also parse each body as a Harbor push and write a log line for it.
    #[arg(long)]
    work: bool,
}

/// Reading the body matters: actix closes the connection after a request
/// whose body was not read, and the baseline would then measure reconnects
/// (a baseline that skips the body looks 5-6 times slower than it is).
async fn answer(body: web::Bytes) -> HttpResponse {
    std::hint::black_box(body.len());
    ok()
}

fn ok() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ANSWER)
}

/// The fields of a Harbor push (Default format) a receiver reads.
#[derive(Deserialize)]
struct Push<'a> {
    #[serde(rename = "type", borrow)]
    event_type: &'a str,
    #[serde(borrow)]
    event_data: Data<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    resources: Vec<Resource<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow, default)]
    tag: Option<&'a str>,
    #[serde(borrow, default)]
    digest: Option<&'a str>,
    #[serde(borrow)]
    resource_url: &'a str,
}

thread_local! {
    static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The baseline plus the work: the push read, one line written.
async fn answer_with_work(body: web::Bytes) -> HttpResponse {
    let Ok(push) = serde_json::from_slice::<Push<'_>>(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    let time = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    LINE.with_borrow_mut(|line| {
        line.clear();
        let _ = write!(
            line,
            "{}.{:06}  INFO delivery provider=harbor status=200 type={}",
            time.as_secs(),
            time.subsec_micros(),
            push.event_type
        );
        for resource in &push.event_data.resources {
            let _ = write!(
                line,
                " repository={:?} tag={:?} digest={:?}",
                resource.resource_url,
                resource.tag.unwrap_or_default(),
                resource.digest.unwrap_or_default()
            );
        }
        line.push('\n');
        let _ = std::io::stderr().write_all(line.as_bytes());
    });
    ok()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let work = args.work;
    HttpServer::new(move || {
        let app = App::new();
        if work {
            app.default_service(web::to(answer_with_work))
        } else {
            app.default_service(web::to(answer))
        }
    })
    .workers(args.workers)
    .client_request_timeout(Duration::from_secs(5))
    .client_disconnect_timeout(Duration::from_secs(1))
    .bind(args.address)?
    .run()
    .await
}
