//! The guardian: a small `sh` process that runs the control plane's servers
//! as its children and guarantees that they stop and the data directory goes
//! away when the owning process goes, whatever way it goes.
//!
//! The owner holds the write end of the guardian's stdin. Commands arrive as
//! lines on it; end of input means "owner gone": the kernel closes the pipe
//! when the owner exits normally, panics, is killed by SIGKILL, or simply
//! never drops the harness because it sits in a `static`. The guardian then
//! stops every server (SIGTERM, SIGKILL after 10 s) and removes the data
//! directory. The normal path ([`Guardian::shut_down`]) closes the pipe the
//! same way and waits for the guardian to finish.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use crate::error::{Error, Result};

/// The guardian's program. `$1` is the data directory. Commands on stdin:
/// `start NAME` runs `$dir/NAME.run` (which execs the server) with its output
/// appended to `$dir/NAME.log` and replies `started PID`; `stop NAME` stops
/// that server, waits for it and replies `stopped`.
const GUARDIAN_SCRIPT: &str = r#"
# A reply to an owner that just died must not kill the guardian.
trap '' PIPE
dir=$1
running=
reply() { echo "$*" 2>/dev/null; }
stop_server() {
    pid=$1
    kill -TERM "$pid" 2>/dev/null
    # A paused (SIGSTOP) server only handles SIGTERM once continued.
    kill -CONT "$pid" 2>/dev/null
    (
        n=0
        while kill -0 "$pid" 2>/dev/null; do
            n=$((n + 1))
            if [ "$n" -eq 100 ]; then kill -KILL "$pid" 2>/dev/null; fi
            sleep 0.1
        done
    ) </dev/null >/dev/null 2>&1 &
    killer=$!
    wait "$pid" 2>/dev/null
    # The watchdog notices within 0.1 s; nothing outlives the guardian.
    wait "$killer" 2>/dev/null
}
while IFS=' ' read -r verb name; do
    case $name in
        ''|*[!a-z]*) reply "error bad server name"; continue ;;
    esac
    eval "pid=\${pid_$name:-}"
    case $verb in
        start)
            if [ -n "$pid" ]; then reply "error $name is already running"; continue; fi
            sh "$dir/$name.run" </dev/null >>"$dir/$name.log" 2>&1 &
            eval "pid_$name=$!"
            running="$name $running"
            reply "started $!"
            ;;
        stop)
            if [ -n "$pid" ]; then stop_server "$pid"; fi
            eval "pid_$name="
            reply "stopped"
            ;;
        *) reply "error unknown command" ;;
    esac
done
# The owner is gone: stop the servers, most recently started first (the API
# server before its etcd), then remove everything they wrote.
for name in $running; do
    eval "pid=\${pid_$name:-}"
    if [ -n "$pid" ]; then stop_server "$pid"; fi
    eval "pid_$name="
done
if [ -n "$dir" ]; then rm -rf -- "$dir"; fi
"#;

/// The owner's handle on the guardian process.
#[derive(Debug)]
pub(crate) struct Guardian {
    process: Child,
    /// `None` once shut down: dropping it is what tells the guardian to stop.
    commands: Option<ChildStdin>,
    replies: BufReader<ChildStdout>,
    data_dir: PathBuf,
}

impl Guardian {
    /// Starts a guardian for `data_dir`, which it removes when it ends.
    pub(crate) fn spawn(data_dir: &Path) -> Result<Self> {
        let mut process = Command::new("sh")
            // A process group of its own: signals sent to the owner's group
            // (Ctrl-C in a terminal, `kill -TERM -PGID`, a cancelled CI job)
            // must not kill the guardian or the servers before the guardian
            // has stopped them in order and cleaned up; it ends only when
            // its owner's pipe closes.
            .process_group(0)
            .arg("-c")
            .arg(GUARDIAN_SCRIPT)
            .arg("kargo-testenv-guardian")
            .arg(data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::io("starting the guardian (sh)", e))?;
        let commands = process.stdin.take();
        let replies = process
            .stdout
            .take()
            .map(BufReader::new)
            .ok_or_else(|| Error::Guardian("no stdout pipe".into()))?;
        Ok(Self {
            process,
            commands,
            replies,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// The log file of server `name`.
    pub(crate) fn log_path(&self, name: &str) -> PathBuf {
        self.data_dir.join(format!("{name}.log"))
    }

    /// Starts server `name` (lowercase letters only) as `program args...`
    /// and returns its process id.
    pub(crate) fn start(&mut self, name: &str, program: &Path, args: &[String]) -> Result<u32> {
        let run_file = self.data_dir.join(format!("{name}.run"));
        std::fs::write(&run_file, exec_line(program, args))
            .map_err(|e| Error::io(format!("writing {}", run_file.display()), e))?;
        let reply = self.exchange(&format!("start {name}"))?;
        reply
            .strip_prefix("started ")
            .and_then(|pid| pid.parse().ok())
            .ok_or_else(|| Error::Guardian(format!("starting {name}: {reply}")))
    }

    /// Stops server `name` (SIGTERM, SIGKILL after 10 s) and waits until it
    /// has exited. Stopping a server that is not running is not an error.
    pub(crate) fn stop(&mut self, name: &str) -> Result<()> {
        let reply = self.exchange(&format!("stop {name}"))?;
        if reply == "stopped" {
            Ok(())
        } else {
            Err(Error::Guardian(format!("stopping {name}: {reply}")))
        }
    }

    /// Stops every server, removes the data directory, and waits for the
    /// guardian to exit. Idempotent.
    pub(crate) fn shut_down(&mut self) -> Result<()> {
        // Closing the pipe is the signal; see the module comment.
        drop(self.commands.take());
        let status = self
            .process
            .wait()
            .map_err(|e| Error::io("waiting for the guardian", e))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::Guardian(format!("exited with {status}")))
        }
    }

    /// The guardian's own process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }

    fn exchange(&mut self, command: &str) -> Result<String> {
        let commands = self
            .commands
            .as_mut()
            .ok_or_else(|| Error::Guardian("already shut down".into()))?;
        writeln!(commands, "{command}")
            .and_then(|()| commands.flush())
            .map_err(|e| Error::io("sending a command to the guardian", e))?;
        let mut reply = String::new();
        let read = self
            .replies
            .read_line(&mut reply)
            .map_err(|e| Error::io("reading the guardian's reply", e))?;
        if read == 0 {
            return Err(Error::Guardian(format!(
                "it exited while handling `{command}`"
            )));
        }
        Ok(reply.trim_end().to_owned())
    }
}

impl Drop for Guardian {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; the guardian cleans up anyway
        // once its pipe is closed.
        let _ = self.shut_down();
    }
}

