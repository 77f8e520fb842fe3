/* Secret tokens: shape, randomness, and the hash the database keeps. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "core/token.h"

static void init(void) {
    cr_assert_geq(sodium_init(), 0);
}

TestSuite(token, .init = init);

Test(token, sha256_matches_the_standard_test_vector) {
    char hex[TOKEN_HASH_LEN + 1];
    token_sha256_hex("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(token, is_43_base64url_characters_with_the_hash_of_itself) {
    char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1], again[TOKEN_HASH_LEN + 1];
    token_new(token, hash);
    cr_assert_eq(strlen(token), TOKEN_LEN);
    for (const char *p = token; *p; p++)
        cr_assert(isalnum((unsigned char)*p) || *p == '-' || *p == '_', "'%c' in %s", *p, token);
    token_sha256_hex(token, strlen(token), again);
    cr_assert_str_eq(hash, again, "the stored hash is the token's SHA-256");
}

Test(token, two_tokens_differ) {
    char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1], ha[TOKEN_HASH_LEN + 1], hb[TOKEN_HASH_LEN + 1];
    token_new(a, ha);
    token_new(b, hb);
    cr_assert_str_neq(a, b);
    cr_assert_str_neq(ha, hb);
}
