/*
 * auth.h - password checks for the two auth plugins binlogd speaks, server side.
 *
 * mysql_native_password: the server stores h2 = SHA1(SHA1(pw)) (what PASSWORD() prints
 * as "*" + 40 hex digits); the client answers SHA1(pw) XOR SHA1(scramble || h2).
 *
 * caching_sha2_password fast path: the server stores SHA256(SHA256(pw)); the client
 * answers SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || nonce) (MySQL sha2_password.cc
 * Generate_scramble / Validate_scramble: digest first, then the nonce).
 *
 * Verification compares in constant time. The verify functions return 0 when the reply
 * proves the password and -1 otherwise; a NULL stored hash means "account has no
 * password", which only an empty reply satisfies. libcrypto only; no randomness here.
 */
#ifndef BINLOGD_PROTOCOL_AUTH_H
#define BINLOGD_PROTOCOL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_SCRAMBLE_LEN    20
#define AUTH_NATIVE_HASH_LEN 20
#define AUTH_NATIVE_HEX_LEN  41   /* '*' + 40 hex digits */
#define AUTH_SHA2_HASH_LEN   32

/* h2 = SHA1(SHA1(pw)) from the plaintext. */
void auth_native_hash(const char *pw, size_t len, uint8_t h2[AUTH_NATIVE_HASH_LEN]);

/* h2 from PASSWORD()'s text form "*14E6...": exactly 41 bytes, '*' then 40 hex digits of
 * either case. 0, or -1 if malformed. */
int auth_native_hash_from_hex(const char *s, size_t len, uint8_t h2[AUTH_NATIVE_HASH_LEN]);

/* The "*HEX" text form of h2 (upper case, NUL-terminated). */
void auth_native_hash_to_hex(const uint8_t h2[AUTH_NATIVE_HASH_LEN], char out[AUTH_NATIVE_HEX_LEN + 1]);

/* What a client sends for pw under this scramble (for tests and tools). */
void auth_native_scramble(const uint8_t scramble[AUTH_SCRAMBLE_LEN], const char *pw, size_t len,
                          uint8_t out[AUTH_NATIVE_HASH_LEN]);

/* 0 if reply[0..len) proves the password whose h2 is given (NULL: no password), else -1. */
int auth_native_verify(const uint8_t scramble[AUTH_SCRAMBLE_LEN], const uint8_t *reply, size_t len,
                       const uint8_t *h2);

/* stored = SHA256(SHA256(pw)) from the plaintext. */
void auth_sha2_hash(const char *pw, size_t len, uint8_t stored[AUTH_SHA2_HASH_LEN]);

/* What a client sends for pw under this nonce on the fast path (for tests and tools). */
void auth_sha2_scramble(const uint8_t nonce[AUTH_SCRAMBLE_LEN], const char *pw, size_t len,
                        uint8_t out[AUTH_SHA2_HASH_LEN]);

/* 0 if reply[0..len) proves the password whose SHA256(SHA256(pw)) is `stored` (NULL: no
 * password, satisfied by an empty reply or a single NUL byte as MySQL clients send), else -1. */
int auth_sha2_fast_verify(const uint8_t nonce[AUTH_SCRAMBLE_LEN], const uint8_t *reply, size_t len,
                          const uint8_t *stored);

/* What an account's stored password lets binlogd verify (conf/secret.h's forms):
 * plaintext gives both hashes; "*HEX" the native one; "$sha2$HEX" the caching_sha2 one;
 * "*HEX $sha2$HEX" (either order) both; "" neither (no password). */
struct auth_stored {
    int empty;                              /* no password: only an empty reply logs in */
    int has_native, has_sha2;
    uint8_t native[AUTH_NATIVE_HASH_LEN];   /* SHA1(SHA1(pw)) */
    uint8_t sha2[AUTH_SHA2_HASH_LEN];       /* SHA256(SHA256(pw)) */
};

#define AUTH_SHA2_PREFIX   "$sha2$"
#define AUTH_SHA2_TEXT_LEN 70               /* "$sha2$" + 64 hex digits */

/* Fill *out from the stored text s[0..len). Never fails: text in no hash form is plaintext. */
void auth_stored_parse(const char *s, size_t len, struct auth_stored *out);

/* The "$sha2$HEX" text form of SHA256(SHA256(pw)) (lower case, NUL-terminated). */
void auth_sha2_hash_to_text(const uint8_t stored[AUTH_SHA2_HASH_LEN], char out[AUTH_SHA2_TEXT_LEN + 1]);

/* caching_sha2 full authentication: the client sent its password in clear (over TLS),
 * NUL-terminated or not. 0 if it matches what *st holds (the sha2 hash when there is one,
 * else the native one), else -1. */
int auth_plain_verify(const struct auth_stored *st, const uint8_t *reply, size_t len);

#endif
