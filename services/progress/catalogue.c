/* Catalogue file parsing and validation. Both formats feed one builder that checks every value,
 * refuses a group or requirement defined twice (naming both lines) and produces the normalised
 * document that the database function catalogue_import() loads in one transaction. */
#include "progress/catalogue.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "progress/items.h"

#define CSV_COLUMNS 8
#define KEY_MAX 20

static const char *const csv_header[CSV_COLUMNS] = {
    "framework", "version", "framework_title", "kind", "group", "group_title", "ref", "title"};

/* ---- errors and value checks ----------------------------------------------------------------- */

typedef struct errbuf {
    char *text;
    size_t len;
} errbuf_t;

__attribute__((format(printf, 3, 4))) static int fail(errbuf_t *e, int line, const char *fmt, ...) {
    va_list ap;
    int n = line > 0 ? snprintf(e->text, e->len, "line %d: ", line) : 0;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < e->len)
        vsnprintf(e->text + n, e->len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* A printable value of 1..max characters (no control characters, not blank). */
static int text_ok(const char *s, size_t max) {
    size_t n = progress_utf8_chars(s);
    if (n == 0 || n > max || strspn(s, " \t") == strlen(s))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* A key or reference: letters, digits and dots, starting with a letter or digit. */
static int key_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > KEY_MAX || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.'))
            return 0;
    return 1;
}

/* ---- builder --------------------------------------------------------------------------------- */

typedef struct seen {
    char key[KEY_MAX + 1];
    int line;
    int used;   /* requirements in the group (groups only) */
    cJSON *obj; /* the group object (groups only) */
} seen_t;

typedef struct builder {
    cJSON *doc, *groups, *reqs;
    seen_t *g, *r;
    size_t ng, nr;
    errbuf_t *err;
} builder_t;

static int builder_init(builder_t *b, errbuf_t *err) {
    memset(b, 0, sizeof(*b));
    b->err = err;
    b->doc = cJSON_CreateObject();
    b->g = calloc(CATALOGUE_MAX_GROUPS, sizeof(seen_t));
    b->r = calloc(CATALOGUE_MAX_REQUIREMENTS, sizeof(seen_t));
    if (b->doc == NULL || b->g == NULL || b->r == NULL)
        return fail(err, 0, "out of memory");
    b->groups = cJSON_AddArrayToObject(b->doc, "groups");
    b->reqs = cJSON_AddArrayToObject(b->doc, "requirements");
    return b->groups != NULL && b->reqs != NULL ? 0 : fail(err, 0, "out of memory");
}

static void builder_free(builder_t *b) {
    cJSON_Delete(b->doc);
    free(b->g);
    free(b->r);
}

static seen_t *find(seen_t *list, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].key, key) == 0)
            return &list[i];
    return NULL;
}

/* Sets the framework's identity; later rows must repeat the same values (a title may be empty). */
static int builder_framework(builder_t *b, int line, const char *code, const char *version,
                             const char *title) {
    const cJSON *have = cJSON_GetObjectItemCaseSensitive(b->doc, "code");
    if (!text_ok(code, 100))
        return fail(b->err, line, "framework must be 1 to 100 printable characters");
    if (!text_ok(version, 20))
        return fail(b->err, line, "version must be 1 to 20 printable characters");
    if (have == NULL) {
        if (!text_ok(title, 200))
            return fail(b->err, line, "framework_title must be 1 to 200 printable characters");
        cJSON_AddStringToObject(b->doc, "code", code);
        cJSON_AddStringToObject(b->doc, "version", version);
        cJSON_AddStringToObject(b->doc, "title", title);
        return 0;
    }
    if (strcmp(have->valuestring, code) != 0 ||
        strcmp(cJSON_GetObjectItemCaseSensitive(b->doc, "version")->valuestring, version) != 0)
        return fail(b->err, line, "a file holds one framework: expected %s %s on every row",
                    have->valuestring,
                    cJSON_GetObjectItemCaseSensitive(b->doc, "version")->valuestring);
    if (title[0] != '\0' &&
        strcmp(cJSON_GetObjectItemCaseSensitive(b->doc, "title")->valuestring, title) != 0)
        return fail(b->err, line, "framework_title differs from the one given first");
    return 0;
}

