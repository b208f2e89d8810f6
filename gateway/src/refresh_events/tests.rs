use std::sync::Mutex;

use kargo_webhook_provider::RepoKey;

use super::*;

/// What a writer was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Written {
    Created { warehouse: String, note: String },
    Series { event: String, count: i32 },
}

/// Records every write; Warehouses named `gone` no longer exist.
#[derive(Default)]
struct Recording(Mutex<Vec<Written>>);

impl Recording {
    fn written(&self) -> Vec<Written> {
        self.0.lock().expect("lock").clone()
    }
}

impl EventWriter for Recording {
    fn create<'a>(&'a self, new: NewEvent<'a>) -> Writing<'a, Option<String>> {
        Box::pin(async move {
            if new.warehouse.name() == "gone" {
                return Ok(None);
            }
            self.0.lock().expect("lock").push(Written::Created {
                warehouse: new.warehouse.to_string(),
                note: new.note.to_owned(),
            });
            Ok(Some(format!("{}.event", new.warehouse.name())))
        })
    }

    fn update<'a>(&'a self, update: &'a SeriesUpdate) -> Writing<'a, ()> {
        Box::pin(async move {
            self.0.lock().expect("lock").push(Written::Series {
                event: update.event.clone(),
                count: update.count,
            });
            Ok(())
        })
    }
}

/// A started task writing to a fresh [`Recording`].
fn started() -> (Arc<Recording>, Arc<Metrics>, RefreshEvents, JoinHandle<()>) {
    let writer = Arc::new(Recording::default());
    let metrics = Arc::new(Metrics::new());
    let (events, task) = RefreshEvents::start(
        Arc::clone(&writer) as Arc<dyn EventWriter>,
        WINDOW,
        Arc::clone(&metrics),
    );
    (writer, metrics, events, task)
}

fn cause(tag: &str) -> Cause {
    let mut push =
        PushedRepository::new(RepoKey::image("harbor.example.com/library/nginx").expect("valid"));
    push.add_tag("latest");
    push.add_tag(tag);
    Cause {
        push: Arc::new(push),
        subject: Some(SubjectAt::Tag(1)),
    }
}

fn receiver() -> Arc<str> {
    Arc::from("kargo-demo/kargo-demo#harbor")
}

const WINDOW: Duration = Duration::from_secs(60);

#[tokio::test(start_paused = true)]
async fn a_burst_gives_one_event_per_warehouse_and_one_series_update() {
    let (writer, metrics, events, task) = started();
    let receiver = receiver();
    for i in 0..1000 {
        events.refreshed(
            WarehouseId::new("kargo-demo", "nginx"),
            &receiver,
            cause(&format!("1.27.{i}")),
        );
        events.refreshed(
            WarehouseId::new("kargo-demo", "gone"),
            &receiver,
            cause("1.0.0"),
        );
        if i % 100 == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    tokio::time::sleep(WINDOW / 2).await;
    assert_eq!(
        writer.written(),
        [Written::Created {
            warehouse: "kargo-demo/nginx".into(),
            note: "Refreshed for a push of harbor.example.com/library/nginx tag 1.27.0, received \
                   by webhook receiver kargo-demo/kargo-demo#harbor"
                .into(),
        }],
        "one Event while the window is open; none for a Warehouse that is gone"
    );
    tokio::time::sleep(WINDOW).await;
    assert_eq!(
        writer.written()[1..],
        [Written::Series {
            event: "nginx.event".into(),
            count: 1000
        }]
    );
    // The next refresh opens the next window.
    events.refreshed(
        WarehouseId::new("kargo-demo", "nginx"),
        &receiver,
        cause("2.0.0"),
    );
    drop(events);
    task.await.expect("the task ends with its last handle");
    assert_eq!(writer.written().len(), 3);
    let text = metrics.encode();
    assert!(
        text.contains("kargo_webhook_refresh_events_total{result=\"created\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("kargo_webhook_refresh_events_total{result=\"updated\"} 1"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_drops_and_counts_instead_of_waiting() {
    let (_writer, metrics, events, _task) = started();
    let receiver = receiver();
    // Without a yield the task reads nothing: the queue fills up.
    for _ in 0..QUEUE + 7 {
        events.refreshed(WarehouseId::new("a", "w"), &receiver, cause("1.0.0"));
    }
    assert!(
        metrics
            .encode()
            .contains("kargo_webhook_refresh_events_total{result=\"dropped\"} 7")
    );
    RefreshEvents::disabled().refreshed(WarehouseId::new("a", "w"), &receiver, cause("1.0.0"));
}

#[test]
fn notes_name_receiver_repository_and_tag_within_the_api_limit() {
    let mut push =
        PushedRepository::new(RepoKey::git("https://github.com/example/app").expect("valid"));
    push.add_ref("refs/heads/main");
    let subject = SubjectAt::of(&push, Subject::Ref("refs/heads/main"));
    assert_eq!(subject, Some(SubjectAt::Ref(0)));
    let notice = Notice {
        warehouse: WarehouseId::new("a", "w"),
        receiver: receiver(),
        cause: Cause {
            push: Arc::new(push.clone()),
            subject,
        },
    };
    assert_eq!(
        note(&notice),
        "Refreshed for a push of github.com/example/app ref refs/heads/main, received by \
         webhook receiver kargo-demo/kargo-demo#harbor"
    );
    let unnamed = Notice {
        cause: Cause {
            push: Arc::new(push),
            subject: None,
        },
        ..notice
    };
    assert_eq!(
        note(&unnamed),
        "Refreshed for a push of github.com/example/app, received by webhook receiver \
         kargo-demo/kargo-demo#harbor"
    );
    let long = Notice {
        cause: cause(&"é".repeat(800)),
        ..unnamed
    };
    assert!(note(&long).len() <= MAX_NOTE);
    assert!(
        note(&long).starts_with("Refreshed for a push of harbor.example.com/library/nginx tag é")
    );
}
