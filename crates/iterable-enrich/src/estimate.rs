//! What a run would cost, without sending anything: every row's prompt rendered as
//! the stage would render it, its tokens estimated as the rate limiter estimates them
//! (4 characters a token, the schema included as the mode sends it), and the answer
//! counted at the options' completion estimate.

use futures_util::StreamExt;
use iterable_core::{AsyncIterable, Result};

use crate::Schema;
use crate::chunk;
use crate::options::EnrichOptions;
use crate::output::Multiplicity;
use crate::prompt::PromptTemplate;
use crate::provider::{ChatRequest, Message};
use crate::typed::system_message;

/// The cost of enriching a source, estimated before spending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Estimate {
    /// The first prompts (user messages), as the model would see them.
    pub prompts: Vec<String>,
    /// The system message every request carries.
    pub system: String,
    /// Rows in the source.
    pub rows: u64,
    /// Requests a run makes at least: one a row whose prompt can be made, or one a
    /// piece of its long text with chunking (re-asks and retries add to it).
    pub requests: u64,
    /// Estimated prompt tokens of those requests.
    pub prompt_tokens: u64,
    /// Estimated answer tokens (the completion estimate a request).
    pub completion_tokens: u64,
    /// Rows whose prompt cannot be made (a field the template names is missing): they
    /// would fail without a request.
    pub unrenderable: u64,
}

/// Reads all of `source` and estimates what enriching it with `schema` and `options`
/// would send; keeps the first `show` prompts.
pub async fn estimate<S: AsyncIterable>(
    mut source: S,
    schema: &Schema,
    options: &EnrichOptions,
    show: usize,
) -> Result<Estimate> {
    let template = match &options.prompt {
        Some(t) => PromptTemplate::parse(t)?,
        None => PromptTemplate::default(),
    };
    let ask_schema = match options.multiplicity {
        Multiplicity::One => schema.clone(),
        Multiplicity::List | Multiplicity::Explode => schema.list_of(),
    };
    let system = system_message(options.system.clone(), schema);
    let mut out = Estimate {
        system: system.clone(),
        ..Default::default()
    };
    while let Some(row) = source.next().await {
        let row = row?;
        out.rows += 1;
        let Ok(prompts) = chunk::prompts(&template, options.chunking.as_ref(), &row) else {
            out.unrenderable += 1;
            continue;
        };
        for prompt in prompts {
            let request = ChatRequest {
                messages: vec![Message::system(system.clone()), Message::user(prompt)],
                schema: ask_schema.clone(),
                mode: options.response_mode,
            };
            out.requests += 1;
            out.prompt_tokens += request.estimated_prompt_tokens();
            out.completion_tokens += options.completion_estimate;
            if out.prompts.len() < show
                && let Some(Message { content, .. }) = request.messages.into_iter().nth(1)
            {
                out.prompts.push(content);
            }
        }
    }
    Ok(out)
}
