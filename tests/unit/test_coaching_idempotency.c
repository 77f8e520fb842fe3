/* Idempotency-Key validation and request fingerprints (services/coaching/idempotency.c): the same
 * request re-sent with other spacing or member order is recognised, any difference in method,
 * path or body is not. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "coaching/idempotency.h"

static void fingerprint(const char *method, const char *path, const char *body, char out[65]) {
    cJSON *doc = body != NULL ? cJSON_Parse(body) : NULL;
    cr_assert(body == NULL || doc != NULL, "bad test JSON: %s", body);
    cr_assert_eq(coaching_request_fingerprint(method, strlen(method), path, strlen(path), doc, out),
                 0);
    cJSON_Delete(doc);
}

static void setup(void) {
    cr_assert_geq(sodium_init(), 0);
}

TestSuite(coaching_idempotency, .init = setup);

Test(coaching_idempotency, accepts_uuids_and_printable_keys) {
    cr_assert(coaching_idempotency_key_valid("3f2c9a7e-1b4d-4c8e-9f00-5a6b7c8d9e0f"));
    cr_assert(coaching_idempotency_key_valid("a"));
    cr_assert(coaching_idempotency_key_valid("booking 2024-03-04 #1/2=ok"));
    char longest[COACHING_IDEMPOTENCY_KEY_MAX + 1];
    memset(longest, 'k', COACHING_IDEMPOTENCY_KEY_MAX);
    longest[COACHING_IDEMPOTENCY_KEY_MAX] = '\0';
    cr_assert(coaching_idempotency_key_valid(longest));
}

Test(coaching_idempotency, refuses_empty_long_padded_and_non_ascii_keys) {
    char too_long[COACHING_IDEMPOTENCY_KEY_MAX + 2];
    memset(too_long, 'k', COACHING_IDEMPOTENCY_KEY_MAX + 1);
    too_long[COACHING_IDEMPOTENCY_KEY_MAX + 1] = '\0';
    cr_assert_not(coaching_idempotency_key_valid(too_long));
    cr_assert_not(coaching_idempotency_key_valid(""));
    cr_assert_not(coaching_idempotency_key_valid(NULL));
    cr_assert_not(coaching_idempotency_key_valid(" key"));
    cr_assert_not(coaching_idempotency_key_valid("key "));
    cr_assert_not(coaching_idempotency_key_valid("tab\tkey"));
    cr_assert_not(coaching_idempotency_key_valid("cl\xc3\xa9"));
    cr_assert_not(coaching_idempotency_key_valid("del\x7f"));
}

Test(coaching_idempotency, is_hex_sha256) {
    char fp[65];
    fingerprint("POST", "/v1/x", "{}", fp);
    cr_assert_eq(strlen(fp), 64);
    cr_assert_eq(strspn(fp, "0123456789abcdef"), 64);
}

Test(coaching_idempotency, ignores_spacing_and_member_order) {
    char a[65], b[65];
    fingerprint("POST", "/v1/enrolments/e/coaching-sessions",
                "{\"slot\":\"morning\",\"half_days\":1,\"x\":{\"b\":[1,2],\"a\":null}}", a);
    fingerprint(
        "POST", "/v1/enrolments/e/coaching-sessions",
        "{ \"x\" : {\"a\": null, \"b\": [ 1, 2 ]},\n \"half_days\": 1, \"slot\": \"morning\" }", b);
    cr_assert_str_eq(a, b);
}

Test(coaching_idempotency, tells_different_requests_apart) {
    char base[65], other[65];
    fingerprint("POST", "/v1/enrolments/e/coaching-sessions", "{\"half_days\":1}", base);
    fingerprint("POST", "/v1/enrolments/e/coaching-sessions", "{\"half_days\":2}", other);
    cr_assert_str_neq(base, other, "another value");
    fingerprint("POST", "/v1/enrolments/f/coaching-sessions", "{\"half_days\":1}", other);
    cr_assert_str_neq(base, other, "another path");
    fingerprint("PATCH", "/v1/enrolments/e/coaching-sessions", "{\"half_days\":1}", other);
    cr_assert_str_neq(base, other, "another method");
    fingerprint("POST", "/v1/enrolments/e/coaching-sessions", "{\"half_days\":\"1\"}", other);
    cr_assert_str_neq(base, other, "a string instead of a number");
    fingerprint("POST", "/v1/enrolments/e/coaching-sessions", "{\"half_days\":1,\"notes\":null}",
                other);
    cr_assert_str_neq(base, other, "an extra member");
    fingerprint("POST", "/v1/enrolments/e/coaching-sessions", "[1,2]", base);
    fingerprint("POST", "/v1/enrolments/e/coaching-sessions", "[2,1]", other);
    cr_assert_str_neq(base, other, "array order matters");
}
