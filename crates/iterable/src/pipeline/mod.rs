//! [`apipeline`]: stages over any iterable (map, filter, try_map, select, rename, take,
//! skip, triggers every N rows, a finish hook), whose result is again an iterable, ending
//! in a writer, a collection or a count.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use iterable::{apipeline, from_rows, row, Row, Value};
//!
//! let rows: Vec<Row> = (0..10).map(|i| row! { "id" => i, "name" => format!("n{i}") }).collect();
//! let out = apipeline(from_rows("memory", rows))
//!     .filter(|r| r.get("id").and_then(Value::as_i64).is_some_and(|i| i % 2 == 0))
//!     .map(|mut r| {
//!         r.insert("even", true);
//!         r
//!     })
//!     .rename("name", "label")
//!     .select(["id", "label", "even"])
//!     .skip(1)
//!     .take(2)
//!     .collect()
//!     .await?;
//! assert_eq!(out, [
//!     row! { "id" => 2, "label" => "n2", "even" => true },
//!     row! { "id" => 4, "label" => "n4", "even" => true },
//! ]);
//! # Ok::<(), iterable::Error>(())
//! # }).unwrap();
//! ```

mod concurrent;
mod errors;
mod stage;

use std::future::Future;
use std::sync::Arc;

use iterable_core::{BoxIterable, Error, ErrorPolicy, IterableInfo, Progress, Result, Row};

use concurrent::Concurrent;
use errors::StagePolicy;
use stage::{Each, SOURCE_BATCH, Stage, Stages, Step};

use crate::progress::{ProgressEvent, ProgressEvery, with_progress};

/// Stages over an iterable; see [`apipeline`]. The source is read in bulk and each row
/// goes through the stages one after the other, straight into what consumes it, in
/// constant memory.
pub struct Pipeline {
    source: BoxIterable,
    stages: Stages,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("source", self.source.info())
            .finish_non_exhaustive()
    }
}

/// An iterable over rows in memory (format `rows`), to start a pipeline or to feed a
/// writer.
pub fn from_rows(name: &str, rows: impl IntoIterator<Item = Row>) -> BoxIterable {
    let rows: Vec<Row> = rows.into_iter().collect();
    let info = IterableInfo {
        encoding: None,
        location: name.to_owned(),
        format: iterable_core::Format::new("rows"),
        codec: iterable_core::Codec::None,
        mode: iterable_core::Mode::Read,
    };
    let ctx = iterable_formats::ReadContext::new(info, iterable_core::Options::default());
    iterable_formats::rows_iterable(ctx, rows.into_iter().map(Ok))
}

/// Starts a pipeline over `source` (any [`AsyncIterable`](crate::AsyncIterable): a reader, another pipeline,
/// an enrichment stage).
pub fn apipeline(source: BoxIterable) -> Pipeline {
    Pipeline {
        source,
        stages: Stages::default(),
    }
}

impl Pipeline {
    fn stage(mut self, f: impl FnMut(Row) -> Step + Send + 'static) -> Pipeline {
        self.stages.push_fn(f);
        self
    }

    /// The source and the stages so far as one iterable (the start of the next part,
    /// for a stage that is not a function of one row).
    fn fused(self) -> BoxIterable {
        if self.stages.is_empty() {
            return self.source;
        }
        Box::new(Stage::new(self.source, self.stages))
    }

    /// A pipeline that starts from `source` (a part already fused).
    fn from_part(source: BoxIterable) -> Pipeline {
        apipeline(source)
    }

    fn location(&self) -> String {
        self.source.info().location.clone()
    }

    /// A `map_concurrent` stage after what there is so far (its skips counted by it).
    fn concurrent<F, Fut>(self, limit: usize, ordered: bool, errors: ErrorPolicy, f: F) -> Pipeline
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Row>> + Send + 'static,
    {
        let policy = StagePolicy::new(errors, Arc::default(), self.location(), "map_concurrent");
        let source = Concurrent::new(self.fused(), limit, ordered, policy, f);
        Pipeline::from_part(Box::new(source))
    }

    /// Each row replaced by `f(row)`.
    pub fn map(self, mut f: impl FnMut(Row) -> Row + Send + 'static) -> Pipeline {
        self.stage(move |row| Step::One(f(row)))
    }

