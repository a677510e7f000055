// simdjson ondemand baseline for ParserCompare: plain C functions (no C++ interop needed in Swift).
#ifndef CSIMDJSON_BASELINE_H
#define CSIMDJSON_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csj_parser csj_parser;

/// One reused `simdjson::ondemand::parser`.
csj_parser *csj_create(void);
void csj_destroy(csj_parser *parser);

/// Bytes of readable slack each message needs after its end (SIMDJSON_PADDING).
size_t csj_padding(void);

typedef struct {
    uint64_t checksum;  // same FNV-style fold over the extracted fields as the Swift side
    uint64_t parsed;    // messages turned into a value
    uint64_t errors;    // messages rejected (malformed, missing field, bad decimal, unknown symbol/event)
} csj_result;

/// Parses `count` messages at `base + starts[i]`, `lengths[i]` bytes each, every one followed by
/// at least `csj_padding()` readable bytes. Extracts the fields BinanceStreamParser keeps, prices
/// and quantities as int64 fixed-point (BTCUSDT and ETHUSDT: 2 and 3 decimals).
void csj_run(csj_parser *parser, const uint8_t *base, const int64_t *starts, const int64_t *lengths,
             int64_t count, csj_result *out);

#ifdef __cplusplus
}
#endif

#endif
