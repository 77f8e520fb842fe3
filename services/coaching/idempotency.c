/* Idempotency keys and request fingerprints (see idempotency.h). The fingerprint hashes a
 * canonical serialisation streamed into SHA-256, so nothing but scalars is ever printed. */
#include "coaching/idempotency.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int coaching_idempotency_key_valid(const char *key) {
    size_t n = key != NULL ? strlen(key) : 0;
    if (n == 0 || n > COACHING_IDEMPOTENCY_KEY_MAX || key[0] == ' ' || key[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7E)
            return 0;
    return 1;
}

static void feed(crypto_hash_sha256_state *st, const char *s, size_t n) {
    crypto_hash_sha256_update(st, (const unsigned char *)s, n);
}

/* Feeds a scalar as cJSON prints it (strings quoted and escaped, numbers in cJSON's form). */
static int feed_scalar(crypto_hash_sha256_state *st, const cJSON *item) {
    char *text = cJSON_PrintUnformatted(item);
    if (text == NULL)
        return -1;
    feed(st, text, strlen(text));
    cJSON_free(text);
    return 0;
}

static int by_name(const void *a, const void *b) {
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static int feed_canonical(crypto_hash_sha256_state *st, const cJSON *item);

static int feed_object(crypto_hash_sha256_state *st, const cJSON *obj) {
    size_t n = 0, i = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next)
        n++;
    const cJSON **members = n > 0 ? malloc(n * sizeof(*members)) : NULL;
    if (n > 0 && members == NULL)
        return -1;
    for (const cJSON *c = obj->child; c != NULL; c = c->next)
        members[i++] = c;
    if (n > 1)
        qsort(members, n, sizeof(*members), by_name);
    int rc = 0;
    feed(st, "{", 1);
    for (i = 0; i < n && rc == 0; i++) {
        cJSON *name = cJSON_CreateString(members[i]->string);
        if (i > 0)
            feed(st, ",", 1);
        rc = name != NULL ? feed_scalar(st, name) : -1;
        cJSON_Delete(name);
        feed(st, ":", 1);
        if (rc == 0)
            rc = feed_canonical(st, members[i]);
    }
    feed(st, "}", 1);
    free(members);
    return rc;
}

static int feed_canonical(crypto_hash_sha256_state *st, const cJSON *item) {
    if (cJSON_IsObject(item))
        return feed_object(st, item);
    if (cJSON_IsArray(item)) {
        int rc = 0;
        feed(st, "[", 1);
        for (const cJSON *c = item->child; c != NULL && rc == 0; c = c->next) {
            if (c != item->child)
                feed(st, ",", 1);
            rc = feed_canonical(st, c);
        }
        feed(st, "]", 1);
        return rc;
    }
    return feed_scalar(st, item);
}

int coaching_request_fingerprint(const char *method, size_t method_len, const char *path,
                                 size_t path_len, const cJSON *body, char out[65]) {
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    feed(&st, method, method_len);
    feed(&st, "\n", 1);
    feed(&st, path, path_len);
    feed(&st, "\n", 1);
    if (body != NULL && feed_canonical(&st, body) != 0)
        return -1;
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, 65, digest, sizeof(digest));
    return 0;
}
