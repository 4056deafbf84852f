/* auth.c - mysql_native_password and caching_sha2_password (fast path) checks. */
#include "protocol/auth.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

void auth_native_hash(const char *pw, size_t len, uint8_t h2[AUTH_NATIVE_HASH_LEN])
{
    uint8_t h1[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)pw, len, h1);
    SHA1(h1, sizeof(h1), h2);
    /* SHA1(pw) alone is enough to log in: do not leave it on the stack. */
    OPENSSL_cleanse(h1, sizeof(h1));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int auth_native_hash_from_hex(const char *s, size_t len, uint8_t h2[AUTH_NATIVE_HASH_LEN])
{
    uint8_t tmp[AUTH_NATIVE_HASH_LEN];
    if (len != AUTH_NATIVE_HEX_LEN || s[0] != '*') return -1;
    for (size_t i = 0; i < AUTH_NATIVE_HASH_LEN; i++) {
        int hi = hexval(s[1 + 2 * i]), lo = hexval(s[2 + 2 * i]);
        if (hi < 0 || lo < 0) return -1;
        tmp[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(h2, tmp, sizeof(tmp));
    return 0;
}

void auth_native_hash_to_hex(const uint8_t h2[AUTH_NATIVE_HASH_LEN], char out[AUTH_NATIVE_HEX_LEN + 1])
{
    static const char digits[] = "0123456789ABCDEF";
    out[0] = '*';
    for (size_t i = 0; i < AUTH_NATIVE_HASH_LEN; i++) {
        out[1 + 2 * i] = digits[h2[i] >> 4];
        out[2 + 2 * i] = digits[h2[i] & 15];
    }
    out[AUTH_NATIVE_HEX_LEN] = 0;
}

/* SHA1(scramble || h2): the mask both sides derive. */
static void native_mask(const uint8_t scramble[AUTH_SCRAMBLE_LEN], const uint8_t h2[AUTH_NATIVE_HASH_LEN],
                        uint8_t out[SHA_DIGEST_LENGTH])
{
    uint8_t buf[AUTH_SCRAMBLE_LEN + AUTH_NATIVE_HASH_LEN];
    memcpy(buf, scramble, AUTH_SCRAMBLE_LEN);
    memcpy(buf + AUTH_SCRAMBLE_LEN, h2, AUTH_NATIVE_HASH_LEN);
    SHA1(buf, sizeof(buf), out);
}

void auth_native_scramble(const uint8_t scramble[AUTH_SCRAMBLE_LEN], const char *pw, size_t len,
                          uint8_t out[AUTH_NATIVE_HASH_LEN])
{
    uint8_t h1[SHA_DIGEST_LENGTH], h2[SHA_DIGEST_LENGTH], mask[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)pw, len, h1);
    SHA1(h1, sizeof(h1), h2);
    native_mask(scramble, h2, mask);
    for (size_t i = 0; i < AUTH_NATIVE_HASH_LEN; i++) out[i] = h1[i] ^ mask[i];
    OPENSSL_cleanse(h1, sizeof(h1));
}

int auth_native_verify(const uint8_t scramble[AUTH_SCRAMBLE_LEN], const uint8_t *reply, size_t len,
                       const uint8_t *h2)
{
    if (!h2) return len == 0 ? 0 : -1;
    if (len != AUTH_NATIVE_HASH_LEN) return -1;
    uint8_t mask[SHA_DIGEST_LENGTH], h1[SHA_DIGEST_LENGTH], check[SHA_DIGEST_LENGTH];
    native_mask(scramble, h2, mask);
    for (size_t i = 0; i < AUTH_NATIVE_HASH_LEN; i++) h1[i] = reply[i] ^ mask[i];
    SHA1(h1, sizeof(h1), check);
    OPENSSL_cleanse(h1, sizeof(h1));
    return CRYPTO_memcmp(check, h2, AUTH_NATIVE_HASH_LEN) == 0 ? 0 : -1;
}

void auth_sha2_hash(const char *pw, size_t len, uint8_t stored[AUTH_SHA2_HASH_LEN])
{
    uint8_t d1[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)pw, len, d1);
    SHA256(d1, sizeof(d1), stored);
    OPENSSL_cleanse(d1, sizeof(d1));
}

/* SHA256(stored || nonce): digest first, then the nonce, as in Validate_scramble. */
static void sha2_mask(const uint8_t nonce[AUTH_SCRAMBLE_LEN], const uint8_t stored[AUTH_SHA2_HASH_LEN],
                      uint8_t out[SHA256_DIGEST_LENGTH])
{
    uint8_t buf[AUTH_SHA2_HASH_LEN + AUTH_SCRAMBLE_LEN];
    memcpy(buf, stored, AUTH_SHA2_HASH_LEN);
    memcpy(buf + AUTH_SHA2_HASH_LEN, nonce, AUTH_SCRAMBLE_LEN);
    SHA256(buf, sizeof(buf), out);
}

