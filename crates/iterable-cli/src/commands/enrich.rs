//! `enrich`: LLM structured extraction from IN to OUT, with a progress line on stderr.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use futures::StreamExt;
use iterable::{AsyncIterable, Format, IterableOptions};
use iterable_enrich::{
    AnthropicConfig, AnthropicProvider, BatchOptions, Chunking, EnrichOptions, EnrichProgress,
    FailureCount, FailureLimit, Journal, Multiplicity, OpenAiConfig, OpenAiProvider, Order,
    RateLimits, ResponseMode, RetryPolicy, Schema, StageEvent, Stats, enrich, enrich_batch,
    plan_queries,
};

use crate::args::ReadArgs;
use crate::exit::RowsFailed;

/// Arguments of `iterable enrich`.
#[derive(Debug, Args)]
pub struct EnrichArgs {
    /// The input path, or - for stdin.
    pub input: String,
    /// The output path, or - for stdout.
    pub output: String,
    #[command(flatten)]
    pub read: ReadArgs,
    /// The output format, instead of the one the name says.
    #[arg(long = "to", value_parser = crate::format_flags::format_parser())]
    pub to: Option<Format>,

    /// What to extract, as a field list: 'name:string,age:integer?:age in years,tags:string[]'.
    #[arg(long, group = "what")]
    pub fields: Option<String>,
    /// What to extract, as a question: the model plans the fields from it and sample
    /// rows. Repeat it to ask several questions in one request a row (a column each).
    #[arg(long, group = "what")]
    pub query: Vec<String>,
    /// What to extract, as a schema saved earlier with --save-schema.
    #[arg(long, group = "what")]
    pub schema: Option<String>,
    /// Writes the schema used (planned or given) to this file, to inspect or reuse.
    #[arg(long)]
    pub save_schema: Option<String>,
    /// Rows shown to the model when planning from --query.
    #[arg(long, default_value_t = 5)]
    pub samples: usize,

    /// The prompt template: {field} for a field, {*} for the whole row as JSON.
    #[arg(long)]
    pub prompt: Option<String>,
    /// The system message.
    #[arg(long)]
    pub system: Option<String>,

    /// The model name.
    #[arg(long)]
    pub model: String,
    /// The protocol: openai (chat completions: OpenAI, Azure, vLLM, llama.cpp, Ollama)
    /// or anthropic (Messages).
    #[arg(long, value_enum, default_value_t = ProviderArg::Openai)]
    pub provider: ProviderArg,
    /// The endpoint: up to /chat/completions for openai (default
    /// https://api.openai.com/v1), up to /v1/messages for anthropic (default
    /// https://api.anthropic.com).
    #[arg(long)]
    pub base_url: Option<String>,
    /// The environment variable holding the API key (default OPENAI_API_KEY, or
    /// ANTHROPIC_API_KEY for anthropic).
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// Sampling temperature.
    #[arg(long)]
    pub temperature: Option<f32>,
    /// The answer's token limit.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// The answer's token limit, reasoning included (OpenAI's reasoning models).
    #[arg(long)]
    pub max_completion_tokens: Option<u32>,
    /// Sampling seed, for repeatable answers where the server supports it.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Reasoning effort of a reasoning model: minimal, low, medium or high.
    #[arg(long)]
    pub reasoning_effort: Option<String>,
    /// Service tier: auto, default, flex or priority.
    #[arg(long)]
    pub service_tier: Option<String>,
    /// More request body fields, as a JSON object: '{"top_k": 20}'.
    #[arg(long, value_name = "JSON")]
    pub extra_body: Option<String>,
    /// Tokens the run may spend; rows after the budget pass on unasked (as failed rows).
    #[arg(long, value_name = "TOKENS")]
    pub budget_tokens: Option<u64>,
    /// Sends nothing: shows the first N prompts and estimates the requests and tokens
    /// of the whole input.
    #[arg(long, value_name = "N")]
    pub dry_run: Option<usize>,
    /// An extra request header, 'Name: value' (repeatable).
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,

