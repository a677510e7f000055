// The floor for OrderWireLatency: a minimal C client that answers each paced aggTrade of a running
// simulator (`POST /sim/pace`, whose `a` is the simulator's CLOCK_MONOTONIC ns at render) with a
// signed market order on a keep-alive REST connection, and nothing else.
//
// - Market data: a plain WebSocket on `/market/ws/btcusdt@aggTrade`, polled with
//   recv(MSG_DONTWAIT) in a busy loop (like CWireClient's `spin`, and like the engine's spinning
//   backends); unmasked server frames parsed in place; the stamp found by a scan for `"a":`.
// - Order: `POST /fapi/v1/order` with the form body
//   symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=cf-<n>&newOrderRespType=RESULT
//   &timestamp=<ms>&recvWindow=5000&signature=<hex HMAC-SHA256 of the rest, key demo-secret>,
//   header X-MBX-APIKEY: demo-key. The shape is fixed; per tick only the id, the timestamp and the
//   signature change. HMAC via OpenSSL 3's EVP_MAC with the key set once (the engine's
//   RequestSigner does the same). timestamp = CLOCK_REALTIME ms + the offset measured once
//   from GET /fapi/v1/time (non-zero when the simulator's clock is skewed or manual).
// - The response is read (busy recv) to its end before the next tick, so the connection is
//   reused; the next tick comes tens of ms later.
//
// Per measured tick it records, in CLOCK_MONOTONIC ns:
//   in    = bytes in hand (after the recv that completed the frame) - stamp
//   proc  = the order ready to send - bytes in hand           (parse, format, sign: user space)
//   send  = the send() call's duration                        (for information: on loopback the
//           simulator can read the order before send() returns, see below)
// and after the run asks the simulator `GET /sim/latency?after_ns=<stamp>` for
//   total = the simulator read the order - stamp              (its LatencyProbe, same clock)
//   out   = total - in - proc                                 (send syscall, loopback, the
//           simulator's read path)
//
//   COrderClient HOST PORT MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX|-]
//
// Output (the format OrderWireLatency prints), one line per stage:
//   order client=c stage=total n=500 lost=0 skipped=0 invalid=0 p50_ns=… p90_ns=… p99_ns=… p999_ns=… max_ns=…
// and, with DUMP_PREFIX, each sample appended to PREFIX.c.<stage> (ns, one per line).
//
// The order is for 0.001 BTC (about 43 USDT at the simulator's default price), under the
// simulator's 100 USDT minimum notional: it answers -4164, *after* the point where the probe
// records the read (authentication and rate limits passed), so nothing accumulates on the demo
// account and the engine run that follows starts flat.
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what) {
    fprintf(stderr, "COrderClient: %s (errno %d)\n", what, errno);
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

static void send_all(int fd, const char *bytes, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, bytes + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) die("send");
        off += (size_t)n;
    }
}

/// One request with `Connection: close` (set-up and the after-run queries only); returns the
/// status and copies the body into `body`.
static int http(const char *method, const char *path, char *body, size_t cap) {
    int fd = connect_tcp();
    char req[512];
    int len = snprintf(req, sizeof req,
                       "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", method, path,
                       host, port);
    send_all(fd, req, (size_t)len);
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

static void report(const char *stage, int64_t *v, size_t n, long lost, long invalid, const char *dump) {
    if (dump) {
        char path[512];
        snprintf(path, sizeof path, "%s.c.%s", dump, stage);
        FILE *out = fopen(path, "a");
        if (out) {
            for (size_t i = 0; i < n; i++) fprintf(out, "%lld\n", (long long)v[i]);
            fclose(out);
        }
    }
    qsort(v, n, sizeof *v, cmp64);
    printf("order client=c stage=%s n=%zu lost=%ld skipped=0 invalid=%ld p50_ns=%lld p90_ns=%lld p99_ns=%lld "
           "p999_ns=%lld max_ns=%lld\n",
           stage, n, lost, invalid, (long long)percentile(v, n, 0.5), (long long)percentile(v, n, 0.9),
           (long long)percentile(v, n, 0.99), (long long)percentile(v, n, 0.999), (long long)(n ? v[n - 1] : 0));
}

// MARK: signing

static EVP_MAC_CTX *mac_ctx;

static void signer_init(const char *secret) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac) die("EVP_MAC_fetch");
    mac_ctx = EVP_MAC_CTX_new(mac);
    if (!mac_ctx) die("EVP_MAC_CTX_new");
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(mac_ctx, (const unsigned char *)secret, strlen(secret), params) != 1) die("EVP_MAC_init");
}

