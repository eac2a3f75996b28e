//! Cost before spending: a token budget that stops asking (the rows after pass on,
//! unasked), and the estimate of a whole input without a request.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Call, Reply, Rows, Server, drain, options, person, provider, schema};
use iterable_enrich::{StageEvent, enrich, estimate};

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_spent_budget_passes_the_remaining_rows_on_unasked() {
    let server = Server::start(|c: &Call| Reply::answer(person(c.id()))).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let opts = options()
        .concurrency(1)
        .budget_tokens(40)
        .on_event(Arc::new(move |e: &StageEvent| {
            seen.lock().unwrap().push(e.clone())
        }));
    let stage = enrich(Rows::new(10), provider(&server, T), schema(), opts).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    assert_eq!(rows.len(), 10, "every row comes out: {rows:?}");
    let errors: Vec<String> = rows
        .iter()
        .map(|r| r.as_ref().unwrap()["_enrich_error"].to_string())
        .collect();
    assert_eq!(&errors[..3], ["", "", ""]);
    assert!(
        errors[3..]
            .iter()
            .all(|e| e == "not asked: the token budget of 40 tokens is spent"),
        "{errors:?}"
    );
    assert_eq!(
        server.counters.requests(),
        3,
        "15 tokens a request: 45 >= 40 after three"
    );
    let p = stats.snapshot();
    assert_eq!((p.rows_done, p.rows_failed, p.usage.total()), (3, 7, 45));
    assert_eq!(
        events.lock().unwrap().clone(),
        [StageEvent::BudgetSpent {
            budget: 40,
            used: 45
        }]
    );
}

#[tokio::test]
async fn the_estimate_renders_every_prompt_and_sends_nothing() {
    let server = Server::start(|_: &Call| panic!("a dry run sends no request")).await;
    let opts = options().completion_estimate(100);
    let e = estimate(Rows::new(5), &schema(), &opts, 2).await.unwrap();
    assert_eq!(e.prompts, ["id=0 text=row 0", "id=1 text=row 1"]);
    assert!(e.system.starts_with("You extract structured data"));
    assert_eq!((e.rows, e.requests, e.unrenderable), (5, 5, 0));
    assert_eq!(e.completion_tokens, 500);
    // five prompts of the same length: five times one request's estimate, which counts
    // the system message, the prompt and the schema at 4 characters a token
    assert_eq!(e.prompt_tokens % 5, 0);
    let one = e.prompt_tokens / 5;
    let chars = e.system.len() + "id=0 text=row 0".len();
    assert!(
        one > (chars / 4) as u64,
        "{one} tokens for {chars} characters and a schema"
    );
    assert_eq!(server.counters.requests(), 0);

    let missing = iterable_enrich::EnrichOptions::new().prompt("{bio}");
    let e = estimate(Rows::new(3), &schema(), &missing, 2)
        .await
        .unwrap();
    assert_eq!((e.rows, e.requests, e.unrenderable), (3, 0, 3));
}
