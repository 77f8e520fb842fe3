/* The web service: serves the browser UI from a directory (ISMS_WEB_DIR, by default the source
 * tree's web/): GET / answers index.html, GET /assets/{file} a file of the flat web/assets/
 * directory or one of the few vendored library files installed by npm under web/node_modules.
 * Every answer carries a strict Content-Security-Policy; files are revalidated with ETags. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/router.h"

extern const route_t web_routes[];
extern const size_t web_routes_count;

/* ---- pure helpers (web_files.c, no I/O) -------------------------------------------------------
 */

/** The Content-Security-Policy every answer of this service carries. */
extern const char web_csp[];

/** Non-zero when `name` may name a file of the assets directory: 1–128 characters of
 * [A-Za-z0-9._-], not starting with '.', without "..". */
int web_name_ok(const char *name);
/** The Content-Type for a file name by its extension, or NULL for a kind this service does not
 * serve. */
const char *web_content_type(const char *name);
/** For a vendored library file ("vendor-uplot.js"), its path under the web directory
 * ("node_modules/uplot/dist/uPlot.esm.js"); NULL for any other name. */
const char *web_vendor_path(const char *name);
/** Writes a strong ETag built from a file's size and modification time ("\"<size>-<ns>\""). */
void web_etag(char *out, size_t cap, uint64_t size, uint64_t mtime_ns);
/** Non-zero when an If-None-Match header value (a list of entity tags, weak or strong, or "*")
 * matches `etag` under the weak comparison RFC 9110 prescribes for If-None-Match. */
int web_etag_matches(const char *if_none_match, const char *etag);
