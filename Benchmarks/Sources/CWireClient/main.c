// The floor for WireLatency: a plain C client reading the simulator's paced aggTrade stream.
// Blocking recv on a TCP socket (or, with `spin`, recv(MSG_DONTWAIT) in a busy loop: the
// like-for-like floor for the engine's spinning backends), a minimal HTTP upgrade, unmasked server frames parsed in
// place, the stamp (`"a":` = the simulator's CLOCK_MONOTONIC ns at render, see SimPacer)
// found with a tiny scan, and clock_gettime(CLOCK_MONOTONIC) right after each recv returns
// (every message in that recv shares it, as they share MarketEvent.ingressNs in the engine).
// No JSON parsing beyond the scan: this is the wire plus the kernel plus the simulator.
//
//   CWireClient HOST PORT MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX|-] [spin]
//
// Output (the format WireLatency prints):
//   wire client=c|c-spin stage=recv n=5000 lost=0 foreign=0 p50_ns=… p90_ns=… p99_ns=… p999_ns=… max_ns=…
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host;
static int port;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "CWireClient: %s (errno %d)\n", what, errno);
    exit(1);
}

static int connect_tcp(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("bad host");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    return fd;
}

static void send_all(int fd, const char *text) {
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = send(fd, text + off, len - off, 0);
        if (n <= 0) die("send");
        off += (size_t)n;
    }
}

/// One request with `Connection: close`; returns the status, copies the body into `body`.
static int http(const char *method, const char *path, char *body, size_t cap) {
    int fd = connect_tcp();
    char req[512];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
             method, path, host, port);
    send_all(fd, req);
    char resp[8192];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof resp - 1 && (n = recv(fd, resp + got, sizeof resp - 1 - got, 0)) > 0) got += (size_t)n;
    close(fd);
    resp[got] = 0;
    int status = 0;
    sscanf(resp, "HTTP/1.1 %d", &status);
    if (body) {
        char *b = strstr(resp, "\r\n\r\n");
        snprintf(body, cap, "%s", b ? b + 4 : "");
    }
    return status;
}

static int sim_connections(void) {
    char body[1024];
    if (http("GET", "/sim/stats", body, sizeof body) != 200) return -1;
    char *c = strstr(body, "\"connections\":");
    return c ? atoi(c + 14) : -1;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t percentile(const int64_t *s, size_t n, double q) {
    if (n == 0) return 0;
    size_t rank = (size_t)(q * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return s[rank - 1];
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: CWireClient HOST PORT MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX|-] [spin]\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    if (strncmp(host, "127.", 4) != 0) { fprintf(stderr, "CWireClient: loopback only\n"); return 2; }
    long messages = atol(argv[3]);
    long interval_us = argc > 4 ? atol(argv[4]) : 200;
    long warmup = argc > 5 ? atol(argv[5]) : 200;
    const char *dump = argc > 6 && strcmp(argv[6], "-") != 0 ? argv[6] : NULL;
    int spin = argc > 7 && strcmp(argv[7], "spin") == 0;
    const char *name = spin ? "c-spin" : "c";
    long total = warmup + messages;
    int64_t *samples = calloc((size_t)messages, sizeof *samples);
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    if (!samples || !buf) die("malloc");

    int fd = connect_tcp();
    char req[512];
    snprintf(req, sizeof req,
             "GET /market/stream?streams=btcusdt@aggTrade HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
             host, port);
    send_all(fd, req);
    size_t len = 0;
    unsigned char *end = NULL;
    while (!end) {
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0) die("upgrade response");
        len += (size_t)n;
        end = memmem(buf, len, "\r\n\r\n", 4);
    }
    if (!memmem(buf, (size_t)(end - buf), " 101 ", 5)) { fprintf(stderr, "CWireClient: no upgrade\n"); return 1; }
    size_t head = (size_t)(end - buf) + 4;
    memmove(buf, buf + head, len - head);
    len -= head;

    // A receive timeout so a lost message cannot hang the run.
    struct timeval tv = {.tv_sec = 3, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    uint64_t not_before = now_ns();
    char path[512];
    snprintf(path, sizeof path, "/sim/pace?stream=btcusdt@aggTrade&count=%ld&interval_us=%ld", total, interval_us);
    int status = 0;
    for (int i = 0; i < 250; i++) {  // 409: the hub has not registered us yet
        status = http("POST", path, NULL, 0);
        if (status != 409) break;
        usleep(20000);
    }
    if (status != 200) { fprintf(stderr, "CWireClient: POST /sim/pace answered %d\n", status); return 1; }

    long seen = 0, foreign = 0;
    int closed = 0;
    size_t count = 0;
    uint64_t last = now_ns();
    while (seen < total && !closed) {
        ssize_t n = recv(fd, buf + len, cap - len, spin ? MSG_DONTWAIT : 0);
        uint64_t t = now_ns();
        if (n < 0 && spin && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (t - last > 3000000000u) break;  // 3 s of silence
            continue;
        }
        if (n <= 0) break;  // closed, or 3 s of silence
        last = t;
        len += (size_t)n;
        size_t off = 0;
        for (;;) {  // whole frames in buf[off..<len]
            if (len - off < 2) break;
            unsigned char *f = buf + off;
            uint64_t plen = f[1] & 0x7F;
            size_t hdr = 2;
            if (plen == 126) {
                if (len - off < 4) break;
                plen = (uint64_t)f[2] << 8 | f[3];
                hdr = 4;
            } else if (plen == 127) {
                if (len - off < 10) break;
                plen = 0;
                for (int k = 2; k < 10; k++) plen = plen << 8 | f[k];
                hdr = 10;
            }
            if (len - off < hdr + plen) break;
            int opcode = f[0] & 0x0F;
            if (opcode == 8) { closed = 1; break; }  // close
            if (opcode == 1) {
                unsigned char *a = memmem(f + hdr, plen, "\"a\":", 4);
                int64_t stamp = 0;
                if (a) for (a += 4; a < f + hdr + plen && *a >= '0' && *a <= '9'; a++) stamp = stamp * 10 + (*a - '0');
                if (stamp <= 0 || (uint64_t)stamp < not_before || (uint64_t)stamp > t) {
                    foreign++;
                } else {
                    seen++;
                    if (seen > warmup && count < (size_t)messages) samples[count++] = (int64_t)(t - (uint64_t)stamp);
                }
            }
            off += hdr + plen;
        }
        memmove(buf, buf + off, len - off);
        len -= off;
        if (len == cap) die("frame larger than the buffer");
    }
    close(fd);

    if (dump) {
        snprintf(path, sizeof path, "%s.%s.recv", dump, name);
        FILE *out = fopen(path, "a");
        if (out) {
            for (size_t i = 0; i < count; i++) fprintf(out, "%lld\n", (long long)samples[i]);
            fclose(out);
        }
    }
    qsort(samples, count, sizeof *samples, cmp64);
    printf("wire client=%s stage=recv n=%zu lost=%ld foreign=%ld p50_ns=%lld p90_ns=%lld p99_ns=%lld p999_ns=%lld max_ns=%lld\n",
           name, count, total - seen, foreign, (long long)percentile(samples, count, 0.5),
           (long long)percentile(samples, count, 0.9), (long long)percentile(samples, count, 0.99),
           (long long)percentile(samples, count, 0.999), (long long)(count ? samples[count - 1] : 0));
    fflush(stdout);
    // Wait until the simulator has dropped us, so the next run's messages go to one connection.
    for (int i = 0; i < 100 && sim_connections() > 0; i++) usleep(10000);
    free(samples);
    free(buf);
    return 0;
}
