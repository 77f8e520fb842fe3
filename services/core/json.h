/* Strict JSON request bodies (UTF-8, bounded nesting, no duplicate keys) and typed field access
 * with errors that name the field. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 64

typedef enum {
    JSON_OK = 0,
    JSON_EINVALID = -1, /* not JSON, or trailing data */
    JSON_EUTF8 = -2,    /* invalid UTF-8 */
    JSON_EDEPTH = -3,   /* nesting deeper than JSON_MAX_DEPTH */
    JSON_EDUPKEY = -4,  /* an object repeats a key */
} json_status_t;

/** Parses `len` bytes strictly. On JSON_OK `*out` is owned by the caller (cJSON_Delete). On failure
 * `detail` (may be NULL) receives a short description for the error message. */
json_status_t json_parse_strict(const char *buf, size_t len, cJSON **out, char *detail,
                                size_t detail_len);

/** Returns non-zero when `len` bytes are well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *buf, size_t len);

/** A field-level validation error: which field and why, for a 400 `invalid_body` answer. */
typedef struct json_field_error {
    char field[64];
    char message[192];
} json_field_error_t;

/* Field readers. Each returns 0 and stores the value (NULL/unchanged when optional and absent), or
 * -1 and fills `err`. Strings are borrowed from the cJSON tree. */
int json_get_string(const cJSON *obj, const char *name, int required, size_t min_len,
                    size_t max_len, const char **out, json_field_error_t *err);
int json_get_int(const cJSON *obj, const char *name, int required, long min, long max, long *out,
                 json_field_error_t *err);
int json_get_bool(const cJSON *obj, const char *name, int required, int *out,
                  json_field_error_t *err);
/** A string that must equal one of the NULL-terminated `allowed` values. */
int json_get_enum(const cJSON *obj, const char *name, int required, const char *const *allowed,
                  const char **out, json_field_error_t *err);
/** A string in canonical UUID form (any version, lower or upper case). */
int json_get_uuid(const cJSON *obj, const char *name, int required, const char **out,
                  json_field_error_t *err);
/** A calendar date YYYY-MM-DD that exists. */
int json_get_date(const cJSON *obj, const char *name, int required, const char **out,
                  json_field_error_t *err);
/** Refuses members that are not in the NULL-terminated `known` list. */
int json_only_fields(const cJSON *obj, const char *const *known, json_field_error_t *err);

/** Returns non-zero when `s` is a UUID in canonical 8-4-4-4-12 hex form. */
int uuid_valid(const char *s);
/** Returns non-zero when `s` is an existing date in YYYY-MM-DD form. */
int date_valid(const char *s);
