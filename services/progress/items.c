/* Shape checks for the batch bodies of the progress service: one declarative field table per kind
 * of item, checked member by member, with errors that name the item ("items[4].maturity"). */
#include "progress/items.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const progress_assessment_statuses[] = {"not_started", "in_progress", "implemented",
                                                    "not_applicable", NULL};
const char *const progress_soa_reasons[] = {
    "legal",         "contractual", "business_requirement", "risk_assessment_result",
    "best_practice", NULL};
const char *const progress_deliverable_statuses[] = {"todo", "drafted", "approved", NULL};
const char *const progress_module_keys[] = {
    "initial_training",  "gap_analysis",    "scope_policy_assets",
    "risk_assessment",   "risk_treatment",  "document_management",
    "security_measures", "human_resources", "incident_management",
    "management_review", "audit",           NULL};

typedef enum {
    F_REF,  /* a catalogue reference such as "A.5.1": letters, digits and dots, 1-20 */
    F_KEY,  /* a key such as "risk_assessment": lower-case letters, digits, '_', 1-64 */
    F_ENUM, /* one of `allowed` */
    F_INT,  /* min..max */
    F_BOOL,
    F_STRING,  /* min..max characters, no control characters */
    F_TEXT,    /* min..max characters, line breaks allowed */
    F_DATE,    /* YYYY-MM-DD */
    F_STRINGS, /* an array of at most `items` strings of min..max characters */
    F_ENUMS,   /* an array of at most `items` values from `allowed` */
} field_kind_t;

enum { REQUIRED = 1, NULLABLE = 2 };

typedef struct field {
    const char *name; /* NULL ends a table */
    field_kind_t kind;
    int flags;
    long min, max;
    int items;
    const char *const *allowed;
} field_t;

static const field_t assessment_fields[] = {
    {"requirement", F_REF, REQUIRED, 1, 20, 0, NULL},
    {"status", F_ENUM, 0, 0, 0, 0, progress_assessment_statuses},
    {"maturity", F_INT, NULLABLE, 0, 5, 0, NULL},
    {"owner", F_STRING, NULLABLE, 1, 200, 0, NULL},
    {"due_date", F_DATE, NULLABLE, 0, 0, 0, NULL},
    {"evidence_notes", F_TEXT, NULLABLE, 0, 10000, 0, NULL},
    {"evidence_links", F_STRINGS, NULLABLE, 1, 2000, 20, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL}};

static const field_t soa_fields[] = {{"control", F_REF, REQUIRED, 1, 20, 0, NULL},
                                     {"applicable", F_BOOL, REQUIRED, 0, 0, 0, NULL},
                                     {"reasons", F_ENUMS, NULLABLE, 0, 0, 5, progress_soa_reasons},
                                     {"justification", F_TEXT, NULLABLE, 0, 2000, 0, NULL},
                                     {NULL, 0, 0, 0, 0, 0, NULL}};

static const field_t deliverable_fields[] = {
    {"deliverable", F_KEY, REQUIRED, 1, 64, 0, NULL},
    {"status", F_ENUM, 0, 0, 0, 0, progress_deliverable_statuses},
    {"approved_on", F_DATE, NULLABLE, 0, 0, 0, NULL},
    {"due_date", F_DATE, NULLABLE, 0, 0, 0, NULL},
    {"document", F_STRING, NULLABLE, 1, 500, 0, NULL},
    {"notes", F_TEXT, NULLABLE, 0, 2000, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL}};

static const field_t deadline_fields[] = {
    {"module_key", F_ENUM, REQUIRED, 0, 0, 0, progress_module_keys},
    {"due_date", F_DATE, REQUIRED | NULLABLE, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL}};

static const field_t *const tables[] = {
    [PROGRESS_ITEMS_ASSESSMENT] = assessment_fields,
    [PROGRESS_ITEMS_SOA] = soa_fields,
    [PROGRESS_ITEMS_DELIVERABLE] = deliverable_fields,
    [PROGRESS_ITEMS_DEADLINE] = deadline_fields,
};

size_t progress_utf8_chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

