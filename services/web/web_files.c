/* Pure rules of the static file service: which names are files of the assets directory, their
 * content types, the vendored library files, entity tags and If-None-Match. No I/O here, so the
 * unit tests need neither files nor a server. */
#include <stdio.h>
#include <string.h>

#include "web/web.h"

const char web_csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                       "base-uri 'none'; form-action 'self'";

int web_name_ok(const char *name) {
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > 128 || name[0] == '.' || strstr(name, "..") != NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "application/javascript; charset=utf-8"},
    {".mjs", "application/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *web_content_type(const char *name) {
    const char *dot = name != NULL ? strrchr(name, '.') : NULL;
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

/* The library files web/package-lock.json pins; npm ci (deploy/local.sh) installs them. */
static const struct {
    const char *name;
    const char *path;
} vendor[] = {
    {"vendor-uplot.js", "node_modules/uplot/dist/uPlot.esm.js"},
    {"vendor-uplot.css", "node_modules/uplot/dist/uPlot.min.css"},
};

const char *web_vendor_path(const char *name) {
    for (size_t i = 0; name != NULL && i < sizeof(vendor) / sizeof(vendor[0]); i++)
        if (strcmp(name, vendor[i].name) == 0)
            return vendor[i].path;
    return NULL;
}

void web_etag(char *out, size_t cap, uint64_t size, uint64_t mtime_ns) {
    snprintf(out, cap, "\"%llx-%llx\"", (unsigned long long)size, (unsigned long long)mtime_ns);
}

int web_etag_matches(const char *if_none_match, const char *etag) {
    if (if_none_match == NULL || etag == NULL)
        return 0;
    size_t elen = strlen(etag);
    const char *p = if_none_match;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *start = p;
        if (*p == '"') {
            const char *close = strchr(p + 1, '"');
            if (close == NULL)
                return 0;
            p = close + 1;
        } else {
            while (*p != '\0' && *p != ',')
                p++;
        }
        const char *after = p;
        while (*after == ' ' || *after == '\t')
            after++;
        if ((*after == ',' || *after == '\0') && (size_t)(p - start) == elen &&
            memcmp(start, etag, elen) == 0)
            return 1;
        while (*p != '\0' && *p != ',')
            p++;
    }
    return 0;
}