    /// Requests in flight at once, at most.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Rows started ahead of the oldest unfinished one, at most (default 4 × concurrency).
    #[arg(long)]
    pub window: Option<usize>,
    /// Output order: input or completion.
    #[arg(long, value_enum, default_value_t = OrderArg::Input)]
    pub order: OrderArg,
    /// Requests per minute, at most.
    #[arg(long)]
    pub rpm: Option<u32>,
    /// Tokens per minute, at most.
    #[arg(long)]
    pub tpm: Option<u64>,
    /// Retries of a failed request.
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,
    /// Re-asks after an answer that does not fit the schema.
    #[arg(long, default_value_t = 2)]
    pub max_reasks: u32,
    /// Stop when the first N rows all fail the same way (0: never). An error no row can
    /// survive (credentials, quota, an unknown model, a refused schema) stops at once.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub fail_fast: u32,
    /// Stop when more rows than this failed: a count (10) or a share (5%).
    #[arg(long, value_name = "N|P%")]
    pub max_failures: Option<FailureLimit>,
    /// How the schema is sent: json-schema, json-object or tools.
    #[arg(long, default_value = "json-schema")]
    pub mode: ResponseMode,
    /// Do not fall back to json-object and tools when the server rejects the mode.
    #[arg(long)]
    pub no_fallback: bool,
    /// A directory for the answer journal: each row's final answer (or failure) is
    /// kept, so a re-run with the same arguments pays only for unfinished rows.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<String>,
    /// Ask again the rows that failed for good in an earlier run (kept in --cache);
    /// without it a re-run passes them on failed, unpaid.
    #[arg(long, requires = "cache")]
    pub retry_failed: bool,
    /// Send the rows through the OpenAI Batch API (half the price; answers within
    /// 24 hours): the batches and their answers are kept in --cache, the answers are
    /// checked, and the rows that failed are asked one by one at the end. The input
    /// must be a file (it is read twice).
    #[arg(long, requires = "cache")]
    pub batch: bool,
    /// Continue the batch run under way in --cache (after a crash or a stop): nothing
    /// is submitted or paid for twice.
    #[arg(long, requires = "batch")]
    pub resume: bool,
    /// Seconds between two looks at a batch.
    #[arg(
        long,
        default_value_t = 30.0,
        value_name = "SECONDS",
        requires = "batch"
    )]
    pub batch_poll: f64,
    /// Requests in one batch at most (the API takes 50,000).
    #[arg(long, default_value_t = 50_000, value_name = "N", requires = "batch")]
    pub batch_max_requests: usize,

    /// Extracted fields as columns with this prefix (the default: no prefix).
    #[arg(long, conflicts_with = "nested")]
    pub prefix: Option<String>,
    /// Extracted fields as one nested column with this name.
    #[arg(long)]
    pub nested: Option<String>,
    /// Objects per row: one, list (a list column) or explode (one row each).
    #[arg(long, value_enum, default_value_t = ManyArg::One)]
    pub many: ManyArg,
    /// Long texts in pieces of at most N tokens (about 4 bytes each), asked one by
    /// one and their answers merged: lists joined (with --many list), else each
    /// field's first value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub chunk_tokens: Option<u32>,
    /// The column cut into pieces by --chunk-tokens.
    #[arg(
        long,
        value_name = "COLUMN",
        default_value = "text",
        requires = "chunk_tokens"
    )]
    pub chunk_column: String,
    /// Rows that still fail go here (any writable location) instead of the output.
    #[arg(long)]
    pub failures: Option<String>,
    /// The error column's name.
    #[arg(long, default_value = "_enrich_error")]
    pub error_column: String,
    /// Adds a column with each row's token usage.
    #[arg(long)]
    pub usage_column: Option<String>,
    /// No progress line on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// A line on stderr for each request: provider, mode, retry, status, tokens, latency.
    #[arg(short, long)]
    pub verbose: bool,
}

/// `--provider`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    /// OpenAI-compatible chat completions.
    Openai,
    /// Anthropic Messages.
    Anthropic,
}

/// `--order`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrderArg {
    /// The input's order.
    Input,
    /// As answers arrive.
    Completion,
}

/// `--many`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ManyArg {
    /// One object per row.
    One,
    /// A list column.
    List,
    /// One row per object.
    Explode,
}

/// Rows per bulk write.
const BATCH: usize = 256;

