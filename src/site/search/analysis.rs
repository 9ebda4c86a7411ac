//! How text becomes terms: words (letters and digits) in lower case, stemmed in the site's
//! language, accents folded. The index and the query side use the same analyzers, and so
//! does highlighting, so a highlighted word is one that matched.

use crate::corpus::SiteConfig;
use std::collections::HashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Name of the stemming analyzer in the index's tokenizer registry.
pub const STEMMED: &str = "inkgraph_stemmed";
/// Name of the analyzer without stemming (titles for prefix and typo matching).
pub const PLAIN: &str = "inkgraph_plain";
/// Name of the analyzer that keeps a value whole, lower-cased (serial numbers).
pub const WHOLE: &str = "inkgraph_whole";

/// Words longer than this (in bytes) are not indexed: they are data, not words.
const LONGEST_WORD: usize = 40;

/// The stemmer language of a site: `_config.yml` `lang` (`en`, `de-DE`, `pt_BR`, `french`…)
/// when tantivy has a stemmer for it, English when `lang` is absent, and none (words are
/// matched as written) for a language without a stemmer.
pub fn site_language(config: &SiteConfig) -> Option<Language> {
    match config.data.get("lang").and_then(|v| v.as_str()) {
        None => Some(Language::English),
        Some(lang) => language_named(lang),
    }
}

/// The stemmer for a language tag or name, if tantivy has one.
pub fn language_named(lang: &str) -> Option<Language> {
    let lang = lang.trim().to_ascii_lowercase();
    let primary = lang.split(['-', '_']).next().unwrap_or("");
    Some(match primary {
        "ar" | "arabic" => Language::Arabic,
        "da" | "danish" => Language::Danish,
        "nl" | "dutch" => Language::Dutch,
        "en" | "english" => Language::English,
        "fi" | "finnish" => Language::Finnish,
        "fr" | "french" => Language::French,
        "de" | "german" => Language::German,
        "el" | "greek" => Language::Greek,
        "hu" | "hungarian" => Language::Hungarian,
        "it" | "italian" => Language::Italian,
        "no" | "nb" | "nn" | "norwegian" => Language::Norwegian,
        "pt" | "portuguese" => Language::Portuguese,
        "ro" | "romanian" => Language::Romanian,
        "ru" | "russian" => Language::Russian,
        "es" | "spanish" => Language::Spanish,
        "sv" | "swedish" => Language::Swedish,
        "ta" | "tamil" => Language::Tamil,
        "tr" | "turkish" => Language::Turkish,
        _ => return None,
    })
}

/// Words, lower-cased, stemmed (when the language has a stemmer), then accents folded.
/// Stemming comes before folding because stemmers know their language's accents.
pub fn stemmed(language: Option<Language>) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .dynamic();
    let builder = match language {
        Some(language) => builder.filter_dynamic(CachedStemmer(language)),
        None => builder,
    };
    builder.filter_dynamic(AsciiFoldingFilter).build()
}

/// Words the stem cache of one analyzer holds at most (a few megabytes); past that it starts
/// over.
const STEM_CACHE_WORDS: usize = 100_000;

/// tantivy's [`Stemmer`] with a cache of the words it has stemmed: words repeat (most of a
/// text is a few thousand distinct words), and the Snowball stemmers cost far more than a
/// lookup. The cache lives with the analyzer (an index writer keeps one per field for a whole
/// segment); a clone starts with an empty one.
#[derive(Clone, Copy)]
struct CachedStemmer(Language);

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner: tokenizer,
            language: self.0,
            stemmer: stemmer_of(self.0),
            cache: HashMap::new(),
        }
    }
}

fn stemmer_of(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(language))
        .build()
}

struct CachedStemmerFilter<T> {
    inner: T,
    language: Language,
    /// Stems one word (the whole text as one token).
    stemmer: TextAnalyzer,
    cache: HashMap<String, String>,
}

impl<T: Clone> Clone for CachedStemmerFilter<T> {
    fn clone(&self) -> Self {
        CachedStemmerFilter {
            inner: self.inner.clone(),
            language: self.language,
            stemmer: stemmer_of(self.language),
            cache: HashMap::new(),
        }
    }
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.cache.len() > STEM_CACHE_WORDS {
            self.cache.clear();
        }
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: &mut self.stemmer,
            cache: &mut self.cache,
        }
    }
}

struct CachedStemmerStream<'a, T> {
    tail: T,
    stemmer: &'a mut TextAnalyzer,
    cache: &'a mut HashMap<String, String>,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.cache.get(&token.text) {
            Some(stem) => {
                token.text.clear();
                token.text.push_str(stem);
            }
            None => {
                let stem = {
                    let mut stream = self.stemmer.token_stream(&token.text);
                    match stream.advance() {
                        true => stream.token().text.clone(),
                        false => token.text.clone(),
                    }
                };
                let word = std::mem::replace(&mut token.text, stem.clone());
                self.cache.insert(word, stem);
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Words, lower-cased, accents folded, not stemmed.
pub fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The whole value as one term, lower-cased.
pub fn whole() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build()
}

/// The terms `analyzer` makes of `text`, in order.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_by_default_and_lang_when_known() {
        let config = |lang: Option<&str>| {
            let mut config = SiteConfig::default();
            if let Some(lang) = lang {
                config.data.insert("lang".into(), lang.into());
            }
            config
        };
        assert_eq!(site_language(&config(None)), Some(Language::English));
        assert_eq!(
            site_language(&config(Some("de-DE"))),
            Some(Language::German)
        );
        assert_eq!(
            site_language(&config(Some("pt_BR"))),
            Some(Language::Portuguese)
        );
        assert_eq!(site_language(&config(Some("ja"))), None);
    }

    #[test]
    fn stemming_folds_forms_together() {
        let mut english = stemmed(Some(Language::English));
        assert_eq!(terms(&mut english, "Running runs"), vec!["run", "run"]);
        // Cached stems are the stemmer's: again, and in a clone.
        assert_eq!(terms(&mut english, "running Runs"), vec!["run", "run"]);
        assert_eq!(terms(&mut english.clone(), "RUNNING"), vec!["run"]);
        assert_eq!(terms(&mut english, "Café"), terms(&mut english, "cafe"));
        let mut german = stemmed(Some(Language::German));
        assert_eq!(terms(&mut german, "Häuser"), terms(&mut german, "Häusern"));
        let mut none = stemmed(None);
        assert_eq!(terms(&mut none, "Running"), vec!["running"]);
        assert_eq!(
            terms(&mut plain(), "Running C++ fast"),
            vec!["running", "c", "fast"]
        );
        assert_eq!(terms(&mut whole(), "2025.BLG.124"), vec!["2025.blg.124"]);
    }
}
