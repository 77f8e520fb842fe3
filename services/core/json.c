/* Strict JSON parsing for request bodies. cJSON parses; this file adds what cJSON does not check:
 * UTF-8 validity, a nesting bound that is enforced before recursion, trailing data and duplicate
 * keys, then offers typed field readers whose errors name the field. */
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int utf8_valid(const char *buf, size_t len) {
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Measures nesting without recursion, skipping brackets inside strings, and refuses what cJSON lets
 * through in strings: raw control characters (RFC 8259 requires them escaped) and NUL, raw or as
 * \u0000, which would silently cut the string short. Sets `*at` to the offending byte. */
static json_status_t prescan(const char *buf, size_t len, int max, size_t *at) {
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        *at = i;
        if (in_string) {
            if (c < 0x20 || (c == '\\' && len - i > 5 && memcmp(buf + i + 1, "u0000", 5) == 0))
                return JSON_EINVALID;
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return JSON_EDEPTH;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return JSON_OK;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns the first duplicated key found anywhere in the tree, or NULL. */
static const char *find_duplicate_key(const cJSON *node) {
    if (cJSON_IsObject(node)) {
        size_t n = 0;
        for (const cJSON *c = node->child; c != NULL; c = c->next)
            n++;
        if (n > 1) {
            const char **names = malloc(n * sizeof(*names));
            if (names == NULL)
                return "";
            size_t i = 0;
            for (const cJSON *c = node->child; c != NULL; c = c->next)
                names[i++] = c->string;
            qsort(names, n, sizeof(*names), cmp_names);
            const char *dup = NULL;
            for (i = 1; i < n && dup == NULL; i++)
                if (strcmp(names[i - 1], names[i]) == 0)
                    dup = names[i];
            free(names);
            if (dup != NULL)
                return dup;
        }
    }
    if (cJSON_IsObject(node) || cJSON_IsArray(node))
        for (const cJSON *c = node->child; c != NULL; c = c->next) {
            const char *dup = find_duplicate_key(c);
            if (dup != NULL)
                return dup;
        }
    return NULL;
}

json_status_t json_parse_strict(const char *buf, size_t len, cJSON **out, char *detail,
                                size_t detail_len) {
    char scratch[1];
    if (detail == NULL) {
        detail = scratch;
        detail_len = sizeof(scratch);
    }
    detail[0] = '\0';
    *out = NULL;
    if (!utf8_valid(buf, len))
        return JSON_EUTF8;
    size_t at = 0;
    json_status_t scan = prescan(buf, len, JSON_MAX_DEPTH, &at);
    if (scan == JSON_EDEPTH) {
        snprintf(detail, detail_len, "nesting deeper than %d levels", JSON_MAX_DEPTH);
        return JSON_EDEPTH;
    }
    if (scan != JSON_OK) {
        snprintf(detail, detail_len, "control character or NUL in a string at byte %zu", at);
        return JSON_EINVALID;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (root == NULL) {
        at = end != NULL && end >= buf ? (size_t)(end - buf) : 0;
        snprintf(detail, detail_len, "syntax error at byte %zu", at);
        return JSON_EINVALID;
    }
    for (const char *p = end; p < buf + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            snprintf(detail, detail_len, "unexpected data after the JSON value at byte %zu",
                     (size_t)(p - buf));
            cJSON_Delete(root);
            return JSON_EINVALID;
        }
    }
    const char *dup = find_duplicate_key(root);
    if (dup != NULL) {
        snprintf(detail, detail_len, "key \"%.64s\" appears more than once", dup);
        cJSON_Delete(root);
        return JSON_EDUPKEY;
    }
    *out = root;
    return JSON_OK;
}

__attribute__((format(printf, 3, 4))) static int
field_error(json_field_error_t *err, const char *name, const char *fmt, ...) {
    va_list ap;
    snprintf(err->field, sizeof(err->field), "%.63s", name);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* Looks a member up; returns 1 when present and not null, 0 when absent/null (error if required).
 */
static int lookup(const cJSON *obj, const char *name, int required, const cJSON **item,
                  json_field_error_t *err) {
    *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (*item == NULL || cJSON_IsNull(*item)) {
        if (required)
            return field_error(err, name, "%s is required", name);
        return 0;
    }
    return 1;
}

int json_get_string(const cJSON *obj, const char *name, int required, size_t min_len,
                    size_t max_len, const char **out, json_field_error_t *err) {
    const cJSON *item;
    int found = lookup(obj, name, required, &item, err);
    if (found <= 0)
        return found;
    if (!cJSON_IsString(item))
        return field_error(err, name, "%s must be a string", name);
    size_t n = strlen(item->valuestring);
    if (n < min_len || n > max_len)
        return field_error(err, name, "%s must be %zu to %zu characters long", name, min_len,
                           max_len);
    *out = item->valuestring;
    return 0;
}

int json_get_int(const cJSON *obj, const char *name, int required, long min, long max, long *out,
                 json_field_error_t *err) {
    const cJSON *item;
    int found = lookup(obj, name, required, &item, err);
    if (found <= 0)
        return found;
    double d = cJSON_IsNumber(item) ? item->valuedouble : 0;
    /* The range checks come first: converting a double outside long's range (1e300) is undefined.
     */
    if (!cJSON_IsNumber(item) || !(d >= (double)min && d <= (double)max) || d >= 0x1p63 ||
        d < -0x1p63 || d != (double)(long)d)
        return field_error(err, name, "%s must be a whole number from %ld to %ld", name, min, max);
    *out = (long)d;
    return 0;
}

int json_get_bool(const cJSON *obj, const char *name, int required, int *out,
                  json_field_error_t *err) {
    const cJSON *item;
    int found = lookup(obj, name, required, &item, err);
    if (found <= 0)
        return found;
    if (!cJSON_IsBool(item))
        return field_error(err, name, "%s must be true or false", name);
    *out = cJSON_IsTrue(item);
    return 0;
}

int json_get_enum(const cJSON *obj, const char *name, int required, const char *const *allowed,
                  const char **out, json_field_error_t *err) {
    const char *value = NULL;
    if (json_get_string(obj, name, required, 0, 64, &value, err) != 0)
        return -1;
    if (value == NULL)
        return 0;
    char list[160] = "";
    size_t used = 0;
    for (const char *const *a = allowed; *a != NULL; a++) {
        if (strcmp(*a, value) == 0) {
            *out = value;
            return 0;
        }
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *a);
        if (n > 0 && (size_t)n < sizeof(list) - used)
            used += (size_t)n;
    }
    return field_error(err, name, "%s must be one of: %s", name, list);
}

int uuid_valid(const char *s) {
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        char c = s[i];
        if (shape[i] == '-') {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return s[sizeof(shape) - 1] == '\0';
}

int date_valid(const char *s) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

int json_get_uuid(const cJSON *obj, const char *name, int required, const char **out,
                  json_field_error_t *err) {
    const char *value = NULL;
    if (json_get_string(obj, name, required, 0, 64, &value, err) != 0)
        return -1;
    if (value == NULL)
        return 0;
    if (!uuid_valid(value))
        return field_error(err, name, "%s must be a UUID", name);
    *out = value;
    return 0;
}

int json_get_date(const cJSON *obj, const char *name, int required, const char **out,
                  json_field_error_t *err) {
    const char *value = NULL;
    if (json_get_string(obj, name, required, 0, 64, &value, err) != 0)
        return -1;
    if (value == NULL)
        return 0;
    if (!date_valid(value))
        return field_error(err, name, "%s must be a date in the form YYYY-MM-DD", name);
    *out = value;
    return 0;
}

int json_only_fields(const cJSON *obj, const char *const *known, json_field_error_t *err) {
    if (!cJSON_IsObject(obj))
        return field_error(err, "", "the body must be a JSON object");
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        const char *const *k = known;
        while (*k != NULL && strcmp(*k, c->string) != 0)
            k++;
        if (*k == NULL) {
            snprintf(err->field, sizeof(err->field), "%.63s", c->string);
            snprintf(err->message, sizeof(err->message), "unknown field \"%.100s\"", c->string);
            return -1;
        }
    }
    return 0;
}