    /// Only the rows `keep` says yes to.
    pub fn filter(self, mut keep: impl FnMut(&Row) -> bool + Send + 'static) -> Pipeline {
        self.stage(move |row| {
            if keep(&row) {
                Step::One(row)
            } else {
                Step::Skip
            }
        })
    }

    /// Only the rows that pass `filter`, an expression such as `amount > 100 and city
    /// in ('Berlin', 'Paris')` (see [`RowFilter`](crate::RowFilter)).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use iterable::{RowFilter, apipeline, from_rows, row};
    ///
    /// let rows = from_rows("mem", [row! { "n" => 1 }, row! { "n" => 5 }, row! { "n" => 9 }]);
    /// let filter = RowFilter::parse("n >= 5")?;
    /// let kept = apipeline(rows).filter_where(filter).collect().await?;
    /// assert_eq!(kept.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn filter_where(self, filter: crate::RowFilter) -> Pipeline {
        self.filter(move |row| filter.matches(row))
    }

    /// Each row replaced by `f(row)`, or dropped when it is `None`.
    pub fn filter_map(self, mut f: impl FnMut(Row) -> Option<Row> + Send + 'static) -> Pipeline {
        self.stage(move |row| match f(row) {
            Some(row) => Step::One(row),
            None => Step::Skip,
        })
    }

    /// Each row replaced by the rows `f(row)` gives (none, one or many).
    pub fn flat_map<I>(self, mut f: impl FnMut(Row) -> I + Send + 'static) -> Pipeline
    where
        I: IntoIterator<Item = Row>,
    {
        self.stage(move |row| Step::Many(f(row).into_iter().collect()))
    }

    /// Each row replaced by `f(row)`; an error goes to `errors`: with
    /// [`ErrorPolicy::Fail`] it is the pipeline's error, naming the source and the row;
    /// with `Skip` the row is dropped and counted in `progress().skipped`; with
    /// `DeadLetter(path)` it is also written to that JSON Lines file, the row as JSON
    /// with its number and the error.
    pub fn try_map(
        mut self,
        errors: ErrorPolicy,
        mut f: impl FnMut(Row) -> Result<Row> + Send + 'static,
    ) -> Pipeline {
        let policy = StagePolicy::new(
            errors,
            self.stages.skipped.clone(),
            self.location(),
            "try_map",
        );
        let keeps = policy.keeps_rows();
        let mut n = 0u64;
        self.stages.push(Box::new(TryMap {
            policy,
            f: move |row: Row| {
                n += 1;
                let copy = keeps.then(|| row.clone());
                (n, copy, f(row))
            },
        }));
        self
    }

    /// Calls `f` on each row as it passes.
    pub fn inspect(self, mut f: impl FnMut(&Row) + Send + 'static) -> Pipeline {
        self.stage(move |row| {
            f(&row);
            Step::One(row)
        })
    }

    /// The first `n` rows only; reading stops there.
    pub fn take(self, n: u64) -> Pipeline {
        let mut left = n;
        if n == 0 {
            return self.stage(|_| Step::end());
        }
        self.stage(move |row| {
            left -= 1;
            if left == 0 {
                Step::Stop(vec![row], None)
            } else {
                Step::One(row)
            }
        })
    }

    /// All but the first `n` rows.
    pub fn skip(self, n: u64) -> Pipeline {
        let mut left = n;
        self.stage(move |row| {
            if left > 0 {
                left -= 1;
                Step::Skip
            } else {
                Step::One(row)
            }
        })
    }

    /// Only these columns, in this order (a column a row lacks is left out of it).
    pub fn select<S: Into<String>>(self, columns: impl IntoIterator<Item = S>) -> Pipeline {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        self.stage(move |row| {
            let mut out = Row::new();
            for name in &columns {
                if let Some(value) = row.get(name) {
                    out.insert(name.clone(), value.clone());
                }
            }
            Step::One(out)
        })
    }

    /// The column `from` renamed `to`, at its place (rows without it pass unchanged).
    pub fn rename(self, from: impl Into<String>, to: impl Into<String>) -> Pipeline {
        let (from, to) = (from.into(), to.into());
        self.stage(move |row| {
            if !row.contains_key(&from) {
                return Step::One(row);
            }
            let mut out = Row::new();
            for (name, value) in row.iter() {
                let name = if name == from { to.as_str() } else { name };
                out.insert(name, value.clone());
            }
            Step::One(out)
        })
    }

    /// Lists and maps spread into columns ([`flatten_row`](crate::flatten_row)).
    pub fn flatten(self, separator: &str) -> Pipeline {
        let separator = separator.to_owned();
        self.map(move |row| crate::flatten_row(row, &separator))
    }

    /// Columns named with `separator` nested back ([`unflatten_row`](crate::unflatten_row)).
    pub fn unflatten(self, separator: &str) -> Pipeline {
        let separator = separator.to_owned();
        self.map(move |row| crate::unflatten_row(row, &separator))
    }

    /// Each row replaced by what the async `f` gives for it, up to `limit` calls at a
    /// time, handed out in the order of the rows (a slow call holds back the ones after
    /// it, never more than `limit`). A failed call goes to `errors`, as for
    /// [`try_map`](Self::try_map).
    pub fn map_concurrent<F, Fut>(self, limit: usize, errors: ErrorPolicy, f: F) -> Pipeline
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Row>> + Send + 'static,
    {
        self.concurrent(limit, true, errors, f)
    }

    /// [`map_concurrent`](Self::map_concurrent), each result handed out as soon as its
    /// call finishes (row order is not kept).
    pub fn map_concurrent_unordered<F, Fut>(
        self,
        limit: usize,
        errors: ErrorPolicy,
        f: F,
    ) -> Pipeline
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Row>> + Send + 'static,
    {
        self.concurrent(limit, false, errors, f)
    }

    /// The rows `n` at a time through `f` (a bulk lookup, a dedup within a batch):
    /// what it returns is passed on, in order; the last batch may be shorter. An error
    /// from `f` is the pipeline's error.
    pub fn batch<F>(self, n: usize, f: F) -> Pipeline
    where
        F: FnMut(Vec<Row>) -> Result<Vec<Row>> + Send + 'static,
    {
        let n = n.max(1);
        let location = self.location();
        let mut this = self;
        this.stages.push(Box::new(Batcher {
            n,
            held: Vec::with_capacity(n.min(65536)),
            batches: 0,
            rows: 0,
            location,
            f,
        }));
        this
    }

    /// Calls `trigger` with the count of rows passed each time `n` more have passed,
    /// and once more at the end if rows passed since the last call (a commit, a
    /// checkpoint, a log line every N rows).
    pub fn every(self, n: u64, trigger: impl FnMut(u64) + Send + 'static) -> Pipeline {
        let mut this = self;
        this.stages.push(Box::new(Every {
            n: n.max(1),
            passed: 0,
            trigger,
        }));
        this
    }

    /// Calls `f` once, with the pipeline's counts, when its last row has been read
    /// (not when it fails).
    pub fn on_finish(mut self, f: impl FnOnce(&Progress) + Send + 'static) -> Pipeline {
        self.stages.on_end(Box::new(f));
        self
    }

    /// Progress events as the pipeline's rows are read; see
    /// [`with_progress`](crate::with_progress).
    pub fn on_progress(
        self,
        every: ProgressEvery,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Pipeline {
        Pipeline::from_part(with_progress(self.fused(), every, callback))
    }

    /// The pipeline as an iterable, to read, to hand on (to an enrichment stage, to a
    /// writer) or to wrap in more stages.
    pub fn into_iterable(self) -> BoxIterable {
        self.fused()
    }

    fn run(self) -> Stage {
        Stage::new(self.source, self.stages)
    }

    /// Every row, in order.
    pub async fn collect(self) -> Result<Vec<Row>> {
        let mut stage = self.run();
        let mut out = Vec::new();
        while stage.step(SOURCE_BATCH, &mut out).await? {}
        Ok(out)
    }

    /// Folds every row into `init` with `f` (a sum, a histogram, a set of keys); the
    /// rows go from the stages to `f` one by one, never gathered.
    pub async fn fold<A>(self, init: A, mut f: impl FnMut(A, Row) -> A) -> Result<A> {
        let mut stage = self.run();
        let mut acc = Some(init);
        let mut each = Each(|row| {
            if let Some(a) = acc.take() {
                acc = Some(f(a, row));
            }
        });
        while stage.step(SOURCE_BATCH, &mut each).await? {}
        Ok(acc.expect("the fold's value is put back after each row"))
    }

    /// How many rows come out.
    pub async fn count(self) -> Result<u64> {
        let mut stage = self.run();
        let mut n = 0u64;
        let mut each = Each(|_| n += 1);
        while stage.step(SOURCE_BATCH, &mut each).await? {}
        Ok(n)
    }

    /// Writes every row to `writer` and closes it (so its file appears); on an error
    /// the writer is dropped unclosed and leaves no file. Returns the rows written.
    pub async fn sink(self, mut writer: BoxIterable) -> Result<u64> {
        let mut stage = self.run();
        let mut batch = Vec::with_capacity(SOURCE_BATCH);
        let mut n = 0u64;
        loop {
            let more = stage.step(SOURCE_BATCH, &mut batch).await?;
            if !batch.is_empty() {
                writer.awrite_bulk(&batch).await?;
                n += batch.len() as u64;
                batch.clear();
            }
            if !more {
                break;
            }
        }
        writer.aclose().await?;
        stage.close().await?;
        Ok(n)
    }
}

/// The rows of [`Pipeline::batch`] held until a batch is full.
struct Batcher<F> {
    n: usize,
    held: Vec<Row>,
    batches: u64,
    /// Rows taken so far, to place errors.
    rows: u64,
    location: String,
    f: F,
}

impl<F: FnMut(Vec<Row>) -> Result<Vec<Row>> + Send> stage::Part for Batcher<F> {
    fn row(&mut self, row: Row) -> Step {
        self.rows += 1;
        self.held.push(row);
        if self.held.len() < self.n {
            return Step::Skip;
        }
        self.run()
    }

    fn flush(&mut self) -> Step {
        self.run()
    }
}

impl<F: FnMut(Vec<Row>) -> Result<Vec<Row>>> Batcher<F> {
    /// `f` on the rows held (none: nothing to do).
    fn run(&mut self) -> Step {
        if self.held.is_empty() {
            return Step::Skip;
        }
        self.batches += 1;
        let rows = std::mem::replace(&mut self.held, Vec::with_capacity(self.n.min(65536)));
        match (self.f)(rows) {
            Ok(rows) => Step::Many(rows),
            Err(e) => Step::fail(Error::Write {
                location: self.location.clone(),
                row: self.rows,
                message: format!("batch {}: {e}", self.batches),
            }),
        }
    }
}

/// [`Pipeline::every`]: a trigger each `n` rows, and once more for the rest.
struct Every<T> {
    n: u64,
    passed: u64,
    trigger: T,
}

impl<T: FnMut(u64) + Send> stage::Part for Every<T> {
    fn row(&mut self, row: Row) -> Step {
        self.passed += 1;
        if self.passed.is_multiple_of(self.n) {
            (self.trigger)(self.passed);
        }
        Step::One(row)
    }

    fn flush(&mut self) -> Step {
        if !self.passed.is_multiple_of(self.n) {
            (self.trigger)(self.passed);
        }
        Step::Skip
    }
}

/// [`Pipeline::try_map`]: `f` gives the row's number, its copy (for a dead-letter file)
/// and the result; failures go to the policy.
struct TryMap<F> {
    policy: StagePolicy,
    f: F,
}

impl<F: FnMut(Row) -> (u64, Option<Row>, Result<Row>) + Send> stage::Part for TryMap<F> {
    fn row(&mut self, row: Row) -> Step {
        match (self.f)(row) {
            (_, _, Ok(row)) => Step::One(row),
            (n, copy, Err(e)) => match self.policy.handle(n, copy.as_ref(), e) {
                Ok(()) => Step::Skip,
                Err(e) => Step::fail(e),
            },
        }
    }

    fn flush(&mut self) -> Step {
        match self.policy.flush() {
            Ok(()) => Step::Skip,
            Err(e) => Step::fail(e),
        }
    }
}
