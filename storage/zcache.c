/*
 * zcache.c - see zcache.h. A chained hash table over the keys and a doubly linked LRU list
 * of the ready blocks. An entry is freed only when it is out of the table and no reader
 * waits on it (refs).
 */
#include "storage/zcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

enum zstate { Z_LOADING = 0, Z_READY, Z_FAILED };

struct zent {
    struct zcache_key k;
    enum zstate state;
    int in_table;
    unsigned refs;
    int err;
    uint8_t *buf;
    uint32_t blen;
    struct zent *hnext;              /* hash chain */
    struct zent *prev, *next;        /* LRU (ready entries only), most recent first */
};

struct zcache {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct zent *tab[BUCKETS];
    struct zent *head, *tail;
    struct zcache_stats st;
};

static size_t hash(const struct zcache_key *k)
{
    uint64_t h = k->dev * 0x9E3779B97F4A7C15ull ^ k->ino * 0xC2B2AE3D27D4EB4Full ^ k->idx_crc ^
                 (uint64_t)k->block * 0x165667B19E3779F9ull;
    return (size_t)((h ^ (h >> 29)) % BUCKETS);
}

static int same(const struct zcache_key *a, const struct zcache_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->idx_crc == b->idx_crc && a->block == b->block;
}

struct zcache *zcache_new(uint64_t max_bytes)
{
    struct zcache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->st.capacity = max_bytes;
    return c;
}

static void lru_unlink(struct zcache *c, struct zent *e)
{
    if (e->prev) e->prev->next = e->next;
    else if (c->head == e) c->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else if (c->tail == e) c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(struct zcache *c, struct zent *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static void table_remove(struct zcache *c, struct zent *e)
{
    for (struct zent **p = &c->tab[hash(&e->k)]; *p; p = &(*p)->hnext)
        if (*p == e) {
            *p = e->hnext;
            break;
        }
    e->in_table = 0;
}

static void ent_release(struct zent *e)
{
    if (--e->refs == 0 && !e->in_table) {
        free(e->buf);
        free(e);
    }
}

/* Evict ready blocks from the cold end until the bound holds. Caller holds mu. */
static void shrink(struct zcache *c)
{
    while (c->st.bytes > c->st.capacity && c->tail) {
        struct zent *e = c->tail;
        lru_unlink(c, e);
        table_remove(c, e);
        c->st.bytes -= e->blen;
        c->st.blocks--;
        c->st.evictions++;
        e->refs++;
        ent_release(e);
    }
}

void zcache_free(struct zcache *c)
{
    if (!c) return;
    c->st.capacity = 0;
    shrink(c);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void zcache_set_capacity(struct zcache *c, uint64_t max_bytes)
{
    pthread_mutex_lock(&c->mu);
    c->st.capacity = max_bytes;
    shrink(c);
    pthread_mutex_unlock(&c->mu);
}

void zcache_get_stats(struct zcache *c, struct zcache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    pthread_mutex_unlock(&c->mu);
}

int zcache_read(struct zcache *c, const struct zcache_key *k, uint32_t blen, uint32_t off, void *dst, size_t len,
                zcache_load_fn load, void *arg)
{
    if ((uint64_t)off + len > blen) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    for (;;) {
        struct zent *e = c->tab[hash(k)];
        while (e && !same(&e->k, k)) e = e->hnext;
        if (!e) break;
        if (e->state == Z_READY) {
            lru_unlink(c, e);
            lru_front(c, e);
            memcpy(dst, e->buf + off, len);
            c->st.hits++;
            pthread_mutex_unlock(&c->mu);
            return 0;
        }
        /* Another reader inflates it: wait for that load. */
        e->refs++;
        while (e->state == Z_LOADING) pthread_cond_wait(&c->cv, &c->mu);
        if (e->state == Z_READY) {   /* our reference keeps the buffer, even if evicted since */
            memcpy(dst, e->buf + off, len);
            c->st.hits++;
            ent_release(e);
            pthread_mutex_unlock(&c->mu);
            return 0;
        }
        int err = e->err;
        ent_release(e);
        pthread_mutex_unlock(&c->mu);
        errno = err ? err : EIO;
        return -1;
    }
    /* A miss. With caching off (or a block larger than the whole cache) inflate privately. */
    int keep = blen <= c->st.capacity;
    struct zent *e = calloc(1, sizeof(*e));
    uint8_t *buf = malloc(blen ? blen : 1);
    if (!e || !buf) {
        free(e);
        free(buf);
        pthread_mutex_unlock(&c->mu);
        errno = ENOMEM;
        return -1;
    }
    c->st.decompressions++;
    if (keep) {
        e->k = *k;
        e->state = Z_LOADING;
        e->in_table = 1;
        e->refs = 1;
        e->blen = blen;
        size_t h = hash(k);
        e->hnext = c->tab[h];
        c->tab[h] = e;
    }
    pthread_mutex_unlock(&c->mu);
    int rc = load(arg, buf, blen), err = errno;
    if (!keep) {
        if (rc == 0) memcpy(dst, buf + off, len);
        free(buf);
        free(e);
        errno = err;
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    if (rc == 0) {
        e->buf = buf;
        e->state = Z_READY;
        memcpy(dst, buf + off, len);
        lru_front(c, e);
        c->st.bytes += blen;
        c->st.blocks++;
    } else {
        free(buf);
        e->state = Z_FAILED;
        e->err = err;
        table_remove(c, e);
    }
    pthread_cond_broadcast(&c->cv);
    ent_release(e);
    if (rc == 0) shrink(c);
    pthread_mutex_unlock(&c->mu);
    if (rc == -1) errno = err;
    return rc;
}
