/* Unit tests for the static file rules of the web service (services/web/web_files.c): which names
 * may be served (no traversal, no hidden files), content types, vendored library files, entity
 * tags and If-None-Match. */
#include <criterion/criterion.h>
#include <string.h>

#include "web/web.h"

Test(web_files, accepts_plain_asset_names) {
    cr_assert(web_name_ok("app.js"));
    cr_assert(web_name_ok("view-coordinator.js"));
    cr_assert(web_name_ok("vendor-uplot.css"));
    cr_assert(web_name_ok("A_b-1.2.svg"));
}

Test(web_files, refuses_traversal_hidden_and_odd_names) {
    cr_assert_not(web_name_ok(NULL));
    cr_assert_not(web_name_ok(""));
    cr_assert_not(web_name_ok(".."));
    cr_assert_not(web_name_ok("..app.js"));
    cr_assert_not(web_name_ok("a..js"));
    cr_assert_not(web_name_ok(".htaccess"));
    cr_assert_not(web_name_ok(".env.js"));
    cr_assert_not(web_name_ok("a/b.js"));
    cr_assert_not(web_name_ok("a\\b.js"));
    cr_assert_not(web_name_ok("a%2fb.js"));
    cr_assert_not(web_name_ok("a b.js"));
    cr_assert_not(web_name_ok("a\nb.js"));
    char long_name[200];
    memset(long_name, 'a', sizeof(long_name));
    strcpy(long_name + 150, ".js");
    cr_assert_not(web_name_ok(long_name));
}

Test(web_files, content_types_by_extension) {
    cr_assert_str_eq(web_content_type("index.html"), "text/html; charset=utf-8");
    cr_assert_str_eq(web_content_type("app.js"), "application/javascript; charset=utf-8");
    cr_assert_str_eq(web_content_type("app.css"), "text/css; charset=utf-8");
    cr_assert_str_eq(web_content_type("logo.svg"), "image/svg+xml");
    cr_assert_null(web_content_type("app.js.bak"));
    cr_assert_null(web_content_type("README"));
    cr_assert_null(web_content_type("x.exe"));
    cr_assert_null(web_content_type("x.JS"));
}

Test(web_files, vendored_files_map_into_node_modules_only_by_exact_name) {
    cr_assert_str_eq(web_vendor_path("vendor-uplot.js"), "node_modules/uplot/dist/uPlot.esm.js");
    cr_assert_str_eq(web_vendor_path("vendor-uplot.css"), "node_modules/uplot/dist/uPlot.min.css");
    cr_assert_null(web_vendor_path("vendor-uplot.jsx"));
    cr_assert_null(web_vendor_path("app.js"));
    cr_assert_null(web_vendor_path(NULL));
}

Test(web_files, etag_is_quoted_and_changes_with_size_or_time) {
    char a[64], b[64], c[64];
    web_etag(a, sizeof(a), 10, 1000);
    web_etag(b, sizeof(b), 11, 1000);
    web_etag(c, sizeof(c), 10, 1001);
    cr_assert_str_eq(a, "\"a-3e8\"");
    cr_assert_str_neq(a, b);
    cr_assert_str_neq(a, c);
}

Test(web_files, if_none_match_lists_weak_tags_and_star) {
    const char *tag = "\"a-3e8\"";
    cr_assert(web_etag_matches("\"a-3e8\"", tag));
    cr_assert(web_etag_matches("W/\"a-3e8\"", tag));
    cr_assert(web_etag_matches("\"x\", \"a-3e8\"", tag));
    cr_assert(web_etag_matches("\"x\",W/\"a-3e8\" ", tag));
    cr_assert(web_etag_matches("*", tag));
    cr_assert_not(web_etag_matches(NULL, tag));
    cr_assert_not(web_etag_matches("", tag));
    cr_assert_not(web_etag_matches("\"a-3e9\"", tag));
    cr_assert_not(web_etag_matches("\"a-3e8", tag));
    cr_assert_not(web_etag_matches("a-3e8", tag));
    cr_assert_not(web_etag_matches("\"a-3e8\"x", tag));
}

Test(web_files, csp_is_strict) {
    cr_assert_not_null(strstr(web_csp, "default-src 'self'"));
    cr_assert_not_null(strstr(web_csp, "script-src 'self';"));
    cr_assert_not_null(strstr(web_csp, "frame-ancestors 'none'"));
    cr_assert_null(strstr(web_csp, "unsafe"));
}
