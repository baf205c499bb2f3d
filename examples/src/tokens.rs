//! Token sources: where the streamed text comes from.
//!
//! [`TokenSource`] is the seam between the server and "the model". The server
//! only ever sees a [`TokenStream`]: a `Stream` of text pieces that it can drop
//! at any moment (that is how Stop and client disconnects cancel generation —
//! dropping the stream drops the timer, or closes the upstream HTTP request).
//!
//! Two implementations ship:
//! * [`BuiltinGenerator`] (the default): deterministic text seeded by the
//!   prompt, split into word and sub-word tokens the way an LLM tokenizer
//!   splits text, with a configurable delay and length. No set-up, no network.
//! * [`crate::upstream::OpenAiUpstream`]: relays an OpenAI-compatible
//!   `/v1/chat/completions` stream.

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::time::Duration;

/// Errors a token source can report mid-stream.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The upstream could not be reached or answered with an error.
    #[error("upstream error: {0}")]
    Upstream(String),
}

/// A running generation: text pieces in order. Dropping it cancels generation.
pub type TokenStream = BoxStream<'static, Result<String, TokenError>>;

/// Something that turns a prompt into a stream of tokens.
///
/// ```
/// use pushcodec_examples::tokens::{BuiltinGenerator, TokenSource};
/// use futures_util::StreamExt;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let gen = BuiltinGenerator::new(std::time::Duration::ZERO, 5);
/// let tokens: Vec<String> = gen.start("hi").map(|t| t.unwrap()).collect().await;
/// assert_eq!(tokens.len(), 5);
/// # });
/// ```
pub trait TokenSource: Send + Sync + 'static {
    /// Starts generating for `prompt`.
    fn start(&self, prompt: &str) -> TokenStream;
}

/// A shared source is a source (the server picks one at run time).
impl<T: TokenSource + ?Sized> TokenSource for std::sync::Arc<T> {
    fn start(&self, prompt: &str) -> TokenStream {
        (**self).start(prompt)
    }
}

/// The built-in generator: deterministic pseudo-prose seeded by the prompt.
///
/// The same prompt always yields the same tokens (tests rely on it); tokens are
/// words with their leading space (`" stream"`), long words split into
/// sub-word pieces (`" deter"`, `"minis"`, `"tic"`), and punctuation, like the
/// output of a BPE tokenizer.
#[derive(Debug, Clone)]
pub struct BuiltinGenerator {
    delay: Duration,
    max_tokens: usize,
}

impl BuiltinGenerator {
    /// A generator that waits `delay` before each token and stops after
    /// `max_tokens` tokens.
    ///
    /// ```
    /// let g = pushcodec_examples::tokens::BuiltinGenerator::new(std::time::Duration::from_millis(30), 200);
    /// assert_eq!(g.tokens_for("x").len(), 200);
    /// ```
    pub fn new(delay: Duration, max_tokens: usize) -> Self {
        BuiltinGenerator { delay, max_tokens }
    }

    /// All tokens this generator produces for `prompt`, without delays.
    ///
    /// ```
    /// let g = pushcodec_examples::tokens::BuiltinGenerator::new(std::time::Duration::ZERO, 50);
    /// assert_eq!(g.tokens_for("a"), g.tokens_for("a"));
    /// assert_ne!(g.tokens_for("a"), g.tokens_for("b"));
    /// ```
    pub fn tokens_for(&self, prompt: &str) -> Vec<String> {
        TokenIter::new(prompt).take(self.max_tokens).collect()
    }
}

/// The built-in generator's tokens, made one at a time (a long generation
/// holds a sentence of state, not its whole text).
struct TokenIter {
    rng: SplitMix64,
    /// Words of the current sentence not yet split into tokens.
    words: VecDeque<String>,
    /// Tokens of the current word not yet handed out.
    pending: VecDeque<String>,
    first: bool,
}

impl TokenIter {
    fn new(prompt: &str) -> Self {
        let mut words = VecDeque::new();
        // Open by echoing (a bounded part of) the prompt, as an assistant would.
        let topic: Vec<&str> = prompt.split_whitespace().take(6).collect();
        if !topic.is_empty() {
            words.extend(["You", "asked", "about"].map(String::from));
            for (i, w) in topic.iter().enumerate() {
                let w: String = w.chars().take(24).collect();
                words.push_back(if i + 1 == topic.len() {
                    format!("{w}.")
                } else {
                    w
                });
            }
        }
        TokenIter {
            rng: SplitMix64(fnv1a(prompt.as_bytes())),
            words,
            pending: VecDeque::new(),
            first: true,
        }
    }
}