/* Declares a group, or checks a reference to one (`title` empty: must exist already). */
static int builder_group(builder_t *b, int line, const char *key, const char *kind,
                         const char *title, int must_be_new) {
    if (!key_ok(key))
        return fail(b->err, line, "group \"%.40s\" must be 1 to %d letters, digits or dots", key,
                    KEY_MAX);
    if (strcmp(kind, "clause") != 0 && strcmp(kind, "control") != 0)
        return fail(b->err, line, "kind must be clause or control, not \"%.40s\"", kind);
    seen_t *s = find(b->g, b->ng, key);
    if (s != NULL && must_be_new)
        return fail(b->err, line, "duplicate group %s (first defined on line %d)", key, s->line);
    if (s != NULL) {
        const char *k = cJSON_GetObjectItemCaseSensitive(s->obj, "kind")->valuestring;
        const char *t = cJSON_GetObjectItemCaseSensitive(s->obj, "title")->valuestring;
        if (strcmp(k, kind) != 0)
            return fail(b->err, line, "group %s holds %ss (line %d), not %ss", key, k, s->line,
                        kind);
        if (title[0] != '\0' && strcmp(t, title) != 0)
            return fail(b->err, line, "group %s has another title on line %d", key, s->line);
        return 0;
    }
    if (!text_ok(title, 200))
        return fail(b->err, line,
                    "the first row of group %s needs its title (1 to 200 printable characters)",
                    key);
    if (b->ng == CATALOGUE_MAX_GROUPS)
        return fail(b->err, line, "more than %d groups", CATALOGUE_MAX_GROUPS);
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "key", key);
    cJSON_AddStringToObject(g, "kind", kind);
    cJSON_AddStringToObject(g, "title", title);
    cJSON_AddItemToArray(b->groups, g);
    snprintf(b->g[b->ng].key, sizeof(b->g[b->ng].key), "%s", key);
    b->g[b->ng].line = line;
    b->g[b->ng++].obj = g;
    return 0;
}

static int builder_requirement(builder_t *b, int line, const char *ref, const char *group,
                               const char *title) {
    if (!key_ok(ref))
        return fail(b->err, line, "ref \"%.40s\" must be 1 to %d letters, digits or dots", ref,
                    KEY_MAX);
    seen_t *g = find(b->g, b->ng, group);
    if (g == NULL)
        return fail(b->err, line, "requirement %s names an unknown group \"%.40s\"", ref, group);
    seen_t *s = find(b->r, b->nr, ref);
    if (s != NULL)
        return fail(b->err, line, "duplicate requirement %s (first defined on line %d)", ref,
                    s->line);
    if (!text_ok(title, 300))
        return fail(b->err, line, "the title of %s must be 1 to 300 printable characters", ref);
    if (b->nr == CATALOGUE_MAX_REQUIREMENTS)
        return fail(b->err, line, "more than %d requirements", CATALOGUE_MAX_REQUIREMENTS);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "ref", ref);
    cJSON_AddStringToObject(r, "kind",
                            cJSON_GetObjectItemCaseSensitive(g->obj, "kind")->valuestring);
    cJSON_AddStringToObject(r, "group", group);
    cJSON_AddStringToObject(r, "title", title);
    cJSON_AddItemToArray(b->reqs, r);
    g->used++;
    snprintf(b->r[b->nr].key, sizeof(b->r[b->nr].key), "%s", ref);
    b->r[b->nr++].line = line;
    return 0;
}