__attribute__((format(printf, 3, 4))) static int fail(json_field_error_t *err, const char *field,
                                                      const char *fmt, ...) {
    va_list ap;
    snprintf(err->field, sizeof(err->field), "%s", field);
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

static int has_control(const char *s, int allow_lines) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !(allow_lines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
            return 1;
    }
    return 0;
}

static int ref_valid(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n == 0 || n > max || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.'))
            return 0;
    return 1;
}

static int key_valid(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n == 0 || n > max || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int in_list(const char *const *allowed, const char *v) {
    for (; *allowed != NULL; allowed++)
        if (strcmp(*allowed, v) == 0)
            return 1;
    return 0;
}

static void list_text(const char *const *allowed, char *out, size_t outlen) {
    size_t used = 0;
    out[0] = '\0';
    for (; *allowed != NULL && used < outlen; allowed++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", *allowed);
}

/* Checks a string value of a F_STRING/F_TEXT/F_ENUM/F_REF/F_KEY field. */
static int check_string(const field_t *f, const char *path, const char *v,
                        json_field_error_t *err) {
    char list[160];
    size_t chars = progress_utf8_chars(v);
    switch (f->kind) {
    case F_REF:
        if (!ref_valid(v, (size_t)f->max))
            return fail(err, path, "%s must be a reference such as A.5.1 (letters, digits, dots)",
                        path);
        return 0;
    case F_KEY:
        if (!key_valid(v, (size_t)f->max))
            return fail(err, path, "%s must be a key in lower case letters, digits and _", path);
        return 0;
    case F_ENUM:
        if (in_list(f->allowed, v))
            return 0;
        list_text(f->allowed, list, sizeof(list));
        return fail(err, path, "%s must be one of: %s", path, list);
    default:
        if (chars < (size_t)f->min || chars > (size_t)f->max)
            return fail(err, path, "%s must be %ld to %ld characters long", path, f->min, f->max);
        if (has_control(v, f->kind == F_TEXT))
            return fail(err, path, "%s must not contain control characters", path);
        if (f->min > 0 && strspn(v, " \t\r\n") == strlen(v))
            return fail(err, path, "%s must not be blank", path);
        return 0;
    }
}

/* Checks an array value of a F_STRINGS/F_ENUMS field. */
static int check_array(const field_t *f, const char *path, const cJSON *v,
                       json_field_error_t *err) {
    char sub[128], list[160];
    if (!cJSON_IsArray(v))
        return fail(err, path, "%s must be an array", path);
    int n = cJSON_GetArraySize(v), i = 0;
    if (n > f->items)
        return fail(err, path, "%s must have at most %d entries", path, f->items);
    for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
        snprintf(sub, sizeof(sub), "%s[%d]", path, i);
        if (!cJSON_IsString(e))
            return fail(err, sub, "%s must be a string", sub);
        if (f->kind == F_ENUMS && !in_list(f->allowed, e->valuestring)) {
            list_text(f->allowed, list, sizeof(list));
            return fail(err, sub, "%s must be one of: %s", sub, list);
        }
        if (f->kind == F_STRINGS) {
            field_t one = {f->name, F_STRING, 0, f->min, f->max, 0, NULL};
            if (check_string(&one, sub, e->valuestring, err) != 0)
                return -1;
        }
    }
    return 0;
}

/* Checks one member of an item against its field description. */
static int check_value(const field_t *f, const char *path, const cJSON *v,
                       json_field_error_t *err) {
    if (cJSON_IsNull(v)) {
        if (f->flags & NULLABLE)
            return 0;
        return fail(err, path, "%s must not be null", path);
    }
    switch (f->kind) {
    case F_INT: {
        double d = v->valuedouble;
        if (!cJSON_IsNumber(v) || !(d >= (double)f->min && d <= (double)f->max) ||
            d != (double)(long)d)
            return fail(err, path, "%s must be a whole number from %ld to %ld", path, f->min,
                        f->max);
        return 0;
    }
    case F_BOOL:
        return cJSON_IsBool(v) ? 0 : fail(err, path, "%s must be true or false", path);
    case F_STRINGS:
    case F_ENUMS:
        return check_array(f, path, v, err);
    case F_DATE:
        if (!cJSON_IsString(v) || !date_valid(v->valuestring))
            return fail(err, path, "%s must be a date in the form YYYY-MM-DD", path);
        return 0;
    default:
        if (!cJSON_IsString(v))
            return fail(err, path, "%s must be a string", path);
        return check_string(f, path, v->valuestring, err);
    }
}

/* Rules between members of one item. */
static int check_item_rules(progress_items_kind_t kind, const cJSON *item, size_t index,
                            json_field_error_t *err) {
    char path[64];
    if (kind == PROGRESS_ITEMS_SOA) {
        const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(item, "reasons");
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(item, "justification");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "applicable")) &&
            cJSON_GetArraySize(reasons) == 0) {
            snprintf(path, sizeof(path), "items[%zu].reasons", index);
            return fail(err, path, "%s: an applicable control needs at least one reason", path);
        }
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(item, "applicable")) &&
            (!cJSON_IsString(why) ||
             strspn(why->valuestring, " \t\r\n") == strlen(why->valuestring))) {
            snprintf(path, sizeof(path), "items[%zu].justification", index);
            return fail(err, path, "%s: an excluded control needs a justification", path);
        }
        return 0;
    }
    if ((kind == PROGRESS_ITEMS_ASSESSMENT || kind == PROGRESS_ITEMS_DELIVERABLE) &&
        cJSON_GetArraySize(item) < 2) {
        snprintf(path, sizeof(path), "items[%zu]", index);
        return fail(err, path, "%s changes nothing: give at least one value besides %s", path,
                    tables[kind][0].name);
    }
    return 0;
}