void auth_sha2_scramble(const uint8_t nonce[AUTH_SCRAMBLE_LEN], const char *pw, size_t len,
                        uint8_t out[AUTH_SHA2_HASH_LEN])
{
    uint8_t d1[SHA256_DIGEST_LENGTH], d2[SHA256_DIGEST_LENGTH], mask[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)pw, len, d1);
    SHA256(d1, sizeof(d1), d2);
    sha2_mask(nonce, d2, mask);
    for (size_t i = 0; i < AUTH_SHA2_HASH_LEN; i++) out[i] = d1[i] ^ mask[i];
    OPENSSL_cleanse(d1, sizeof(d1));
}

int auth_sha2_fast_verify(const uint8_t nonce[AUTH_SCRAMBLE_LEN], const uint8_t *reply, size_t len,
                          const uint8_t *stored)
{
    if (!stored) return len == 0 || (len == 1 && reply[0] == 0) ? 0 : -1;
    if (len != AUTH_SHA2_HASH_LEN) return -1;
    uint8_t mask[SHA256_DIGEST_LENGTH], d1[SHA256_DIGEST_LENGTH], check[SHA256_DIGEST_LENGTH];
    sha2_mask(nonce, stored, mask);
    for (size_t i = 0; i < AUTH_SHA2_HASH_LEN; i++) d1[i] = reply[i] ^ mask[i];
    SHA256(d1, sizeof(d1), check);
    OPENSSL_cleanse(d1, sizeof(d1));
    return CRYPTO_memcmp(check, stored, AUTH_SHA2_HASH_LEN) == 0 ? 0 : -1;
}

/* n hex digits (even) into out; 0, or -1 if any is not hex. */
static int from_hex(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* One hash form at s[0..len): 1 native, 2 sha2, 0 neither. */
static int parse_one(const char *s, size_t len, struct auth_stored *out)
{
    size_t pl = sizeof(AUTH_SHA2_PREFIX) - 1;
    if (auth_native_hash_from_hex(s, len, out->native) == 0) return out->has_native = 1;
    if (len == AUTH_SHA2_TEXT_LEN && !memcmp(s, AUTH_SHA2_PREFIX, pl) && from_hex(s + pl, 64, out->sha2) == 0) {
        out->has_sha2 = 1;
        return 2;
    }
    return 0;
}

void auth_stored_parse(const char *s, size_t len, struct auth_stored *out)
{
    memset(out, 0, sizeof(*out));
    if (!len) {
        out->empty = 1;
        return;
    }
    if (parse_one(s, len, out)) return;
    const char *sp = memchr(s, ' ', len);
    if (sp) {
        struct auth_stored a;
        memset(&a, 0, sizeof(a));
        size_t l1 = (size_t)(sp - s);
        int f1 = parse_one(s, l1, &a), f2 = f1 ? parse_one(sp + 1, len - l1 - 1, &a) : 0;
        if (f1 && f2 && f1 != f2) {
            *out = a;
            return;
        }
        OPENSSL_cleanse(&a, sizeof(a));
    }
    memset(out, 0, sizeof(*out));   /* plaintext: derive both */
    auth_native_hash(s, len, out->native);
    auth_sha2_hash(s, len, out->sha2);
    out->has_native = out->has_sha2 = 1;
}

void auth_sha2_hash_to_text(const uint8_t stored[AUTH_SHA2_HASH_LEN], char out[AUTH_SHA2_TEXT_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t pl = sizeof(AUTH_SHA2_PREFIX) - 1;
    memcpy(out, AUTH_SHA2_PREFIX, pl);
    for (size_t i = 0; i < AUTH_SHA2_HASH_LEN; i++) {
        out[pl + 2 * i] = digits[stored[i] >> 4];
        out[pl + 2 * i + 1] = digits[stored[i] & 15];
    }
    out[AUTH_SHA2_TEXT_LEN] = 0;
}

int auth_plain_verify(const struct auth_stored *st, const uint8_t *reply, size_t len)
{
    if (len && reply[len - 1] == 0) len--;   /* the client sends it NUL-terminated */
    if (st->empty) return len == 0 ? 0 : -1;
    if (len == 0 || memchr(reply, 0, len)) return -1;
    int ok = -1;
    if (st->has_sha2) {
        uint8_t h[AUTH_SHA2_HASH_LEN];
        auth_sha2_hash((const char *)reply, len, h);
        ok = CRYPTO_memcmp(h, st->sha2, sizeof(h)) == 0 ? 0 : -1;
        OPENSSL_cleanse(h, sizeof(h));
    } else if (st->has_native) {
        uint8_t h[AUTH_NATIVE_HASH_LEN];
        auth_native_hash((const char *)reply, len, h);
        ok = CRYPTO_memcmp(h, st->native, sizeof(h)) == 0 ? 0 : -1;
        OPENSSL_cleanse(h, sizeof(h));
    }
    return ok;
}