/// The run file's content: `exec` so that the server keeps the pid the
/// guardian reports.
fn exec_line(program: &Path, args: &[String]) -> String {
    let mut line = String::from("exec ");
    line.push_str(&shell_quote(&program.to_string_lossy()));
    for arg in args {
        line.push(' ');
        line.push_str(&shell_quote(arg));
    }
    line.push('\n');
    line
}

/// Single-quotes `word` for `sh`.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::is_running;
    use std::time::{Duration, Instant};

    /// A stand-in server: `sleep` runs until stopped.
    fn start_sleeper(guardian: &mut Guardian, name: &str) -> u32 {
        guardian
            .start(name, Path::new("sleep"), &["1000".into()])
            .unwrap_or_else(|e| panic!("starting {name}: {e}"))
    }

    fn eventually(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn data_dir() -> PathBuf {
        tempfile::Builder::new()
            .prefix("guardian-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("temp dir: {e}"))
            .keep()
    }

    #[test]
    fn stop_then_start_again_gives_a_new_process() {
        let dir = data_dir();
        let mut guardian = Guardian::spawn(&dir).unwrap_or_else(|e| panic!("{e}"));
        let first = start_sleeper(&mut guardian, "one");
        assert!(is_running(first));
        guardian.stop("one").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !is_running(first),
            "stop must wait until the process is gone"
        );
        let second = start_sleeper(&mut guardian, "one");
        assert_ne!(first, second);
        assert!(is_running(second));
        guardian.shut_down().unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn refuses_a_second_start_and_bad_names() {
        let dir = data_dir();
        let mut guardian = Guardian::spawn(&dir).unwrap_or_else(|e| panic!("{e}"));
        start_sleeper(&mut guardian, "one");
        assert!(
            guardian
                .start("one", Path::new("sleep"), &["1".into()])
                .is_err()
        );
        assert!(guardian.stop("has space").is_err());
        assert!(guardian.stop("../etc").is_err());
    }

    #[test]
    fn shut_down_stops_every_server_and_removes_the_directory() {
        let dir = data_dir();
        let mut guardian = Guardian::spawn(&dir).unwrap_or_else(|e| panic!("{e}"));
        let one = start_sleeper(&mut guardian, "one");
        let two = start_sleeper(&mut guardian, "two");
        std::fs::write(dir.join("state"), "x").unwrap_or_else(|e| panic!("{e}"));
        guardian.shut_down().unwrap_or_else(|e| panic!("{e}"));
        assert!(!is_running(one) && !is_running(two));
        assert!(!dir.exists());
    }

    #[test]
    fn a_paused_server_is_still_stopped() {
        let dir = data_dir();
        let mut guardian = Guardian::spawn(&dir).unwrap_or_else(|e| panic!("{e}"));
        let pid = start_sleeper(&mut guardian, "one");
        crate::process::signal(pid, rustix::process::Signal::STOP)
            .unwrap_or_else(|e| panic!("{e}"));
        guardian.stop("one").unwrap_or_else(|e| panic!("{e}"));
        assert!(!is_running(pid));
    }

    #[test]
    fn dropping_the_handle_cleans_up() {
        let dir = data_dir();
        let mut guardian = Guardian::spawn(&dir).unwrap_or_else(|e| panic!("{e}"));
        let pid = start_sleeper(&mut guardian, "one");
        drop(guardian);
        eventually("the server is gone", || !is_running(pid));
        assert!(!dir.exists());
    }

    #[test]
    fn quotes_words_for_sh() {
        assert_eq!(shell_quote("plain"), "'plain'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(
            exec_line(Path::new("/bin/echo"), &["a b".into(), "--x=1".into()]),
            "exec '/bin/echo' 'a b' '--x=1'\n"
        );
    }
}
