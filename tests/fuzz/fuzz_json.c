/* libFuzzer target for json_parse_strict and the field readers (services/core/json.h). Arbitrary
 * bytes must never crash the parser; whatever it accepts must be valid UTF-8, no deeper than
 * JSON_MAX_DEPTH, and must survive a print-and-reparse round trip. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int depth_of(const cJSON *node) {
    int deepest = 0;
    if (!cJSON_IsArray(node) && !cJSON_IsObject(node))
        return 0;
    for (const cJSON *c = node->child; c != NULL; c = c->next) {
        int d = depth_of(c);
        if (d > deepest)
            deepest = d;
    }
    return deepest + 1;
}

/* Runs every field reader over every member; only sanitizers judge the outcome. */
static void read_fields(const cJSON *root) {
    static const char *const allowed[] = {"draft", "active", "closed", NULL};
    static const char *const known[] = {"name", "count", NULL};
    json_field_error_t err;
    const char *s;
    long n;
    int b;
    if (!cJSON_IsObject(root))
        return;
    (void)json_only_fields(root, known, &err);
    for (const cJSON *c = root->child; c != NULL; c = c->next) {
        (void)json_get_string(root, c->string, 1, 1, 200, &s, &err);
        (void)json_get_int(root, c->string, 1, -1000, 1000, &n, &err);
        (void)json_get_int(root, c->string, 0, LONG_MIN, LONG_MAX, &n, &err);
        (void)json_get_bool(root, c->string, 1, &b, &err);
        (void)json_get_enum(root, c->string, 0, allowed, &s, &err);
        (void)json_get_uuid(root, c->string, 0, &s, &err);
        (void)json_get_date(root, c->string, 0, &s, &err);
        CHECK(strlen(err.field) < sizeof(err.field) && strlen(err.message) < sizeof(err.message));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    cJSON *root = NULL;
    char detail[160];
    json_status_t st = json_parse_strict(text, size, &root, detail, sizeof(detail));
    CHECK(strlen(detail) < sizeof(detail));
    if (st != JSON_OK) {
        CHECK(root == NULL);
        CHECK(st == JSON_EINVALID || st == JSON_EUTF8 || st == JSON_EDEPTH || st == JSON_EDUPKEY);
        CHECK(st != JSON_EUTF8 || !utf8_valid(text, size));
        return 0;
    }
    CHECK(root != NULL);
    CHECK(utf8_valid(text, size));
    CHECK(depth_of(root) <= JSON_MAX_DEPTH);
    read_fields(root);
    char *printed = cJSON_PrintUnformatted(root);
    if (printed != NULL) {
        cJSON *again = NULL;
        CHECK(json_parse_strict(printed, strlen(printed), &again, detail, sizeof(detail)) ==
              JSON_OK);
        cJSON_Delete(again);
        cJSON_free(printed);
    }
    cJSON_Delete(root);
    return 0;
}
