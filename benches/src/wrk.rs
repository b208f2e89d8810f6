//! Runs `wrk` (Debian's package; `scripts/bench` installs it) with a POST
//! body and reads its summary.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

/// One load run's settings.
#[derive(Debug, Clone)]
pub struct Load<'a> {
    /// Open connections.
    pub connections: usize,
    /// Length of the run.
    pub duration: Duration,
    /// Pin `wrk` (one thread) to this core.
    pub cpu: Option<usize>,
    /// The Lua script that sets method, body and headers.
    pub script: &'a Path,
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Requests answered over the run.
    pub requests: u64,
    /// Requests per second.
    pub requests_per_second: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Answers other than 2xx and 3xx.
    pub non_2xx: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
}

/// Writes a script that POSTs `body_file` with `headers`.
pub fn post_script(path: &Path, body_file: &Path, headers: &[(&str, &str)]) -> anyhow::Result<()> {
    let mut lua = String::from("wrk.method = \"POST\"\n");
    lua.push_str(&format!(
        "local file = assert(io.open({:?}, \"rb\"))\nwrk.body = file:read(\"*a\")\nfile:close()\n",
        body_file.display().to_string()
    ));
    for (name, value) in headers {
        lua.push_str(&format!("wrk.headers[{name:?}] = {value:?}\n"));
    }
    std::fs::write(path, lua).with_context(|| format!("writing {}", path.display()))
}

/// Runs `wrk -t1` against `url`.
pub fn run(url: &str, load: &Load<'_>) -> anyhow::Result<Measured> {
    let mut command = match load.cpu {
        Some(cpu) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpu.to_string()).arg("wrk");
            command
        }
        None => Command::new("wrk"),
    };
    let output = command
        .args(["-t1", "--latency"])
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.duration.as_secs().max(1)))
        .arg("-s")
        .arg(load.script)
        .arg(url)
        .output()
        .context("running wrk (install it with `apt-get install wrk`)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse(&text).with_context(|| format!("unexpected wrk output:\n{text}"))
}

/// Reads wrk's summary.
pub fn parse(text: &str) -> anyhow::Result<Measured> {
    let value_after = |label: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .map(str::trim)
    };
    let requests_per_second = value_after("Requests/sec:")
        .context("no Requests/sec")?
        .parse()?;
    // `1200000 requests in 10.00s, 200.00MB read`
    let requests = text
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .context("no request count")?
        .0
        .parse()?;
    let p50 = duration(value_after("50%").context("no 50% latency")?)?;
    let p99 = duration(value_after("99%").context("no 99% latency")?)?;
    let non_2xx = value_after("Non-2xx or 3xx responses:")
        .map_or(Ok(0), str::parse)
        .context("bad non-2xx count")?;
    let socket_errors = value_after("Socket errors:").map_or(0, |errors| {
        errors
            .split(',')
            .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    });
    Ok(Measured {
        requests,
        requests_per_second,
        p50,
        p99,
        non_2xx,
        socket_errors,
    })
}

/// `211.00us`, `1.25ms`, `2.00s`, `1.00m`.
fn duration(text: &str) -> anyhow::Result<Duration> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .context("no unit")?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        other => bail!("unknown unit {other:?}"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Running 10s test @ http://127.0.0.1:8090/harbor/x
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.12us  100.00us   5.00ms   90.00%
    Req/Sec   120.00k     2.00k  125.00k    80.00%
  Latency Distribution
     50%  498.00us
     75%  550.00us
     90%  600.00us
     99%    1.25ms
  1200000 requests in 10.00s, 200.00MB read
  Socket errors: connect 0, read 2, write 1, timeout 0
  Non-2xx or 3xx responses: 3
Requests/sec: 119876.54
Transfer/sec:     20.00MB
";

    #[test]
    fn reads_throughput_latency_and_errors() {
        let measured = parse(OUTPUT).expect("parses");
        assert_eq!(measured.requests, 1_200_000);
        assert_eq!(measured.requests_per_second, 119876.54);
        assert_eq!(measured.p50, Duration::from_micros(498));
        assert_eq!(measured.p99, Duration::from_micros(1250));
        assert_eq!(measured.non_2xx, 3);
        assert_eq!(measured.socket_errors, 3);
    }

    #[test]
    fn clean_runs_have_no_errors() {
        let clean: String = OUTPUT
            .lines()
            .filter(|l| !l.contains("Socket errors") && !l.contains("Non-2xx"))
            .map(|l| format!("{l}\n"))
            .collect();
        let measured = parse(&clean).expect("parses");
        assert_eq!((measured.non_2xx, measured.socket_errors), (0, 0));
        assert!(parse("garbage").is_err());
    }
}