/// Enriches every row of `args.input` into `args.output`.
pub async fn run(args: &EnrichArgs) -> Result<()> {
    if args.verbose {
        trace_requests();
    }
    let given = given_schema(args)?;
    let provider = provider(args)?;
    let mut src = args.read.options()?.open(&args.input).await?;
    if let Some(show) = args.dry_run {
        let Some(schema) = given else {
            bail!(
                "--dry-run sends nothing, and planning from --query takes a request: plan once with --save-schema, then dry-run with --schema"
            );
        };
        return dry_run(args, src, &schema, show).await;
    }
    let schema = match given {
        Some(schema) => schema,
        None => planned_schema(args, &provider, &mut src).await?,
    };
    if let Some(path) = &args.save_schema {
        std::fs::write(path, serde_json::to_string_pretty(&schema)?)
            .with_context(|| format!("{path}: cannot write the schema"))?;
    }
    let live = !args.quiet && std::io::stderr().is_terminal();
    let mut options = options(args).await?;
    if !args.quiet {
        options = options.on_event(Arc::new(move |event: &StageEvent| {
            if let StageEvent::Stopped { .. } = event {
                return; // the error says it
            }
            let clear = if live { "\r\x1b[2K" } else { "" };
            eprintln!("{clear}iterable: enrich: {event}");
        }));
    }
    let mut stage = stage(args, src, provider, schema, options).await?;
    // Opened once the stage stands (a batch run may have waited hours for it).
    let mut out_options = IterableOptions::write();
    if let Some(format) = args.to {
        out_options = out_options.format(format);
    }
    let mut dst = out_options.open(&args.output).await?;
    let stats = stage.stats();
    let ticker = live.then(|| spawn_ticker(stats.clone()));
    let result = copy(&mut stage, &mut *dst).await;
    if let Some(t) = ticker {
        t.abort();
        eprint!("\r\x1b[2K");
    }
    result?;
    dst.aclose().await?;
    stage.aclose().await?;
    let p = stats.snapshot();
    if !args.quiet {
        eprintln!("iterable: enrich: {}", summary(&p));
    }
    if p.rows_failed > 0 {
        let whereto = args.failures.as_deref().map_or_else(
            || format!("the {} column of {}", args.error_column, args.output),
            |f| f.to_owned(),
        );
        let again = if p.failures_replayed > 0 {
            format!(
                "\n{} of them failed in an earlier run and were not asked again: add --retry-failed to ask them",
                p.failures_replayed
            )
        } else if args.cache.is_some() {
            "\na re-run asks again the rows that failed on the way (timeouts, server errors); \
             those whose answer failed (invalid, refused, cut) are kept in the cache and \
             asked again with --retry-failed"
                .to_owned()
        } else {
            String::new()
        };
        return Err(RowsFailed(format!(
            "enrich: {} of {} row(s) failed; see {whereto}:\n{}{again}",
            p.rows_failed,
            p.rows_failed + p.rows_done,
            failure_lines(&stats.failures())
        ))
        .into());
    }
    Ok(())
}

/// The stage over `src`: through the Batch API with `--batch`, else request by request.
async fn stage(
    args: &EnrichArgs,
    src: iterable::BoxIterable,
    provider: Arc<dyn iterable_enrich::Provider>,
    schema: Schema,
    options: EnrichOptions,
) -> Result<iterable_enrich::Enriched<iterable::BoxIterable>> {
    Ok(if args.batch {
        let ProviderArg::Openai = args.provider else {
            bail!("--batch speaks the OpenAI Batch API: it needs --provider openai");
        };
        let (headers, timeout) = request_settings(args)?;
        let batch = BatchOptions {
            max_requests: args.batch_max_requests.max(1),
            poll_interval: Duration::try_from_secs_f64(args.batch_poll).map_err(|_| {
                anyhow::anyhow!("--batch-poll takes seconds, not {}", args.batch_poll)
            })?,
            resume: args.resume,
            ..Default::default()
        };
        let openai = Arc::new(openai_provider(args, headers, timeout)?);
        enrich_batch(src, openai, schema, options, batch).await?
    } else {
        enrich(src, provider, schema, options)?
    })
}