static int builder_finish(builder_t *b, int last_line) {
    if (cJSON_GetObjectItemCaseSensitive(b->doc, "code") == NULL || b->nr == 0)
        return fail(b->err, last_line, "the file defines no requirement");
    for (size_t i = 0; i < b->ng; i++)
        if (b->g[i].used == 0)
            return fail(b->err, b->g[i].line, "group %s has no requirement", b->g[i].key);
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

typedef struct csv_reader {
    const char *p, *end;
    int line; /* line of the next character */
} csv_reader_t;

/* Appends a character to a growing field; returns 0 or -1. */
static int field_put(char **f, size_t *len, size_t *cap, char c) {
    if (*len + 2 > *cap) {
        char *g = realloc(*f, *cap * 2);
        if (g == NULL)
            return -1;
        *f = g;
        *cap *= 2;
    }
    (*f)[(*len)++] = c;
    (*f)[*len] = '\0';
    return 0;
}

/* Reads one field (RFC 4180: optionally quoted, "" for a quote inside quotes) into a malloc'd
 * string; leaves the reader on the comma or line end that follows. Returns 0 or -1. */
static int csv_field(csv_reader_t *r, char **out, int start, errbuf_t *err) {
    size_t cap = 64, len = 0;
    char *f = malloc(cap);
    if (f == NULL)
        return fail(err, start, "out of memory");
    f[0] = '\0';
    int quoted = r->p < r->end && *r->p == '"', rc = 0;
    if (quoted)
        r->p++;
    while (rc == 0 && r->p < r->end) {
        char c = *r->p;
        if (quoted && c == '"') {
            if (r->p + 1 < r->end && r->p[1] == '"') {
                r->p += 2;
                rc = field_put(&f, &len, &cap, '"');
                continue;
            }
            r->p++;
            quoted = 0;
            if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r')
                rc = fail(err, r->line, "a quoted field must end at a comma or line end");
            break;
        }
        if (!quoted && (c == ',' || c == '\n' || c == '\r'))
            break;
        if (!quoted && c == '"') {
            rc = fail(err, r->line, "a quote inside an unquoted field");
            break;
        }
        r->line += c == '\n';
        r->p++;
        rc = field_put(&f, &len, &cap, c);
    }
    if (rc == 0 && quoted)
        rc = fail(err, start, "a quoted field is not closed");
    if (rc != 0) {
        free(f);
        return -1;
    }
    *out = f;
    return 0;
}

/* Reads one record into `fields` (at most `max` malloc'd strings the caller frees); returns the
 * number of fields, 0 at the end of input, -1 on a malformed record. `start` gets the record's
 * first line. Blank lines and lines starting with '#' are skipped. */
static int csv_next(csv_reader_t *r, char **fields, int max, int *start, errbuf_t *err) {
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r' || *r->p == '#')) {
        while (r->p < r->end && *r->p != '\n' && *r->p != '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n')
            r->line++;
        if (r->p < r->end)
            r->p++;
    }
    if (r->p >= r->end)
        return 0;
    *start = r->line;
    int n = 0;
    for (;;) {
        if (n == max) {
            for (int i = 0; i < n; i++)
                free(fields[i]);
            return fail(err, *start, "expected %d fields, found more", max);
        }
        if (csv_field(r, &fields[n], *start, err) != 0) {
            for (int i = 0; i < n; i++)
                free(fields[i]);
            return -1;
        }
        n++;
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        break;
    }
    if (r->p < r->end && *r->p == '\r')
        r->p++;
    if (r->p < r->end && *r->p == '\n') {
        r->p++;
        r->line++;
    }
    return n;
}

static void fields_free(char **fields, int n) {
    for (int i = 0; i < n; i++)
        free(fields[i]);
}

static int csv_header_ok(char **f, int n) {
    if (n != CSV_COLUMNS)
        return 0;
    for (int i = 0; i < CSV_COLUMNS; i++)
        if (strcasecmp(f[i], csv_header[i]) != 0)
            return 0;
    return 1;
}

