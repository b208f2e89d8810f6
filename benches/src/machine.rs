//! The machine a run happened on, and waiting for it to be quiet: other
//! people's compilers on the same cores would otherwise be measured too.

use std::time::{Duration, Instant};

/// What the report says about the machine.
#[derive(Debug)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Cores this process may use.
    pub cores: usize,
    /// Total memory in GiB.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
}

impl Machine {
    /// Reads `/proc`.
    pub fn describe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, name)| name.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .unwrap_or(0.0);
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }

    /// One line for the report.
    pub fn summary(&self) -> String {
        format!(
            "{} cores of {}, {:.0} GiB, Linux {}",
            self.cores, self.cpu, self.memory_gib, self.kernel
        )
    }
}

/// The 1-minute load average.
pub fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Waits until the 1-minute load is below `max` or `patience` has passed,
/// and returns the load measurement starts at.
pub async fn wait_for_quiet(max: f64, patience: Duration) -> f64 {
    let deadline = Instant::now() + patience;
    let mut said = false;
    loop {
        let load = load1();
        if load < max || Instant::now() >= deadline {
            if load >= max {
                eprintln!(
                    "  load {load:.2} is still above {max}: measuring anyway (see the table notes)"
                );
            }
            return load;
        }
        if !said {
            eprintln!("  waiting for the 1-minute load ({load:.2}) to drop below {max} ...");
            said = true;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}
