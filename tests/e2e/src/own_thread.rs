//! Something the tests run on a thread and Tokio runtime of its own (the
//! gateway, the stand-in Kargo controller), so that it outlives any one
//! test's runtime; it is told to stop, and joined, when dropped.

use std::future::Future;

use tokio::sync::oneshot;

/// A task on its own thread and runtime.
#[derive(Debug)]
pub(crate) struct OwnThread {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OwnThread {
    /// Runs `task` on a new thread named `name` with a runtime of `workers`
    /// threads (0: a current-thread runtime). `task` gets the signal to
    /// stop and must end soon after it fires.
    pub(crate) fn spawn<F, Fut>(name: &str, workers: usize, task: F) -> Self
    where
        F: FnOnce(oneshot::Receiver<()>) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (stop, stopped) = oneshot::channel();
        let thread_name = name.to_owned();
        let thread = std::thread::Builder::new()
            .name(thread_name.clone())
            .spawn(move || {
                let mut builder = if workers == 0 {
                    tokio::runtime::Builder::new_current_thread()
                } else {
                    let mut builder = tokio::runtime::Builder::new_multi_thread();
                    builder.worker_threads(workers).thread_name(thread_name);
                    builder
                };
                let runtime = builder.enable_all().build().expect("a test runtime");
                runtime.block_on(task(stopped));
            })
            .expect("a test thread");
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Tells the task to stop and waits for its thread.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for OwnThread {
    fn drop(&mut self) {
        self.stop();
    }
}