static int parse_csv(const char *text, size_t len, builder_t *b) {
    csv_reader_t r = {text, text + len, 1};
    char *f[CSV_COLUMNS];
    int start = 1, n = csv_next(&r, f, CSV_COLUMNS, &start, b->err), rc = 0;
    if (n < 0)
        return -1;
    if (n == 0 || !csv_header_ok(f, n)) {
        fields_free(f, n > 0 ? n : 0);
        return fail(b->err, start, "the first row must be the header %s,%s,%s,%s,%s,%s,%s,%s",
                    csv_header[0], csv_header[1], csv_header[2], csv_header[3], csv_header[4],
                    csv_header[5], csv_header[6], csv_header[7]);
    }
    fields_free(f, n);
    while (rc == 0 && (n = csv_next(&r, f, CSV_COLUMNS, &start, b->err)) > 0) {
        if (n != CSV_COLUMNS)
            rc = fail(b->err, start, "expected %d fields, found %d", CSV_COLUMNS, n);
        else if (builder_framework(b, start, f[0], f[1], f[2]) != 0 ||
                 builder_group(b, start, f[4], f[3], f[5], 0) != 0 ||
                 builder_requirement(b, start, f[6], f[4], f[7]) != 0)
            rc = -1;
        fields_free(f, n);
    }
    if (n < 0)
        return -1;
    return rc != 0 ? rc : builder_finish(b, r.line);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* The line on which each element of the top-level arrays "groups" and "requirements" starts
 * (cJSON keeps no positions). The text is already known to be valid JSON. */
static void json_element_lines(const char *text, size_t len, int *glines, int gmax, int *rlines,
                               int rmax) {
    int line = 1, depth = 0, target = 0, expect = 0, count = 0, in_str = 0;
    char key[16] = "";
    size_t klen = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\n')
            line++;
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            else if (depth == 1 && klen < sizeof(key) - 1)
                key[klen++] = c;
            continue;
        }
        if (depth == 2 && target && expect && c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
            c != ']') {
            if (count < (target == 1 ? gmax : rmax))
                (target == 1 ? glines : rlines)[count++] = line;
            expect = 0;
        }
        if (c == '"') {
            in_str = 1;
            if (depth == 1)
                klen = 0;
        } else if (c == '{' || c == '[') {
            if (depth == 1 && c == '[') {
                key[klen] = '\0';
                target = strcmp(key, "groups") == 0 ? 1 : strcmp(key, "requirements") == 0 ? 2 : 0;
                expect = 1;
                count = 0;
            }
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
            if (depth == 1)
                target = 0;
        } else if (c == ',' && depth == 2) {
            expect = 1;
        }
    }
}

static int byte_line(const char *text, size_t at) {
    int line = 1;
    for (size_t i = 0; i < at; i++)
        line += text[i] == '\n';
    return line;
}

static const char *member(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Checks that `obj` is an object with only the members `names`, all strings; the first
 * `required` of them must be present. */
static int json_shape(const cJSON *obj, const char *const *names, int required, int line,
                      const char *what, errbuf_t *err) {
    json_field_error_t fe;
    if (!cJSON_IsObject(obj))
        return fail(err, line, "%s must be an object", what);
    if (json_only_fields(obj, names, &fe) != 0)
        return fail(err, line, "%s: %s", what, fe.message);
    for (int i = 0; names[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, names[i]);
        if ((v != NULL || i < required) && !cJSON_IsString(v))
            return fail(err, line, "%s: \"%s\" must be a string", what, names[i]);
    }
    return 0;
}

static int parse_json_doc(const cJSON *root, const int *glines, const int *rlines, builder_t *b) {
    static const char *const top[] = {"framework", "version",      "title",
                                      "groups",    "requirements", NULL};
    static const char *const gnames[] = {"key", "kind", "title", NULL};
    static const char *const rnames[] = {"ref", "group", "title", "kind", NULL};
    json_field_error_t fe;
    char what[48];
    if (!cJSON_IsObject(root) || json_only_fields(root, top, &fe) != 0)
        return fail(b->err, 1,
                    "the file must be one object with framework, version, title, "
                    "groups and requirements");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "groups");
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(root, "requirements");
    if (!cJSON_IsArray(groups) || !cJSON_IsArray(reqs))
        return fail(b->err, 1, "groups and requirements must be arrays");
    const char *code = member(root, "framework"), *version = member(root, "version");
    const char *title = member(root, "title");
    if (builder_framework(b, 1, code ? code : "", version ? version : "", title ? title : "") != 0)
        return -1;
    int i = 0;
    for (const cJSON *g = groups->child; g != NULL; g = g->next, i++) {
        snprintf(what, sizeof(what), "groups[%d]", i);
        int line = i < CATALOGUE_MAX_GROUPS ? glines[i] : 0;
        if (json_shape(g, gnames, 3, line, what, b->err) != 0 ||
            builder_group(b, line, member(g, "key"), member(g, "kind"), member(g, "title"), 1) != 0)
            return -1;
    }
    i = 0;
    for (const cJSON *r = reqs->child; r != NULL; r = r->next, i++) {
        snprintf(what, sizeof(what), "requirements[%d]", i);
        int line = i < CATALOGUE_MAX_REQUIREMENTS ? rlines[i] : 0;
        if (json_shape(r, rnames, 3, line, what, b->err) != 0)
            return -1;
        const char *kind = member(r, "kind"), *group = member(r, "group");
        const seen_t *gs = find(b->g, b->ng, group);
        if (kind != NULL && gs != NULL &&
            strcmp(kind, cJSON_GetObjectItemCaseSensitive(gs->obj, "kind")->valuestring) != 0)
            return fail(b->err, line, "%s: kind %s differs from its group's", what, kind);
        if (builder_requirement(b, line, member(r, "ref"), group, member(r, "title")) != 0)
            return -1;
    }
    return builder_finish(b, 0);
}