/// Writes the 64 hex digits of HMAC-SHA256(payload) to `out`.
static void sign(const char *payload, size_t len, char *out) {
    unsigned char digest[32];
    size_t dlen = 0;
    // A NULL key re-initialises with the key given first (OpenSSL 3's HMAC provider).
    if (EVP_MAC_init(mac_ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(mac_ctx, (const unsigned char *)payload, len) != 1 ||
        EVP_MAC_final(mac_ctx, digest, &dlen, sizeof digest) != 1 || dlen != 32)
        die("HMAC");
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
}

// MARK: the keep-alive REST connection

static int rest_fd;
static char rest_buf[65536];

/// Reads one response on the keep-alive connection (busy recv) to its end; returns the status.
static int read_response(void) {
    size_t len = 0;
    char *end = NULL;
    size_t need = 0;
    uint64_t start = now_ns();
    for (;;) {
        ssize_t n = recv(rest_fd, rest_buf + len, sizeof rest_buf - 1 - len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (now_ns() - start > 5000000000u) die("no order response within 5 s");
            continue;
        }
        if (n <= 0) die("order connection closed");
        len += (size_t)n;
        rest_buf[len] = 0;
        if (!end) {
            end = strstr(rest_buf, "\r\n\r\n");
            if (!end) continue;
            size_t head = (size_t)(end - rest_buf) + 4;
            char *cl = strcasestr(rest_buf, "\r\ncontent-length:");
            if (cl && cl < end) {
                need = head + (size_t)atol(cl + 17);
            } else if (strcasestr(rest_buf, "\r\ntransfer-encoding: chunked")) {
                need = 0;  // chunked: ends with the zero chunk
            } else {
                need = head;
            }
        }
        if (need ? len >= need : strstr(end, "\r\n0\r\n\r\n") != NULL) break;
    }
    int status = 0;
    sscanf(rest_buf, "HTTP/1.1 %d", &status);
    return status;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: COrderClient HOST PORT MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX|-]\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    if (strncmp(host, "127.", 4) != 0) {
        fprintf(stderr, "COrderClient: loopback only\n");
        return 2;
    }
    long messages = atol(argv[3]);
    long interval_us = argc > 4 ? atol(argv[4]) : 50000;
    long warmup = argc > 5 ? atol(argv[5]) : 50;
    const char *dump = argc > 6 && strcmp(argv[6], "-") != 0 ? argv[6] : NULL;
    long total = warmup + messages;
    int64_t *stamps = calloc((size_t)messages, sizeof *stamps);
    int64_t *in = calloc((size_t)messages, sizeof *in);
    int64_t *proc = calloc((size_t)messages, sizeof *proc);
    int64_t *tot = calloc((size_t)messages, sizeof *tot);
    int64_t *out = calloc((size_t)messages, sizeof *out);
    int64_t *sendt = calloc((size_t)messages, sizeof *sendt);
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    if (!stamps || !in || !proc || !tot || !out || !sendt || !buf) die("malloc");
    signer_init("demo-secret");

    // The venue's clock: offset = server time - the midpoint of our request (one sample).
    char body[8192];
    int64_t sent_ms = wall_ms();
    if (http("GET", "/fapi/v1/time", body, sizeof body) != 200) die("GET /fapi/v1/time");
    int64_t received_ms = wall_ms();
    char *st = strstr(body, "\"serverTime\":");
    if (!st) die("no serverTime");
    int64_t offset_ms = atoll(st + 13) - (sent_ms + received_ms) / 2;

    // The keep-alive order connection.
    rest_fd = connect_tcp();

    // The market stream.
    int fd = connect_tcp();
    char req[4096];
    int reqlen = snprintf(req, sizeof req,
                          "GET /market/ws/btcusdt@aggTrade HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n",
                          host, port);
    send_all(fd, req, (size_t)reqlen);
    size_t len = 0;
    unsigned char *end = NULL;
    while (!end) {
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0) die("upgrade response");
        len += (size_t)n;
        end = memmem(buf, len, "\r\n\r\n", 4);
    }
    if (!memmem(buf, (size_t)(end - buf), " 101 ", 5)) {
        fprintf(stderr, "COrderClient: no upgrade\n");
        return 1;
    }
    size_t head = (size_t)(end - buf) + 4;
    memmove(buf, buf + head, len - head);
    len -= head;

    uint64_t not_before = now_ns();
    char path[512];
    snprintf(path, sizeof path, "/sim/pace?stream=btcusdt@aggTrade&count=%ld&interval_us=%ld", total, interval_us);
    int status = 0;
    for (int i = 0; i < 250; i++) {  // 409: the hub has not registered us yet
        status = http("POST", path, NULL, 0);
        if (status != 409) break;
        usleep(20000);
    }
    if (status != 200) {
        fprintf(stderr, "COrderClient: POST /sim/pace answered %d\n", status);
        return 1;
    }

    // The order's fixed text; per tick only the id, the timestamp and the signature change.
    char payload[512], request[1024];
    long seen = 0, foreign = 0, answered = 0;
    long statuses[6] = {0};  // by hundreds
    size_t count = 0;
    int closed = 0;
    uint64_t last = now_ns();
    while (seen < total && !closed) {
        ssize_t n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
        uint64_t t = now_ns();
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (t - last > 3000000000u) break;  // 3 s of silence
            continue;
        }
        if (n <= 0) break;
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
            if (opcode == 8) {
                closed = 1;
                break;
            }
            if (opcode == 1) {
                unsigned char *a = memmem(f + hdr, plen, "\"a\":", 4);
                int64_t stamp = 0;
                if (a)
                    for (a += 4; a < f + hdr + plen && *a >= '0' && *a <= '9'; a++) stamp = stamp * 10 + (*a - '0');
                if (stamp <= 0 || (uint64_t)stamp < not_before || (uint64_t)stamp > t) {
                    foreign++;
                } else {
                    // Answer: the signed order, in one send.
                    int plen2 = snprintf(payload, sizeof payload,
                                         "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=cf-%ld"
                                         "&newOrderRespType=RESULT&timestamp=%lld&recvWindow=5000",
                                         seen, (long long)(wall_ms() + offset_ms));
                    char signature[64];
                    sign(payload, (size_t)plen2, signature);
                    int rlen = snprintf(request, sizeof request,
                                        "POST /fapi/v1/order HTTP/1.1\r\nHost: %s:%d\r\nX-MBX-APIKEY: demo-key\r\n"
                                        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
                                        "%s&signature=%.64s",
                                        host, port, plen2 + 11 + 64, payload, signature);
                    uint64_t ready = now_ns();
                    send_all(rest_fd, request, (size_t)rlen);
                    uint64_t sent = now_ns();
                    seen++;
                    if (seen > warmup && count < (size_t)messages) {
                        stamps[count] = stamp;
                        in[count] = (int64_t)(t - (uint64_t)stamp);
                        proc[count] = (int64_t)(ready - t);
                        sendt[count] = (int64_t)(sent - ready);
                        count++;
                    }
                    int s = read_response();
                    answered++;
                    statuses[s / 100 < 6 ? s / 100 : 0]++;
                }
            }
            off += hdr + plen;
        }
        memmove(buf, buf + off, len - off);
        len -= off;
        if (len == cap) die("frame larger than the buffer");
    }
    close(fd);
    close(rest_fd);

    // The simulator's side of each measured tick: stamp → first order read at or after it.
    size_t valid = 0;
    long invalid = 0;
    for (size_t i = 0; i < count; i++) {
        snprintf(path, sizeof path, "/sim/latency?after_ns=%lld", (long long)stamps[i]);
        if (http("GET", path, body, sizeof body) != 200) {
            invalid++;
            continue;
        }
        char *d = strstr(body, "\"delay_ns\":");
        int64_t delay = d ? atoll(d + 11) : 0;
        // The read must come after our send started (else it matched something else). Not after
        // it returned: on loopback the simulator can read the order before send() returns.
        if (delay < in[i] + proc[i]) {
            invalid++;
            continue;
        }
        tot[valid] = delay;
        out[valid] = delay - in[i] - proc[i];
        in[valid] = in[i];
        proc[valid] = proc[i];
        sendt[valid] = sendt[i];
        valid++;
    }
    fprintf(stderr, "COrderClient: %ld ticks answered (HTTP 2xx %ld, 4xx %ld, 5xx %ld), %ld foreign aggTrades\n",
            answered, statuses[2], statuses[4], statuses[5], foreign);
    long lost = total - seen;
    report("total", tot, valid, lost, invalid, dump);
    report("in", in, valid, lost, invalid, dump);
    report("proc", proc, valid, lost, invalid, dump);
    report("out", out, valid, lost, invalid, dump);
    report("send", sendt, valid, lost, invalid, dump);
    fflush(stdout);
    // Wait until the simulator has dropped us, so the next run's messages go to one connection.
    for (int i = 0; i < 100 && sim_connections() > 0; i++) usleep(10000);
    return 0;
}
