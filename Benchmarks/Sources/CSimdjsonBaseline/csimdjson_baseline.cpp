// simdjson ondemand over Binance USD-M stream messages: the same fields, scales and checksum as
// ParserCompare's Swift pass over TicklineBinance.BinanceStreamParser.
//
// Like the Swift parser, it is order-independent: one pass over each object's members (the
// ondemand field iterator), a switch on the raw key, then conversion of the fields the event
// needs. Integers use simdjson's own get_int64(); decimal strings are converted exactly to
// int64 at the symbol's scale from the raw (unescaped-in-place) string pointer, never via double.
#include "csimdjson_baseline.h"

#include <cstring>
#include <utility>
#include <simdjson.h>

using namespace simdjson;

struct csj_parser {
    ondemand::parser parser;
};

extern "C" csj_parser *csj_create(void) { return new csj_parser(); }
extern "C" void csj_destroy(csj_parser *p) { delete p; }
extern "C" size_t csj_padding(void) { return SIMDJSON_PADDING; }

namespace {

constexpr uint64_t kFNVPrime = 0x100000001b3ULL;
constexpr uint64_t kFNVOffset = 0xcbf29ce484222325ULL;

inline uint64_t mix(uint64_t h, int64_t v) { return (h ^ static_cast<uint64_t>(v)) * kFNVPrime; }

/// Exact decimal string → fixed-point at `places` decimals. `p` points after the opening quote;
/// the string ends at the closing quote. Digits past the scale must be zero (as in the Swift
/// parser's exact mode); no sign or exponent occurs in these fields, a '-' is still accepted.
inline bool fixed(const char *p, int places, int64_t &out) {
    bool negative = false;
    if (*p == '-') { negative = true; ++p; }
    uint64_t v = 0;
    int digits = 0;
    while (true) {
        unsigned d = static_cast<unsigned char>(*p) - '0';
        if (d >= 10) break;
        if (v > (UINT64_C(0x7fffffffffffffff) - d) / 10) return false;
        v = v * 10 + d;
        ++digits; ++p;
    }
    int frac = 0;
    if (*p == '.') {
        ++p;
        while (true) {
            unsigned d = static_cast<unsigned char>(*p) - '0';
            if (d >= 10) break;
            if (frac < places) {
                if (v > (UINT64_C(0x7fffffffffffffff) - d) / 10) return false;
                v = v * 10 + d;
                ++frac;
            } else if (d != 0) {
                return false;  // more precision than the scale: not exact
            }
            ++digits; ++p;
        }
    }
    if (*p != '"' || digits == 0) return false;
    for (; frac < places; ++frac) {
        if (v > UINT64_C(0x7fffffffffffffff) / 10) return false;
        v *= 10;
    }
    out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    return true;
}

/// "BTCUSDT" → 0, "ETHUSDT" → 1 (the SymbolTable order on the Swift side), else -1.
inline int symbol(const char *p) {
    if (std::memcmp(p, "BTCUSDT\"", 8) == 0) return 0;
    if (std::memcmp(p, "ETHUSDT\"", 8) == 0) return 1;
    return -1;
}

inline bool is(const char *p, const char *lit, size_t n) { return std::memcmp(p, lit, n) == 0; }

constexpr int kPriceScale = 2, kQuantityScale = 3;

struct Fields {
    const char *e = nullptr, *s = nullptr, *p = nullptr, *q = nullptr;
    const char *b = nullptr, *B = nullptr, *a = nullptr, *A = nullptr;
    int64_t E = 0, T = 0, t = 0, u = 0, U = 0, pu = 0;
    bool hasE = false, hasT = false, hast = false, hasu = false, hasU = false, haspu = false, hasm = false;
    bool m = false;
};

inline bool str(ondemand::value &v, const char *&out) {
    ondemand::raw_json_string r;
    if (v.get_raw_json_string().get(r)) return false;
    out = r.raw();
    return true;
}

inline bool i64(ondemand::value &v, int64_t &out, bool &has) {
    if (v.get_int64().get(out)) return false;
    has = true;
    return true;
}

/// One pass over an event object's members.
inline bool record(ondemand::object obj, Fields &f) {
    for (auto fr : obj) {
        ondemand::field field;
        if (std::move(fr).get(field)) return false;
        const char *k = field.key().raw();
        ondemand::value &v = field.value();
        if (k[1] == '"') {
            bool ok = true;
            switch (k[0]) {
            case 'e': ok = str(v, f.e); break;
            case 'E': ok = i64(v, f.E, f.hasE); break;
            case 'T': ok = i64(v, f.T, f.hasT); break;
            case 's': ok = str(v, f.s); break;
            case 't': ok = i64(v, f.t, f.hast); break;
            case 'p': ok = str(v, f.p); break;
            case 'q': ok = str(v, f.q); break;
            case 'm': ok = !v.get_bool().get(f.m); f.hasm = ok; break;
            case 'u': ok = i64(v, f.u, f.hasu); break;
            case 'U': ok = i64(v, f.U, f.hasU); break;
            case 'B': ok = str(v, f.B); break;
            case 'A': ok = str(v, f.A); break;
            case 'b':
            case 'a': {
                // bookTicker: a decimal string; depthUpdate: the level array (skipped).
                ondemand::json_type type;
                if (v.type().get(type)) return false;
                if (type == ondemand::json_type::string) ok = str(v, k[0] == 'b' ? f.b : f.a);
                break;
            }
            default: break;
            }
            if (!ok) return false;
        } else if (k[0] == 'p' && k[1] == 'u' && k[2] == '"') {
            if (!i64(v, f.pu, f.haspu)) return false;
        }
    }
    return true;
}

/// Returns false on any error; `h` is folded only on success.
inline bool message(ondemand::parser &parser, const uint8_t *bytes, size_t length, uint64_t &h) {
    ondemand::document doc;
    if (parser.iterate(padded_string_view(reinterpret_cast<const char *>(bytes), length, length + SIMDJSON_PADDING))
            .get(doc))
        return false;
    ondemand::object top;
    if (doc.get_object().get(top)) return false;
    Fields f;
    bool haveData = false, haveLastUpdateId = false;
    int64_t lastUpdateId = 0;
    for (auto fr : top) {
        ondemand::field field;
        if (std::move(fr).get(field)) return false;
        const char *k = field.key().raw();
        ondemand::value &v = field.value();
        if (is(k, "data\"", 5)) {
            ondemand::object data;
            if (v.get_object().get(data)) return false;
            if (!record(data, f)) return false;
            haveData = true;
        } else if (is(k, "lastUpdateId\"", 13)) {
            if (v.get_int64().get(lastUpdateId)) return false;
            haveLastUpdateId = true;
        } else if (k[1] == '"' && (k[0] == 'E' || k[0] == 'T')) {
            // snapshot line: E and T at the top level
            if (!i64(v, k[0] == 'E' ? f.E : f.T, k[0] == 'E' ? f.hasE : f.hasT)) return false;
        }
    }
    if (haveLastUpdateId && !haveData) {
        if (!f.hasE || !f.hasT) return false;
        h = mix(mix(mix(mix(h, 4), lastUpdateId), f.E), f.T);
        return true;
    }
    if (!f.e || !f.s) return false;
    int sym = symbol(f.s);
    if (sym < 0) return false;
    if (is(f.e, "trade\"", 6)) {
        int64_t price, qty;
        if (!f.hasE || !f.hasT || !f.hast || !f.p || !f.q || !f.hasm) return false;
        if (!fixed(f.p, kPriceScale, price) || !fixed(f.q, kQuantityScale, qty)) return false;
        h = mix(h, 1); h = mix(h, sym); h = mix(h, f.E); h = mix(h, f.T); h = mix(h, f.t);
        h = mix(h, price); h = mix(h, qty); h = mix(h, f.m ? 1 : 0);
        return true;
    }
    if (is(f.e, "bookTicker\"", 11)) {
        int64_t bp, bq, ap, aq;
        if (!f.hasE || !f.hasu || !f.b || !f.B || !f.a || !f.A) return false;
        if (!fixed(f.b, kPriceScale, bp) || !fixed(f.B, kQuantityScale, bq) || !fixed(f.a, kPriceScale, ap) ||
            !fixed(f.A, kQuantityScale, aq))
            return false;
        h = mix(h, 2); h = mix(h, sym); h = mix(h, f.E); h = mix(h, f.u);
        h = mix(h, bp); h = mix(h, bq); h = mix(h, ap); h = mix(h, aq);
        return true;
    }
    if (is(f.e, "depthUpdate\"", 12)) {
        if (!f.hasE || !f.hasT || !f.hasU || !f.hasu || !f.haspu) return false;
        h = mix(h, 3); h = mix(h, sym); h = mix(h, f.E); h = mix(h, f.T);
        h = mix(h, f.U); h = mix(h, f.u); h = mix(h, f.pu);
        return true;
    }
    return false;  // other events do not occur in the capture
}

}  // namespace

extern "C" void csj_run(csj_parser *p, const uint8_t *base, const int64_t *starts, const int64_t *lengths,
                        int64_t count, csj_result *out) {
    uint64_t h = kFNVOffset, parsed = 0, errors = 0;
    for (int64_t i = 0; i < count; ++i) {
        if (message(p->parser, base + starts[i], static_cast<size_t>(lengths[i]), h)) {
            ++parsed;
        } else {
            ++errors;
            h = mix(h, -1);
        }
    }
    out->checksum = h;
    out->parsed = parsed;
    out->errors = errors;
}
