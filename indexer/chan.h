/*
** chan.h -- a bounded FIFO of pointers between threads (mutex + condition
** variables).  Used to pipeline the build: the main thread parses input,
** an inverter thread analyses and inverts, a compressor thread deflates
** stored text.  Each stage is sequential, so the output is the same
** byte for byte as a single-threaded build.
*/
#ifndef GG_CHAN_H
#define GG_CHAN_H
#include <pthread.h>
#include <stddef.h>

typedef struct gg_chan {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  void **items;
  size_t cap, head, n;
  int closed;          /* no more puts; gets drain then return NULL */
} gg_chan;

int gg_chan_init(gg_chan *c, size_t cap);   /* 0 or -1 (no memory) */
void gg_chan_destroy(gg_chan *c);
/* Blocks while full.  Returns -1 if the channel was closed. */
int gg_chan_put(gg_chan *c, void *item);
/* Blocks while empty; NULL once closed and drained. */
void *gg_chan_get(gg_chan *c);
/* Non-blocking get: NULL if empty. */
void *gg_chan_try_get(gg_chan *c);
void gg_chan_close(gg_chan *c);

#endif