/* Checks item `index`: an object with known members, each valid. */
static int check_item(progress_items_kind_t kind, const cJSON *item, size_t index,
                      json_field_error_t *err) {
    char path[96];
    const field_t *table = tables[kind];
    snprintf(path, sizeof(path), "items[%zu]", index);
    if (!cJSON_IsObject(item))
        return fail(err, path, "%s must be an object", path);
    for (const cJSON *m = item->child; m != NULL; m = m->next) {
        const field_t *f = table;
        while (f->name != NULL && strcmp(f->name, m->string) != 0)
            f++;
        snprintf(path, sizeof(path), "items[%zu].%.40s", index, m->string);
        if (f->name == NULL)
            return fail(err, path, "unknown field \"%.40s\" in items[%zu]", m->string, index);
        if (check_value(f, path, m, err) != 0)
            return -1;
    }
    for (const field_t *f = table; f->name != NULL; f++) {
        if ((f->flags & REQUIRED) && cJSON_GetObjectItemCaseSensitive(item, f->name) == NULL) {
            snprintf(path, sizeof(path), "items[%zu].%s", index, f->name);
            return fail(err, path, "%s is required", path);
        }
    }
    return check_item_rules(kind, item, index, err);
}

int progress_items_check(progress_items_kind_t kind, const cJSON *body, json_field_error_t *err) {
    static const char *const known[] = {"items", NULL};
    if (json_only_fields(body, known, err) != 0)
        return -1;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(body, "items");
    if (!cJSON_IsArray(items))
        return fail(err, "items", "items must be an array of objects");
    int n = cJSON_GetArraySize(items);
    if (n < 1 || n > PROGRESS_ITEMS_MAX)
        return fail(err, "items", "items must have 1 to %d entries", PROGRESS_ITEMS_MAX);
    const char *key = tables[kind][0].name;
    size_t i = 0;
    for (const cJSON *item = items->child; item != NULL; item = item->next, i++) {
        if (check_item(kind, item, i, err) != 0)
            return -1;
        const char *subject = cJSON_GetObjectItemCaseSensitive(item, key)->valuestring;
        size_t j = 0;
        for (const cJSON *prev = items->child; prev != item; prev = prev->next, j++) {
            if (strcmp(cJSON_GetObjectItemCaseSensitive(prev, key)->valuestring, subject) == 0) {
                char path[64];
                snprintf(path, sizeof(path), "items[%zu].%s", i, key);
                return fail(err, path, "%s: %.40s appears twice in the batch (first in items[%zu])",
                            path, subject, j);
            }
        }
    }
    return 0;
}
