/* Idempotency-Key handling for the coaching service's POSTs that create ledger entries (and cost
 * items): which keys are acceptable, and the fingerprint that tells a retry of the same request
 * from another request sent with the same key. Pure functions: the database stores keys,
 * fingerprints and responses (migrations/0020_coaching.sql, coaching_idempotency). */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

/** Longest accepted key, in bytes. */
#define COACHING_IDEMPOTENCY_KEY_MAX 255

/** Returns non-zero when `key` is acceptable: 1 to COACHING_IDEMPOTENCY_KEY_MAX characters of
 * printable ASCII (0x20-0x7E), not starting or ending with a space. UUIDs, ULIDs and random
 * base64 strings all qualify. */
int coaching_idempotency_key_valid(const char *key);

/** Writes to `out` the hex SHA-256 of the request: its method, its path and its body in canonical
 * form (object members sorted by name, no insignificant white space), so that the same request
 * re-sent with members in another order or other spacing has the same fingerprint. `body` may be
 * NULL (no body). Returns 0, or -1 when memory runs out. */
int coaching_request_fingerprint(const char *method, size_t method_len, const char *path,
                                 size_t path_len, const cJSON *body, char out[65]);
