/* The web service through the real server: index and assets with their content types, the
 * security headers, ETag revalidation (304), caching, and that nothing outside the assets
 * directory can be read (traversal, hidden files, symbolic links, unknown kinds). A small web
 * directory is made for the test and given to the server as ISMS_WEB_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TestSuite(web, .fini = it_teardown);

static char dir[256];

static void write_file(const char *rel, const char *text) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void remove_tree(void) {
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A web directory with an index, two assets, a vendored file, a secret beside the assets and a
 * symbolic link out of them; then a server that serves it. */
static it_server_t *start_with_web_dir(void) {
    snprintf(dir, sizeof(dir), "%s/isms-web-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/assets", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    snprintf(sub, sizeof(sub), "%s/node_modules", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof(sub), "%s/node_modules/uplot", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof(sub), "%s/node_modules/uplot/dist", dir);
    mkdir(sub, 0755);
    write_file("index.html", "<!doctype html><title>t</title>");
    write_file("assets/app.js", "export const x = 1;\n");
    write_file("assets/app.css", "body{}\n");
    write_file("assets/.hidden.js", "hidden\n");
    write_file("secret.js", "secret\n");
    write_file("node_modules/uplot/dist/uPlot.esm.js", "export default 1;\n");
    char target[512], link[512];
    snprintf(target, sizeof(target), "%s/secret.js", dir);
    snprintf(link, sizeof(link), "%s/assets/link.js", dir);
    cr_assert_eq(symlink(target, link), 0);
    char env[400];
    snprintf(env, sizeof(env), "ISMS_WEB_DIR=%s", dir);
    const char *envs[] = {env, NULL};
    it_server_options_t opts = {.env = envs};
    return it_server_start(&opts);
}

static void finish(it_server_t *srv) {
    cr_assert_eq(it_server_stop(srv), 0);
    remove_tree();
}

static void assert_security_headers(const it_response_t *r) {
    const char *csp = it_header(r, "content-security-policy");
    cr_assert_not_null(csp, "no Content-Security-Policy");
    cr_assert_not_null(strstr(csp, "default-src 'self'"));
    cr_assert_not_null(strstr(csp, "script-src 'self'"));
    cr_assert_not_null(strstr(csp, "frame-ancestors 'none'"));
    cr_assert_str_eq(it_header(r, "x-content-type-options"), "nosniff");
    cr_assert_str_eq(it_header(r, "referrer-policy"), "no-referrer");
}

Test(web, index_is_html_revalidated_every_time) {
    it_server_t *srv = start_with_web_dir();
    it_response_t *r = it_get(srv, "/");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "<!doctype html><title>t</title>");
    cr_assert_str_eq(it_header(r, "content-type"), "text/html; charset=utf-8");
    cr_assert_str_eq(it_header(r, "cache-control"), "no-cache");
    cr_assert_not_null(it_header(r, "etag"));
    assert_security_headers(r);
    finish(srv);
}

Test(web, assets_have_their_content_type_and_a_short_max_age) {
    it_server_t *srv = start_with_web_dir();
    it_response_t *js = it_get(srv, "/assets/app.js");
    cr_assert_eq(js->status, 200);
    cr_assert_str_eq(js->body, "export const x = 1;\n");
    cr_assert_str_eq(it_header(js, "content-type"), "application/javascript; charset=utf-8");
    cr_assert_str_eq(it_header(js, "cache-control"), "public, max-age=300");
    assert_security_headers(js);
    it_response_t *css = it_get(srv, "/assets/app.css");
    cr_assert_str_eq(it_header(css, "content-type"), "text/css; charset=utf-8");
    it_response_t *vendor = it_get(srv, "/assets/vendor-uplot.js");
    cr_assert_eq(vendor->status, 200);
    cr_assert_str_eq(vendor->body, "export default 1;\n");
    finish(srv);
}

Test(web, a_matching_if_none_match_answers_304_without_a_body) {
    it_server_t *srv = start_with_web_dir();
    it_response_t *r = it_get(srv, "/assets/app.js");
    char inm[200];
    snprintf(inm, sizeof(inm), "If-None-Match: %s", it_header(r, "etag"));
    const char *hdrs[] = {inm, NULL};
    it_request_t req = {.path = "/assets/app.js", .headers = hdrs};
    it_response_t *again = it_request(srv, &req);
    cr_assert_eq(again->status, 304);
    cr_assert_eq(again->body_len, 0);
    cr_assert_str_eq(it_header(again, "etag"), it_header(r, "etag"));
    const char *other[] = {"If-None-Match: \"0-0\"", NULL};
    it_request_t req2 = {.path = "/assets/app.js", .headers = other};
    cr_assert_eq(it_request(srv, &req2)->status, 200);
    write_file("assets/app.js", "export const x = 22;\n");
    it_response_t *changed = it_request(srv, &req);
    cr_assert_eq(changed->status, 200, "a changed file has a new ETag");
    cr_assert_str_eq(changed->body, "export const x = 22;\n");
    finish(srv);
}

Test(web, nothing_outside_the_assets_directory_is_served) {
    it_server_t *srv = start_with_web_dir();
    static const char *const paths[] = {
        "/assets/..%2fsecret.js",
        "/assets/%2e%2e%2fsecret.js",
        "/assets/.hidden.js",
        "/assets/link.js",
        "/assets/missing.js",
        "/assets/app.js.bak",
        "/assets/index.html.exe",
        "/assets/vendor-other.js",
        "/secret.js",
        "/assets",
        "/assets/",
        "/index.html/x",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        it_response_t *r = it_get(srv, paths[i]);
        cr_assert_eq(r->status, 404, "%s answered %d", paths[i], r->status);
        cr_assert_null(strstr(r->body, "secret"), "%s leaked the file", paths[i]);
    }
    finish(srv);
}

Test(web, head_and_other_methods) {
    it_server_t *srv = start_with_web_dir();
    it_request_t head = {.method = "HEAD", .path = "/assets/app.js"};
    it_response_t *h = it_request(srv, &head);
    cr_assert_eq(h->status, 200);
    cr_assert_eq(h->body_len, 0);
    it_request_t post = {.method = "POST", .path = "/", .body = "{}"};
    it_response_t *p = it_request(srv, &post);
    it_assert_error(p, 405, "method_not_allowed");
    finish(srv);
}

Test(web, the_default_directory_is_the_source_tree_web) {
    it_server_t *srv = it_server_start(NULL);
    it_response_t *r = it_get(srv, "/");
    cr_assert_eq(r->status, 200);
    cr_assert_not_null(strstr(r->body, "/assets/app.js"), "index.html should load the app");
    cr_assert_eq(it_server_stop(srv), 0);
}
