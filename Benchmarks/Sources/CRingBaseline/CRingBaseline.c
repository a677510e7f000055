/* The C baseline ring and the C side of every Swift-vs-C measurement. See CRingBaseline.h. */
#include "CRingBaseline.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- ring ---------------------------------------------------------------------------------- */

/* Idiomatic C: the loops read the ring's fields (ctl, slots, mask, capacity) through the ring
 * pointer, and since an acquire load may publish any memory, clang reloads them after each one.
 * The Swift ring's fields are `let`, which its optimizer may keep in registers. Thread state
 * (ring pointers, counts) is copied into locals before each loop, so only the ring is measured. */

/* One 256-byte, 64-byte-aligned control block, exactly as SPSCRing lays it out: the producer's
 * line at +0 (tail and its cached copy of head), the consumer's line at +128 (head and its cached
 * copy of tail); 128 bytes apart so the adjacent-line prefetcher does not pair them. */
typedef struct crb_control {
    _Atomic uint64_t tail;
    uint64_t cached_head;
    char pad_producer[128 - 16];
    _Atomic uint64_t head;
    uint64_t cached_tail;
    char pad_consumer[128 - 16];
} crb_control_t;

_Static_assert(sizeof(crb_control_t) == 256, "control block is 256 bytes");
_Static_assert(offsetof(crb_control_t, head) == 128, "head is 128 bytes after tail");

struct crb_ring {
    uint64_t capacity;
    uint64_t mask;
    crb_msg64_t *slots;   /* 64-byte aligned, capacity slots */
    crb_control_t *ctl;   /* 64-byte aligned */
};

crb_ring_t *crb_ring_create(size_t capacity) {
    if (capacity < 2 || (capacity & (capacity - 1)) != 0) return NULL;
    crb_ring_t *r = malloc(sizeof *r);
    if (!r) return NULL;
    void *ctl = NULL, *slots = NULL;
    if (posix_memalign(&ctl, 64, sizeof(crb_control_t)) != 0) { free(r); return NULL; }
    if (posix_memalign(&slots, 64, capacity * sizeof(crb_msg64_t)) != 0) {
        free(ctl); free(r); return NULL;
    }
    memset(ctl, 0, sizeof(crb_control_t));
    memset(slots, 0, capacity * sizeof(crb_msg64_t));
    r->capacity = capacity;
    r->mask = capacity - 1;
    r->slots = slots;
    r->ctl = ctl;
    atomic_init(&r->ctl->tail, 0);
    atomic_init(&r->ctl->head, 0);
    return r;
}

void crb_ring_destroy(crb_ring_t *r) {
    if (!r) return;
    free(r->slots);
    free(r->ctl);
    free(r);
}

static inline __attribute__((always_inline)) int ring_push(crb_ring_t *r, const crb_msg64_t *m) {
    crb_control_t *c = r->ctl;
    uint64_t t = atomic_load_explicit(&c->tail, memory_order_relaxed);
    if (t - c->cached_head == r->capacity) {
        /* Acquire: the consumer finished reading the slot before it released its position. */
        c->cached_head = atomic_load_explicit(&c->head, memory_order_acquire);
        if (t - c->cached_head == r->capacity) return 0;
    }
    r->slots[t & r->mask] = *m;
    /* Release: the slot's contents are visible before the new tail is. */
    atomic_store_explicit(&c->tail, t + 1, memory_order_release);
    return 1;
}

static inline __attribute__((always_inline)) int ring_pop(crb_ring_t *r, crb_msg64_t *out) {
    crb_control_t *c = r->ctl;
    uint64_t h = atomic_load_explicit(&c->head, memory_order_relaxed);
    if (h == c->cached_tail) {
        /* Acquire: the producer's slot writes are visible once its tail is. */
        c->cached_tail = atomic_load_explicit(&c->tail, memory_order_acquire);
        if (h == c->cached_tail) return 0;
    }
    *out = r->slots[h & r->mask];
    /* Release: our read of the slot happens before the producer may reuse it. */
    atomic_store_explicit(&c->head, h + 1, memory_order_release);
    return 1;
}

int crb_ring_try_push(crb_ring_t *r, const crb_msg64_t *m) { return ring_push(r, m); }
int crb_ring_try_pop(crb_ring_t *r, crb_msg64_t *out) { return ring_pop(r, out); }
uint64_t crb_ring_published(const crb_ring_t *r) {
    return atomic_load_explicit(&r->ctl->tail, memory_order_relaxed);
}
uint64_t crb_ring_consumed(const crb_ring_t *r) {
    return atomic_load_explicit(&r->ctl->head, memory_order_relaxed);
}

/* The message every producer sends: fixed words, seq set per message (the Swift side uses the
 * same template, Msg64.template). */
static inline crb_msg64_t msg_template(void) {
    crb_msg64_t m = {0, 1, 2, 3, 4, 5, 6, 7};
    return m;
}

/* ---- single thread ------------------------------------------------------------------------- */