/// Shows the first prompts and what the whole input would cost; sends nothing.
async fn dry_run(
    args: &EnrichArgs,
    src: iterable::BoxIterable,
    schema: &Schema,
    show: usize,
) -> Result<()> {
    let options = options(args).await?;
    let e = iterable_enrich::estimate(src, schema, &options, show).await?;
    let mut out = String::new();
    out.push_str(&format!("system:\n{}\n", e.system));
    for (i, prompt) in e.prompts.iter().enumerate() {
        out.push_str(&format!("\nprompt {}:\n{prompt}\n", i + 1));
    }
    out.push_str(&format!(
        "\n{} rows: {} requests at least, about {} prompt tokens + {} completion tokens = {} tokens \
         (4 characters a token, {} a completion; re-asks and retries not counted)\n",
        e.rows,
        e.requests,
        e.prompt_tokens,
        e.completion_tokens,
        e.prompt_tokens + e.completion_tokens,
        options.completion_estimate,
    ));
    if e.unrenderable > 0 {
        out.push_str(&format!(
            "{} rows lack a field the prompt names: they would fail without a request\n",
            e.unrenderable
        ));
    }
    use std::io::Write;
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// Prints the stage's request spans on stderr (`-v`).
fn trace_requests() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let only_ours = tracing_subscriber::filter::Targets::new().with_target(
        "iterable_enrich",
        tracing_subscriber::filter::LevelFilter::DEBUG,
    );
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(lines)
        .with(only_ours)
        .try_init();
}

