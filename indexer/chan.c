/*
** chan.c -- bounded pointer FIFO between threads (see chan.h).
*/
#include "chan.h"

#include <stdlib.h>

int gg_chan_init(gg_chan *c, size_t cap) {
  c->items = calloc(cap, sizeof *c->items);
  if (!c->items) return -1;
  c->cap = cap;
  c->head = c->n = 0;
  c->closed = 0;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->not_empty, NULL);
  pthread_cond_init(&c->not_full, NULL);
  return 0;
}

void gg_chan_destroy(gg_chan *c) {
  if (!c->items) return;
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->not_empty);
  pthread_cond_destroy(&c->not_full);
  free(c->items);
  c->items = NULL;
}

int gg_chan_put(gg_chan *c, void *item) {
  pthread_mutex_lock(&c->mu);
  while (c->n == c->cap && !c->closed) pthread_cond_wait(&c->not_full, &c->mu);
  if (c->closed) {
    pthread_mutex_unlock(&c->mu);
    return -1;
  }
  c->items[(c->head + c->n) % c->cap] = item;
  c->n++;
  pthread_cond_signal(&c->not_empty);
  pthread_mutex_unlock(&c->mu);
  return 0;
}

static void *take(gg_chan *c) {
  void *item = c->items[c->head];
  c->head = (c->head + 1) % c->cap;
  c->n--;
  pthread_cond_signal(&c->not_full);
  return item;
}

void *gg_chan_get(gg_chan *c) {
  pthread_mutex_lock(&c->mu);
  while (c->n == 0 && !c->closed) pthread_cond_wait(&c->not_empty, &c->mu);
  void *item = c->n ? take(c) : NULL;
  pthread_mutex_unlock(&c->mu);
  return item;
}

void *gg_chan_try_get(gg_chan *c) {
  pthread_mutex_lock(&c->mu);
  void *item = c->n ? take(c) : NULL;
  pthread_mutex_unlock(&c->mu);
  return item;
}

void gg_chan_close(gg_chan *c) {
  pthread_mutex_lock(&c->mu);
  c->closed = 1;
  pthread_cond_broadcast(&c->not_empty);
  pthread_cond_broadcast(&c->not_full);
  pthread_mutex_unlock(&c->mu);
}