uint64_t crb_pushpop_loop(crb_ring_t *r, uint64_t n) {
    crb_msg64_t m = msg_template(), out;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        m.seq = i;
        (void)ring_push(r, &m);
        (void)ring_pop(r, &out);
        acc += crb_msg64_fold(&out);
    }
    return acc;
}

/* ---- threads ------------------------------------------------------------------------------- */

int crb_pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int crb_current_cpu(void) { return sched_getcpu(); }

int crb_available_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return (int)sysconf(_SC_NPROCESSORS_ONLN);
    return CPU_COUNT(&set);
}

double crb_tsc_ticks_per_ns(int ms) {
    uint64_t n0 = crb_monotonic_ns(), t0 = crb_rdtsc();
    uint64_t target = n0 + (uint64_t)ms * 1000000ull, n1;
    do { n1 = crb_monotonic_ns(); } while (n1 < target);
    uint64_t t1 = crb_rdtsc();
    return (double)(t1 - t0) / (double)(n1 - n0);
}

/* Both threads of a run wait here until the other is pinned and ready. */
static void barrier_arrive(_Atomic int *ready, int parties) {
    atomic_fetch_add_explicit(ready, 1, memory_order_acq_rel);
    while (atomic_load_explicit(ready, memory_order_acquire) < parties) { }
}

/* ---- ping-pong ----------------------------------------------------------------------------- */

typedef struct {
    crb_ring_t *a, *b;        /* a: ping -> pong, b: pong -> ping */
    uint64_t n;
    uint64_t *ticks;
    int cpu_ping, cpu_pong;
    _Atomic int ready;
    int64_t errors;
} pingpong_t;

static void *pong_main(void *arg) {
    pingpong_t *p = arg;
    crb_pin_current_thread(p->cpu_pong);
    barrier_arrive(&p->ready, 2);
    crb_ring_t *const a = p->a, *const b = p->b;
    const uint64_t n = p->n;
    crb_msg64_t m;
    for (uint64_t i = 0; i < n; i++) {
        while (!ring_pop(a, &m)) { }
        while (!ring_push(b, &m)) { }
    }
    return NULL;
}

static void *ping_main(void *arg) {
    pingpong_t *p = arg;
    crb_pin_current_thread(p->cpu_ping);
    barrier_arrive(&p->ready, 2);
    crb_ring_t *const a = p->a, *const b = p->b;
    uint64_t *const ticks = p->ticks;
    const uint64_t n = p->n;
    crb_msg64_t m = msg_template(), back;
    int64_t errors = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = crb_rdtsc();
        m.seq = i;
        while (!ring_push(a, &m)) { }
        while (!ring_pop(b, &back)) { }
        uint64_t t1 = crb_rdtsc();
        ticks[i] = t1 - t0;
        errors += back.seq != i;
    }
    p->errors = errors;
    return NULL;
}

int64_t crb_run_pingpong(int cpu_ping, int cpu_pong, uint64_t n, size_t capacity,
                         uint64_t *ticks_out) {
    pingpong_t p = {0};
    p.a = crb_ring_create(capacity);
    p.b = crb_ring_create(capacity);
    p.n = n;
    p.ticks = ticks_out;
    p.cpu_ping = cpu_ping;
    p.cpu_pong = cpu_pong;
    atomic_init(&p.ready, 0);
    int64_t result = -1;
    pthread_t pong, ping;
    if (p.a && p.b && pthread_create(&pong, NULL, pong_main, &p) == 0) {
        if (pthread_create(&ping, NULL, ping_main, &p) == 0) {
            pthread_join(ping, NULL);
            result = p.errors;
        } else {
            /* Let pong finish: run the ping side on this thread instead. */
            ping_main(&p);
            result = p.errors;
        }
        pthread_join(pong, NULL);
    }
    crb_ring_destroy(p.a);
    crb_ring_destroy(p.b);
    return result;
}

/* ---- one-way throughput -------------------------------------------------------------------- */

typedef struct {
    crb_ring_t *ring;
    uint64_t m;
    int cpu_prod, cpu_cons;
    _Atomic int ready;
    uint64_t start_ns, end_ns, checksum;
    int64_t errors;
} throughput_t;

static void *producer_main(void *arg) {
    throughput_t *t = arg;
    crb_pin_current_thread(t->cpu_prod);
    barrier_arrive(&t->ready, 2);
    crb_ring_t *const ring = t->ring;
    const uint64_t count = t->m;
    t->start_ns = crb_monotonic_ns();
    crb_msg64_t m = msg_template();
    for (uint64_t i = 0; i < count; i++) {
        m.seq = i;
        while (!ring_push(ring, &m)) { }
    }
    return NULL;
}

static void *consumer_main(void *arg) {
    throughput_t *t = arg;
    crb_pin_current_thread(t->cpu_cons);
    barrier_arrive(&t->ready, 2);
    crb_ring_t *const ring = t->ring;
    const uint64_t count = t->m;
    crb_msg64_t m;
    uint64_t acc = 0;
    int64_t errors = 0;
    for (uint64_t i = 0; i < count; i++) {
        while (!ring_pop(ring, &m)) { }
        errors += m.seq != i;
        acc += crb_msg64_fold(&m);
    }
    t->end_ns = crb_monotonic_ns();
    t->checksum = acc;
    t->errors = errors;
    return NULL;
}

