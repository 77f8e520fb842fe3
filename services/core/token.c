/* Token generation and hashing with libsodium's CSPRNG and SHA-256. */
#include "core/token.h"

#include <sodium.h>
#include <string.h>

void token_sha256_hex(const char *text, size_t len, char hash_hex[TOKEN_HASH_LEN + 1]) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)text, len);
    sodium_bin2hex(hash_hex, TOKEN_HASH_LEN + 1, digest, sizeof(digest));
}

void token_new(char token[TOKEN_LEN + 1], char hash_hex[TOKEN_HASH_LEN + 1]) {
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof(bytes));
    sodium_bin2base64(token, TOKEN_LEN + 1, bytes, sizeof(bytes),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes, sizeof(bytes));
    token_sha256_hex(token, strlen(token), hash_hex);
}

void token_pad_hex(const char *token, char pad_hex[TOKEN_HASH_LEN + 1]) {
    static const char label[] = "isms-feedback-session";
    unsigned char pad[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)token, strlen(token));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof(label) - 1);
    crypto_auth_hmacsha256_final(&st, pad);
    sodium_bin2hex(pad_hex, TOKEN_HASH_LEN + 1, pad, sizeof(pad));
    sodium_memzero(pad, sizeof(pad));
}
