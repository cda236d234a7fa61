/*
** test_dict.c -- dictionary lookups (searcher/reader.c gg_seg_lookup)
** against the known term set of generated indexes.
**
** Each index holds the words w(0), w(2), w(4), ... (five letters after a
** "q", in sorting order), each once, in documents of 1000 words, built
** unstemmed.  Oracle: w(i) is in the dictionary with df 1 exactly when i
** is even.  Three sizes: one dictionary block; a few DICTTOP strides; and
** more than GG_DICT_TOP_MAX strides of GG_DICT_TOP_STRIDE blocks, so that
** the writer doubles the stride.  Looked up: terms at and around every
** dictionary block and every stride boundary, a sample of the others,
** absent terms between them, and terms sorting before and after all.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/segment.h"
#include "gg/gg.h"
#include "searcher/searcher.h"
#include "testutil.h"

/* The i-th word in sorting order: "q" and i in base 26, five letters. */
static void word(uint32_t i, char w[8]) {
  w[0] = 'q';
  for (int k = 5; k >= 1; k--) {
    w[k] = (char)('a' + i % 26);
    i /= 26;
  }
  w[6] = 0;
}

static int lookup(gg_seg *s, const char *t, gg_term_info *info) {
  gg_error err;
  int rc = gg_seg_lookup(s, t, strlen(t), info, &err);
  if (rc < 0) fprintf(stderr, "lookup %s: %s\n", t, err.msg);
  return rc;
}

/* Build an index of the words w(0), w(2), ..., w(2 (nterms - 1)) and check
** lookups; returns DICTTOP's stride. */
static uint32_t check_index(const char *dir, uint32_t nterms) {
  char *corpus = tu_path(dir, "docs.jsonl"), *index = tu_path(dir, "index");
  FILE *f = fopen(corpus, "w");
  REQUIRE(f, "cannot write %s", corpus);
  for (uint32_t i = 0; i < nterms; i++) {
    char w[8];
    word(2 * i, w);
    if (i % 1000 == 0) fprintf(f, "%s{\"id\":\"d%u\",\"title\":\"\",\"contents\":\"", i ? "\"}\n" : "", i / 1000);
    fprintf(f, "%s%s", i % 1000 ? " " : "", w);
  }
  fputs("\"}\n", f);
  fclose(f);
  gg_index *ix = tu_build_open(corpus, index, "none");
  gg_error err;
  REQUIRE(ix->nsegs == 1, "one segment expected");
  gg_seg *s = &ix->segs[0];

  uint64_t off, len;
  REQUIRE(gg_pfr_section(s->f, GG_SEC_DICTTOP, &off, &len, &err) == GG_OK, "%s", err.msg);
  const uint8_t *top = gg_pfr_get(s->f, off, len, &err);
  REQUIRE(top, "%s", err.msg);
  uint32_t stride = gg_get_u32(top);
  uint64_t nblocks = (nterms + GG_DICT_BLOCK_TERMS - 1) / GG_DICT_BLOCK_TERMS;
  CHECK(s->ndict_blocks == nblocks, "%llu blocks, want %llu", (unsigned long long)s->ndict_blocks,
        (unsigned long long)nblocks);
  CHECK((nblocks + stride - 1) / stride <= GG_DICT_TOP_MAX, "stride %u too small", stride);
  CHECK(stride == GG_DICT_TOP_STRIDE || (nblocks + stride - 1) / (stride / 2) > GG_DICT_TOP_MAX,
        "stride %u larger than needed", stride);

  long looked = 0;
  uint64_t per_stride = (uint64_t)stride * GG_DICT_BLOCK_TERMS;
  for (uint32_t i = 0; i < nterms; i++) {
    /* Every block's first and last term, the neighbours of every stride's
    ** first term, and one term in 37 besides. */
    uint32_t in_block = i % GG_DICT_BLOCK_TERMS;
    uint64_t in_stride = i % per_stride;
    if (!(in_block == 0 || in_block == GG_DICT_BLOCK_TERMS - 1 || in_stride <= 1 ||
          in_stride == per_stride - 1 || i % 37 == 0 || i + 1 == nterms))
      continue;
    char w[8];
    gg_term_info info;
    word(2 * i, w);
    int rc = lookup(s, w, &info);
    CHECK(rc == 1 && info.df == 1, "%s (term %u of %u): %d, df %u", w, i, nterms, rc, rc == 1 ? info.df : 0);
    word(2 * i + 1, w); /* sorts between this term and the next: absent */
    rc = lookup(s, w, &info);
    CHECK(rc == 0, "%s (between terms %u and %u): %d", w, i, i + 1, rc);
    looked += 2;
  }
  gg_term_info info;
  CHECK(lookup(s, "a", &info) == 0, "a term before every term is absent");
  CHECK(lookup(s, "qaaaaa", &info) == 1, "the first term");
  CHECK(lookup(s, "qaaaa", &info) == 0, "a prefix of the first term is absent");
  CHECK(lookup(s, "zzz", &info) == 0, "a term after every term is absent");
  fprintf(stderr, "test_dict: %u terms, %llu blocks, stride %u: %ld lookups\n", nterms,
          (unsigned long long)nblocks, stride, looked + 4);
  gg_index_close(ix);
  free(corpus);
  free(index);
  return stride;
}

int main(void) {
  char *dir = tu_mkdtemp("dict");
  static const uint32_t sizes[] = {10, 5000, (GG_DICT_TOP_MAX + 2) * GG_DICT_TOP_STRIDE * GG_DICT_BLOCK_TERMS};
  uint32_t strides[3];
  for (int k = 0; k < 3; k++) {
    char name[16];
    snprintf(name, sizeof name, "ix%d", k);
    char *sub = tu_path(dir, name);
    REQUIRE(mkdir(sub, 0755) == 0, "mkdir %s", sub);
    strides[k] = check_index(sub, sizes[k]);
    free(sub);
  }
  CHECK(strides[0] == GG_DICT_TOP_STRIDE && strides[1] == GG_DICT_TOP_STRIDE, "small strides %u %u",
        strides[0], strides[1]);
  CHECK(strides[2] == 2 * GG_DICT_TOP_STRIDE, "the largest index doubles the stride: %u", strides[2]);
  tu_rm_rf(dir);
  free(dir);
  CHECK_EXIT();
}