impl Iterator for TokenIter {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        while self.pending.is_empty() {
            if self.words.is_empty() {
                self.words = sentence(&mut self.rng).into();
            }
            let word = self.words.pop_front()?;
            let (body, punct) = match word.char_indices().last() {
                Some((i, c)) if c == '.' || c == ',' => (&word[..i], Some(&word[i..])),
                _ => (word.as_str(), None),
            };
            let lead = if self.first { "" } else { " " };
            self.first = false;
            for (j, piece) in subword_pieces(body, &mut self.rng).into_iter().enumerate() {
                self.pending.push_back(if j == 0 {
                    format!("{lead}{piece}")
                } else {
                    piece.to_string()
                });
            }
            if let Some(p) = punct {
                self.pending.push_back(p.to_string());
            }
        }
        self.pending.pop_front()
    }
}

impl TokenSource for BuiltinGenerator {
    fn start(&self, prompt: &str) -> TokenStream {
        let tokens = TokenIter::new(prompt).take(self.max_tokens);
        let delay = self.delay;
        futures_util::stream::iter(tokens)
            .then(move |t| async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Ok(t)
            })
            .boxed()
    }
}

const WORDS: &[&str] = &[
    "stream",
    "token",
    "browser",
    "server",
    "socket",
    "frame",
    "event",
    "buffer",
    "latency",
    "message",
    "protocol",
    "deterministic",
    "generation",
    "reconnect",
    "backpressure",
    "the",
    "a",
    "of",
    "to",
    "and",
    "every",
    "quickly",
    "carefully",
    "without",
    "copying",
    "bytes",
    "arrive",
    "flows",
    "through",
    "each",
    "layer",
    "connection",
    "decoder",
    "encoder",
    "client",
    "asynchronous",
    "cancellation",
    "is",
    "keeps",
    "sends",
    "reads",
    "waits",
    "for",
    "zero",
    "allocation",
    "slice",
    "network",
    "proxy",
    "typing",
    "effect",
    "assistant",
    "answers",
];

fn sentence(rng: &mut SplitMix64) -> Vec<String> {
    let n = 6 + (rng.next() % 9) as usize;
    let mut s: Vec<String> = (0..n)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize].to_string())
        .collect();
    if let Some(first) = s.first_mut() {
        let mut c = first.chars();
        if let Some(h) = c.next() {
            *first = h.to_uppercase().chain(c).collect();
        }
    }
    if n > 9 {
        s[4].push(',');
    }
    if let Some(last) = s.last_mut() {
        last.push('.');
    }
    s
}

/// Splits words longer than 6 characters into 2–3 pieces, like BPE would.
fn subword_pieces<'w>(word: &'w str, rng: &mut SplitMix64) -> Vec<&'w str> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    if chars.len() <= 6 {
        return vec![word];
    }
    let parts = if chars.len() > 10 { 3 } else { 2 };
    let mut cuts = Vec::new();
    let step = chars.len() / parts;
    for p in 1..parts {
        let jitter = (rng.next() % 2) as usize;
        cuts.push(chars[p * step + jitter - 1].0);
    }
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts {
        if c > start {
            out.push(&word[start..c]);
            start = c;
        }
    }
    out.push(&word[start..]);
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64: a tiny deterministic PRNG (the text must be reproducible, so
/// no OS randomness here).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_prompt_same_tokens_and_length_respected() {
        let g = BuiltinGenerator::new(Duration::ZERO, 120);
        let a = g.tokens_for("tell me about websockets");
        assert_eq!(a.len(), 120);
        assert_eq!(a, g.tokens_for("tell me about websockets"));
        assert_ne!(a, g.tokens_for("tell me about sse"));
    }

    #[test]
    fn tokens_join_into_prose_that_echoes_the_prompt() {
        let g = BuiltinGenerator::new(Duration::ZERO, 40);
        let text: String = g.tokens_for("rust streaming").concat();
        assert!(
            text.starts_with("You asked about rust streaming."),
            "{text}"
        );
        // Word tokens carry their leading space; no token is empty.
        assert!(g.tokens_for("x").iter().all(|t| !t.is_empty()));
    }

    #[test]
    fn long_words_are_split_into_subword_tokens() {
        let g = BuiltinGenerator::new(Duration::ZERO, 2000);
        let toks = g.tokens_for("seed");
        // Some token is a continuation piece: no leading space and not punctuation.
        assert!(toks
            .iter()
            .skip(1)
            .any(|t| !t.starts_with(' ') && t.chars().all(|c| c.is_alphabetic())));
    }

    #[test]
    fn non_ascii_prompt_words_are_cut_on_char_boundaries() {
        let g = BuiltinGenerator::new(Duration::ZERO, 30);
        let long = "é".repeat(40);
        let text: String = g.tokens_for(&long).concat();
        assert!(text.contains(&"é".repeat(24)));
    }

    #[tokio::test]
    async fn start_streams_the_same_tokens() {
        let g = BuiltinGenerator::new(Duration::from_millis(1), 10);
        let got: Vec<String> = g.start("p").map(|t| t.unwrap()).collect().await;
        assert_eq!(got, g.tokens_for("p"));
    }
}