static int parse_json(const char *text, size_t len, builder_t *b) {
    char detail[160] = "";
    cJSON *root = NULL;
    if (json_parse_strict(text, len, &root, detail, sizeof(detail)) != JSON_OK) {
        const char *at = strstr(detail, "at byte ");
        int line = at != NULL ? byte_line(text, strtoul(at + 8, NULL, 10)) : 0;
        return fail(b->err, line, "not valid JSON: %s", detail);
    }
    int *glines = calloc(CATALOGUE_MAX_GROUPS, sizeof(int));
    int *rlines = calloc(CATALOGUE_MAX_REQUIREMENTS, sizeof(int));
    int rc = glines != NULL && rlines != NULL ? 0 : fail(b->err, 0, "out of memory");
    if (rc == 0) {
        json_element_lines(text, len, glines, CATALOGUE_MAX_GROUPS, rlines,
                           CATALOGUE_MAX_REQUIREMENTS);
        rc = parse_json_doc(root, glines, rlines, b);
    }
    free(glines);
    free(rlines);
    cJSON_Delete(root);
    return rc;
}

/* ---- entry points ---------------------------------------------------------------------------- */

/* The line of the first byte that is not valid UTF-8, or 0 when the text is valid. */
static int bad_utf8_line(const char *text, size_t len) {
    const char *line = text;
    int n = 1;
    for (const char *p = text; p <= text + len; p++) {
        if (p == text + len || *p == '\n') {
            if (!utf8_valid(line, (size_t)(p - line)))
                return n;
            line = p + 1;
            n++;
        }
    }
    return 0;
}

int catalogue_parse(const char *text, size_t len, catalogue_format_t format, cJSON **out, char *err,
                    size_t errlen) {
    errbuf_t e = {err, errlen};
    builder_t b;
    *out = NULL;
    err[0] = '\0';
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3; /* a byte order mark, as spreadsheets write it */
        len -= 3;
    }
    int bad = bad_utf8_line(text, len);
    if (bad > 0)
        return fail(&e, bad, "not valid UTF-8");
    if (memchr(text, '\0', len) != NULL)
        return fail(&e, byte_line(text, (size_t)((const char *)memchr(text, '\0', len) - text)),
                    "NUL byte");
    if (builder_init(&b, &e) != 0) {
        builder_free(&b);
        return -1;
    }
    int rc = format == CATALOGUE_CSV ? parse_csv(text, len, &b) : parse_json(text, len, &b);
    if (rc == 0) {
        *out = b.doc;
        b.doc = NULL;
    }
    builder_free(&b);
    return rc;
}

catalogue_format_t catalogue_guess_format(const char *path, const char *text, size_t len) {
    size_t n = path != NULL ? strlen(path) : 0;
    if (n >= 5 && strcasecmp(path + n - 5, ".json") == 0)
        return CATALOGUE_JSON;
    if (n >= 4 && strcasecmp(path + n - 4, ".csv") == 0)
        return CATALOGUE_CSV;
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
            return text[i] == '{' ? CATALOGUE_JSON : CATALOGUE_CSV;
    return CATALOGUE_CSV;
}