int64_t crb_run_throughput(int cpu_prod, int cpu_cons, uint64_t m, size_t capacity,
                           uint64_t *elapsed_ns, uint64_t *checksum) {
    throughput_t t = {0};
    t.ring = crb_ring_create(capacity);
    t.m = m;
    t.cpu_prod = cpu_prod;
    t.cpu_cons = cpu_cons;
    atomic_init(&t.ready, 0);
    int64_t result = -1;
    pthread_t cons, prod;
    if (t.ring && pthread_create(&cons, NULL, consumer_main, &t) == 0) {
        if (pthread_create(&prod, NULL, producer_main, &t) == 0) {
            pthread_join(prod, NULL);
        } else {
            producer_main(&t);
        }
        pthread_join(cons, NULL);
        result = t.errors;
        if (elapsed_ns) *elapsed_ns = t.end_ns - t.start_ns;
        if (checksum) *checksum = t.checksum;
    }
    crb_ring_destroy(t.ring);
    return result;
}

/* ---- long-lived peers for package-benchmark ------------------------------------------------ */

struct crb_echo {
    crb_ring_t *a, *b;
    int cpu;
    _Atomic int stop;
    pthread_t thread;
    crb_msg64_t out;      /* the caller's message, kept here between calls */
    uint64_t seq;
};

static void *echo_main(void *arg) {
    crb_echo_t *e = arg;
    crb_pin_current_thread(e->cpu);
    crb_ring_t *const a = e->a, *const b = e->b;
    crb_msg64_t m;
    while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
        if (ring_pop(a, &m)) {
            while (!ring_push(b, &m)) { }
        }
    }
    return NULL;
}

crb_echo_t *crb_echo_start(int cpu, size_t capacity) {
    crb_echo_t *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->a = crb_ring_create(capacity);
    e->b = crb_ring_create(capacity);
    e->cpu = cpu;
    e->out = msg_template();
    atomic_init(&e->stop, 0);
    if (!e->a || !e->b || pthread_create(&e->thread, NULL, echo_main, e) != 0) {
        crb_ring_destroy(e->a);
        crb_ring_destroy(e->b);
        free(e);
        return NULL;
    }
    return e;
}

uint64_t crb_echo_roundtrips(crb_echo_t *e, uint64_t n) {
    crb_ring_t *const a = e->a, *const b = e->b;
    crb_msg64_t m = e->out, back;
    uint64_t errors = 0, seq = e->seq;
    for (uint64_t i = 0; i < n; i++, seq++) {
        m.seq = seq;
        while (!ring_push(a, &m)) { }
        while (!ring_pop(b, &back)) { }
        errors += back.seq != seq;
    }
    e->seq = seq;
    return errors;
}

void crb_echo_stop(crb_echo_t *e) {
    if (!e) return;
    atomic_store_explicit(&e->stop, 1, memory_order_relaxed);
    pthread_join(e->thread, NULL);
    crb_ring_destroy(e->a);
    crb_ring_destroy(e->b);
    free(e);
}

struct crb_sink {
    crb_ring_t *ring;
    int cpu;
    _Atomic int stop;
    pthread_t thread;
    uint64_t seq;
    uint64_t checksum;
};

static void *sink_main(void *arg) {
    crb_sink_t *s = arg;
    crb_pin_current_thread(s->cpu);
    crb_ring_t *const ring = s->ring;
    crb_msg64_t m;
    uint64_t acc = 0;
    for (;;) {
        if (ring_pop(ring, &m)) {
            acc += crb_msg64_fold(&m);
        } else if (atomic_load_explicit(&s->stop, memory_order_relaxed)) {
            break;
        }
    }
    s->checksum = acc;
    return NULL;
}

crb_sink_t *crb_sink_start(int cpu, size_t capacity) {
    crb_sink_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->ring = crb_ring_create(capacity);
    s->cpu = cpu;
    atomic_init(&s->stop, 0);
    if (!s->ring || pthread_create(&s->thread, NULL, sink_main, s) != 0) {
        crb_ring_destroy(s->ring);
        free(s);
        return NULL;
    }
    return s;
}

void crb_sink_send(crb_sink_t *s, uint64_t n) {
    crb_ring_t *const ring = s->ring;
    crb_msg64_t m = msg_template();
    uint64_t seq = s->seq;
    for (uint64_t i = 0; i < n; i++, seq++) {
        m.seq = seq;
        while (!ring_push(ring, &m)) { }
    }
    s->seq = seq;
    /* Delivered means consumed: wait for the sink's head to reach our tail. */
    while (atomic_load_explicit(&ring->ctl->head, memory_order_acquire) != seq) { }
}

uint64_t crb_sink_stop(crb_sink_t *s) {
    if (!s) return 0;
    atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
    pthread_join(s->thread, NULL);
    uint64_t acc = s->checksum;
    crb_ring_destroy(s->ring);
    free(s);
    return acc;
}
