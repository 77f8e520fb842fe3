/* The web service's routes: GET / (index.html, revalidated on every use) and GET /assets/{file}
 * (a file of web/assets/, or a vendored library file from web/node_modules, cached for a few
 * minutes and then revalidated). Files are small and read on the loop when asked for; an
 * If-None-Match that matches the file's ETag answers 304 without reading it. The directory is
 * ISMS_WEB_DIR, by default the source tree's web/ (ISMS_DEFAULT_WEB_DIR, set by CMake). */
#include "web/web.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/http.h"
#include "core/log.h"

#ifndef ISMS_DEFAULT_WEB_DIR
#define ISMS_DEFAULT_WEB_DIR "web"
#endif

#define WEB_MAX_FILE (8u << 20) /* larger files are not part of the UI */

static const char *web_dir(void) {
    const char *dir = getenv("ISMS_WEB_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : ISMS_DEFAULT_WEB_DIR;
}

static void security_headers(http_req_t *req) {
    http_add_header(req, "Content-Security-Policy", web_csp);
    http_add_header(req, "Referrer-Policy", "no-referrer");
    http_add_header(req, "X-Frame-Options", "DENY");
}

/* Reads an open regular file of `size` bytes; returns a malloc'd buffer or NULL. */
static char *read_all(int fd, size_t size) {
    char *buf = malloc(size + 1);
    size_t got = 0;
    while (buf != NULL && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

static void log_read_failure(const char *path, int err) {
    log_line_t line;
    log_begin(&line, LOG_ERROR, "web: cannot read a file of the UI");
    log_str(&line, "path", path);
    log_str(&line, "detail", err != 0 ? strerror(err) : "short read");
    log_emit(&line);
}

/* Answers the file `rel` (relative to the web directory) with `cache_control`. */
static void serve_file(http_req_t *req, const char *rel, const char *type,
                       const char *cache_control) {
    char path[4096], etag[64], inm[512];
    security_headers(req);
    if (snprintf(path, sizeof(path), "%s/%s", web_dir(), rel) >= (int)sizeof(path)) {
        http_send_not_found(req);
        return;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > WEB_MAX_FILE) {
        if (fd >= 0)
            close(fd);
        http_send_not_found(req);
        return;
    }
    uint64_t mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    web_etag(etag, sizeof(etag), (uint64_t)st.st_size, mtime_ns);
    http_add_header(req, "ETag", etag);
    http_add_header(req, "Cache-Control", cache_control);
    if (web_etag_matches(http_header(req, "if-none-match", inm, sizeof(inm)), etag)) {
        close(fd);
        http_send_body(req, 304, type, "", 0, NULL);
        return;
    }
    errno = 0;
    char *body = read_all(fd, (size_t)st.st_size);
    int err = errno;
    close(fd);
    if (body == NULL) {
        log_read_failure(path, err);
        http_send_error(req, 500, "internal", "the file could not be read");
        return;
    }
    http_send_body(req, 200, type, body, (size_t)st.st_size, NULL);
    free(body);
}

static int get_index(http_req_t *req) {
    serve_file(req, "index.html", "text/html; charset=utf-8", "no-cache");
    return 0;
}

static int get_asset(http_req_t *req) {
    char name[160], rel[256];
    const char *file = http_param(req, "file", name, sizeof(name));
    const char *type = file != NULL ? web_content_type(file) : NULL;
    if (file == NULL || !web_name_ok(file) || type == NULL) {
        security_headers(req);
        http_send_not_found(req);
        return 0;
    }
    const char *vendored = web_vendor_path(file);
    if (vendored != NULL)
        snprintf(rel, sizeof(rel), "%s", vendored);
    else
        snprintf(rel, sizeof(rel), "assets/%s", file);
    serve_file(req, rel, type, "public, max-age=300");
    return 0;
}

const route_t web_routes[] = {
    {"GET", "/", get_index, ROUTE_PUBLIC, NULL, "anyone:none"},
    {"GET", "/assets/{file}", get_asset, ROUTE_PUBLIC, NULL, "anyone:none"},
};
const size_t web_routes_count = sizeof(web_routes) / sizeof(web_routes[0]);
