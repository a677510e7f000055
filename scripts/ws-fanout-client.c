/* WebSocket fan-out client for scripts/control-bench.py: N connections to the control plane's
 * /ws on loopback, one epoll loop, no TLS. Waits until every connection has its "connected"
 * message, prints "ready", then reads until each connection has M messages of type "bench"
 * (or TIMEOUT s pass). Latency = CLOCK_MONOTONIC at receipt - the message's "t_ns" (the server
 * stamped it with the same clock just before broadcasting). Prints one JSON line with the
 * percentiles and the number lost. C so that the client is not the bottleneck it measures.
 *
 *   cc -O2 -o ws-fanout-client ws-fanout-client.c
 *   ws-fanout-client PORT TOKEN CLIENTS MESSAGES [TIMEOUT_S]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct { int fd; int upgraded; int connected; long received; size_t len; char buf[1 << 16]; } conn_t;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: %s PORT TOKEN CLIENTS MESSAGES [TIMEOUT_S]\n", argv[0]); return 2; }
    int port = atoi(argv[1]), n = atoi(argv[3]); long m = atol(argv[4]);
    int timeout_s = argc > 5 ? atoi(argv[5]) : 60;
    conn_t *c = calloc(n, sizeof(conn_t));
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)n * m);
    size_t nlat = 0;
    int ep = epoll_create1(0);
    char req[4096];
    int reqlen = snprintf(req, sizeof req,
        "GET /ws?token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", argv[2]);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    for (int i = 0; i < n; i++) {
        c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c[i].fd < 0 || connect(c[i].fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 1; }
        if (write(c[i].fd, req, reqlen) != reqlen) { perror("write"); return 1; }
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    }
    int ready = 0, done = 0, announced = 0;
    uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000ull;
    struct epoll_event evs[256];
    while (done < n && now_ns() < deadline) {
        if (!announced && ready == n) { printf("ready\n"); fflush(stdout); announced = 1; }
        int k = epoll_wait(ep, evs, 256, 100);
        for (int e = 0; e < k; e++) {
            conn_t *x = &c[evs[e].data.u32];
            ssize_t r = read(x->fd, x->buf + x->len, sizeof x->buf - x->len);
            if (r <= 0) { if (r < 0 && errno == EINTR) continue; epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL); continue; }
            uint64_t t = now_ns();
            x->len += (size_t)r;
            size_t off = 0;
            if (!x->upgraded) {
                char *end = memmem(x->buf, x->len, "\r\n\r\n", 4);
                if (!end) continue;
                if (strncmp(x->buf, "HTTP/1.1 101", 12) != 0) { fprintf(stderr, "upgrade refused\n"); return 1; }
                x->upgraded = 1;
                off = (size_t)(end - x->buf) + 4;
            }
            for (;;) {  /* whole frames: server frames are unmasked */
                if (x->len - off < 2) break;
                unsigned char *f = (unsigned char *)x->buf + off;
                uint64_t plen = f[1] & 0x7f; size_t hdr = 2;
                if (plen == 126) { if (x->len - off < 4) break; plen = ((uint64_t)f[2] << 8) | f[3]; hdr = 4; }
                else if (plen == 127) { if (x->len - off < 10) break; plen = 0; for (int b = 0; b < 8; b++) plen = plen << 8 | f[2 + b]; hdr = 10; }
                if (x->len - off < hdr + plen) break;
                char *p = (char *)f + hdr;
                if ((f[0] & 0x0f) == 1) {
                    if (!x->connected && memmem(p, plen, "\"type\":\"connected\"", 18)) { x->connected = 1; ready++; }
                    char *s = memmem(p, plen, "\"t_ns\":", 7);
                    if (s) {
                        lat[nlat++] = t - strtoull(s + 7, NULL, 10);
                        if (++x->received == m) done++;
                    }
                }
                off += hdr + plen;
            }
            memmove(x->buf, x->buf + off, x->len - off);
            x->len -= off;
        }
    }
    qsort(lat, nlat, sizeof *lat, cmp);
#define P(q) (nlat ? lat[(size_t)((nlat - 1) * (q))] : 0)
    printf("{\"received\":%zu,\"expected\":%ld,\"lost\":%ld,\"p50_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,\"max_ns\":%llu}\n",
           nlat, (long)n * m, (long)n * m - (long)nlat, (unsigned long long)P(0.5), (unsigned long long)P(0.99),
           (unsigned long long)P(0.999), (unsigned long long)(nlat ? lat[nlat - 1] : 0));
    return 0;
}
