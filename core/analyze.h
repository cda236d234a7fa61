/*
** analyze.h -- the one text analyser, shared by indexing and querying.
**
** Text -> terms, in this order:
**   1. UTF-8 decoding; an invalid byte is replaced by U+FFFD (a separator).
**   2. Word splitting: a word is a maximal run of Unicode letters, digits
**      and combining marks.  An apostrophe (U+0027, U+2019, U+FF07) between
**      two word characters stays inside the word ("you're", "Rory's");
**      anywhere else it separates.
**   3. Normalisation of each word: NFKC, case folding, removal of
**      combining marks (diacritics), all by utf8proc.  If normalisation
**      introduces separators ("1/2" from U+00BD), the word splits again.
**   4. Words longer than GG_TERM_MAX bytes are cut at a character boundary.
**   5. Stemming with a Snowball algorithm (default "english"), or none.
** Every emitted term takes the next word position.
*/
#ifndef GG_ANALYZE_H
#define GG_ANALYZE_H
#include <stddef.h>
#include <stdint.h>

#include "gg/gg.h"

#define GG_TERM_MAX 64      /* bytes; longer words are truncated */

typedef struct gg_analyzer gg_analyzer;

/* stemmer: "none" or a Snowball algorithm name ("english", "porter", ...). */
int gg_analyzer_new(const char *stemmer, gg_analyzer **out, gg_error *err);
void gg_analyzer_free(gg_analyzer *a);
const char *gg_analyzer_stemmer(const gg_analyzer *a);

/* Called once per term.  term is not NUL-terminated and is valid only
** during the call.  [start, end) are the byte offsets of the source word in
** the analysed text.  A non-zero return stops analysis and is returned by
** gg_analyze. */
typedef int (*gg_token_fn)(void *ctx, const char *term, size_t len, uint32_t pos,
                           size_t start, size_t end);

/* Analyse text[0..len), numbering positions from *pos; on return *pos is one
** past the last position used.  Returns 0, the callback's non-zero value,
** or GG_ENOMEM. */
int gg_analyze(gg_analyzer *a, const char *text, size_t len, uint32_t *pos, gg_token_fn fn,
               void *ctx);

/* Steps 1-4 only: the callback gets the normalised words, unstemmed, at the
** same positions.  gg_analyzer_stem(word) then gives the term gg_analyze
** would have emitted.  For a caller that keeps its own word -> term map
** (the indexer), so that a repeated word costs one lookup, not a stem-cache
** lookup and a term lookup. */
int gg_analyze_words(gg_analyzer *a, const char *text, size_t len, uint32_t *pos, gg_token_fn fn,
                     void *ctx);
/* Stem one normalised word; *out stays valid until the next call on a.
** Returns 0 or GG_ENOMEM. */
int gg_analyzer_stem(gg_analyzer *a, const char *w, size_t n, const char **out, size_t *outn);

#endif