/// A line per way rows failed: how many rows, and the first such row's error.
fn failure_lines(failures: &[FailureCount]) -> String {
    failures
        .iter()
        .map(|f| format!("  {} × {}", f.rows, f.error))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn copy(stage: &mut impl AsyncIterable, dst: &mut dyn AsyncIterable) -> Result<()> {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(row) = stage.next().await {
        batch.push(row?);
        if batch.len() == BATCH {
            dst.awrite_bulk(&batch).await?;
            batch.clear();
        }
    }
    dst.awrite_bulk(&batch).await?;
    Ok(())
}

/// `--header` and `--timeout`.
fn request_settings(args: &EnrichArgs) -> Result<(Vec<(String, String)>, Duration)> {
    let mut headers = Vec::new();
    for h in &args.headers {
        let Some((name, value)) = h.split_once(':') else {
            bail!("--header takes 'Name: value', not {h:?}");
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .map_err(|_| anyhow::anyhow!("--timeout takes seconds, not {}", args.timeout))?;
    Ok((headers, timeout))
}

fn provider(args: &EnrichArgs) -> Result<Arc<dyn iterable_enrich::Provider>> {
    let (headers, timeout) = request_settings(args)?;
    Ok(match args.provider {
        ProviderArg::Openai => Arc::new(openai_provider(args, headers, timeout)?),
        ProviderArg::Anthropic => {
            let mut config = AnthropicConfig::new(args.model.clone());
            if let Some(url) = &args.base_url {
                config.base_url = url.clone();
            }
            if let Some(env) = &args.api_key_env {
                config.api_key_env = env.clone();
            }
            if let Some(max) = args.max_tokens {
                config.max_tokens = max;
            }
            config.temperature = args.temperature;
            config.headers = headers;
            config.timeout = timeout;
            Arc::new(AnthropicProvider::new(config)?)
        }
    })
}

/// The OpenAI-compatible provider of the flags.
fn openai_provider(
    args: &EnrichArgs,
    headers: Vec<(String, String)>,
    timeout: Duration,
) -> Result<OpenAiProvider> {
    let defaults = OpenAiConfig::default();
    let extra_body = match &args.extra_body {
        None => serde_json::Map::new(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => bail!("--extra-body takes a JSON object, not {text:?}"),
        },
    };
    Ok(OpenAiProvider::new(OpenAiConfig {
        base_url: args.base_url.clone().unwrap_or(defaults.base_url),
        api_key_env: args.api_key_env.clone().unwrap_or(defaults.api_key_env),
        model: args.model.clone(),
        temperature: args.temperature,
        max_tokens: args.max_tokens,
        max_completion_tokens: args.max_completion_tokens,
        seed: args.seed,
        reasoning_effort: args.reasoning_effort.clone(),
        service_tier: args.service_tier.clone(),
        extra_body,
        headers,
        timeout,
        ..defaults
    })?)
}

/// The schema from --fields or --schema; `None` for --query (planned once the input is open).
fn given_schema(args: &EnrichArgs) -> Result<Option<Schema>> {
    if let Some(fields) = &args.fields {
        return Ok(Some(Schema::from_fields(fields)?));
    }
    if let Some(path) = &args.schema {
        let text = std::fs::read_to_string(path).with_context(|| format!("{path}: cannot read"))?;
        return Ok(Some(
            Schema::from_saved(&text).with_context(|| path.clone())?,
        ));
    }
    if args.query.is_empty() {
        bail!("say what to extract: --fields, --query or --schema");
    }
    Ok(None)
}

/// The schema planned from --query and the first rows of the input (rewound after).
async fn planned_schema(
    args: &EnrichArgs,
    provider: &Arc<dyn iterable_enrich::Provider>,
    src: &mut iterable::BoxIterable,
) -> Result<Schema> {
    let samples = src.aread_bulk(args.samples.max(1)).await?;
    src.areset()
        .await
        .context("rewinding the input after reading samples")?;
    // Planned through the answer cache when there is one: a re-run gets the same
    // schema, so the rows' cached answers still match.
    let cache = args.cache.as_ref().map(Journal::open).transpose()?;
    let (schema, usage) = plan_queries(
        provider.clone(),
        &args.query,
        &samples,
        retry(args),
        cache.as_ref(),
    )
    .await?;
    if !args.quiet {
        eprintln!(
            "iterable: enrich: planned fields {} ({} tokens)",
            schema.properties().join(", "),
            usage.total()
        );
    }
    Ok(schema)
}

fn retry(args: &EnrichArgs) -> RetryPolicy {
    RetryPolicy {
        max_retries: args.max_retries,
        ..Default::default()
    }
}

async fn options(args: &EnrichArgs) -> Result<EnrichOptions> {
    let mut o = EnrichOptions::new()
        .concurrency(args.concurrency)
        .order(match args.order {
            OrderArg::Input => Order::Input,
            OrderArg::Completion => Order::Completion,
        })
        .multiplicity(match args.many {
            ManyArg::One => Multiplicity::One,
            ManyArg::List => Multiplicity::List,
            ManyArg::Explode => Multiplicity::Explode,
        })
        .retry(retry(args))
        .limits(RateLimits {
            requests_per_minute: args.rpm,
            tokens_per_minute: args.tpm,
        })
        .max_reasks(args.max_reasks)
        .fail_fast(args.fail_fast)
        .response_mode(args.mode, !args.no_fallback)
        .error_column(args.error_column.clone());
    if let Some(max) = args.max_tokens.or(args.max_completion_tokens) {
        o = o.completion_estimate(max.into());
    }
    if let Some(limit) = args.max_failures {
        o = o.max_failures(limit);
    }
    if let Some(budget) = args.budget_tokens {
        o = o.budget_tokens(budget);
    }
    if let Some(w) = args.window {
        o = o.window(w);
    }
    if let Some(p) = &args.prompt {
        o = o.prompt(p.clone());
    }
    if let Some(s) = &args.system {
        o = o.system(s.clone());
    }
    if let Some(p) = &args.prefix {
        o = o.prefix(p.clone());
    }
    if let Some(n) = &args.nested {
        o = o.nested(n.clone());
    }
    if let Some(c) = &args.cache {
        o = o.cache_dir(c).retry_failed(args.retry_failed);
    }
    if let Some(u) = &args.usage_column {
        o = o.usage_column(u.clone());
    }
    if let Some(tokens) = args.chunk_tokens {
        o = o.chunking(Chunking::new(tokens as usize).column(args.chunk_column.clone()));
    }
    if let Some(f) = &args.failures {
        o = o.dead_letter(IterableOptions::write().open(f).await?);
    }
    Ok(o)
}

fn spawn_ticker(stats: Arc<Stats>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            eprint!("\r\x1b[2K{}", summary(&stats.snapshot()));
        }
    })
}

/// One line: rows done, in flight, failed; requests; tokens (cached and reasoning
/// ones when the server reports them).
fn summary(p: &EnrichProgress) -> String {
    let mut details = Vec::new();
    if p.usage.cached_tokens > 0 {
        details.push(format!("{} prompt tokens cached", p.usage.cached_tokens));
    }
    if p.usage.reasoning_tokens > 0 {
        details.push(format!("{} reasoning", p.usage.reasoning_tokens));
    }
    let details = if details.is_empty() {
        String::new()
    } else {
        format!("; {}", details.join(", "))
    };
    format!("{}{details}", counts(p))
}

fn counts(p: &EnrichProgress) -> String {
    format!(
        "{} done, {} in flight, {} failed; {} requests ({} retried, {} re-asked, {} cached); {} tokens ({} prompt + {} completion)",
        p.rows_done,
        p.rows_in_flight,
        p.rows_failed,
        p.requests,
        p.retries,
        p.reasks,
        p.cache_hits,
        p.usage.total(),
        p.usage.prompt_tokens,
        p.usage.completion_tokens
    )
}
