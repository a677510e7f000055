/* The low-level SHA-256 calls below are deprecated in OpenSSL 3 but allocation-free (the EVP
   HMAC context allocates on every re-initialisation): keep them quiet here. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <openssl/sha.h>
#include <string.h>

/* Function-like macros do not import into Swift (PLATFORM-NOTES G3): wrap them once here. */
static inline long shim_SSL_CTX_set_min_proto_version(SSL_CTX *c, int v) { return SSL_CTX_set_min_proto_version(c, v); }
static inline long shim_SSL_set_tlsext_host_name(SSL *s, const char *n) { return SSL_set_tlsext_host_name(s, n); }

/* HMAC-SHA256 (RFC 2104) with the key's inner and outer SHA-256 states computed once: a
   signature copies two small structs and hashes, with no allocation (EVP_MAC_init allocates
   twice per call, measured with CRYPTO_set_mem_functions). */
typedef struct { SHA256_CTX inner; SHA256_CTX outer; } shim_hmac_sha256_key;

static inline void shim_hmac_sha256_key_init(shim_hmac_sha256_key *k, const unsigned char *key, size_t length) {
    unsigned char block[64], pad[64];
    memset(block, 0, sizeof block);
    if (length > 64) { SHA256(key, length, block); } else { memcpy(block, key, length); }
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&k->inner); SHA256_Update(&k->inner, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&k->outer); SHA256_Update(&k->outer, pad, 64);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
}

static inline void shim_hmac_sha256(const shim_hmac_sha256_key *k, const void *a, size_t alength,
                                    const void *b, size_t blength, unsigned char out[32]) {
    unsigned char inner[32];
    SHA256_CTX c = k->inner;
    if (alength) SHA256_Update(&c, a, alength);
    if (blength) SHA256_Update(&c, b, blength);
    SHA256_Final(inner, &c);
    c = k->outer;
    SHA256_Update(&c, inner, 32);
    SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof c);
}
