/* The cost statement as CSV: the JSON document of GET .../cost-statement (a cluster's, or one
 * organisation's) turned into one record per statement line, for spreadsheets and accounting.
 * Pure functions, no I/O.
 *
 * Format: RFC 4180 (CRLF line ends; a field holding a comma, a quote, CR or LF is quoted, quotes
 * doubled), UTF-8, a header record, then COACHING_CSV_COLUMNS fields per record:
 *   organisation, organisation_id, line, category, description, basis, share, half_days, rate,
 *   amount, currency
 * `line` is `training` (a share of a cost item; `share` is "weight/total weight"), `coaching`
 * (delivered half-days x `rate`), `organisation_total`, and for a cluster's statement
 * `unallocated` and `cluster_total`. Amounts and rates are decimal with two digits ("1234.05"),
 * converted from integer cents without floating point: the `training` and `coaching` amounts of
 * an organisation sum to its `organisation_total`, and with `unallocated` to `cluster_total`.
 * A text field that a spreadsheet would read as a formula (starting with =, +, -, @, tab or CR) is
 * prefixed with an apostrophe. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

#define COACHING_CSV_COLUMNS 11

/** Formats `cents` as a decimal amount with two digits ("-12.05"); `buf` holds at least 32. */
void coaching_format_cents(long long cents, char *buf, size_t buflen);

/** Renders `statement` as CSV into a malloc'd, NUL-terminated buffer (the caller frees it) and
 * stores its length in *len. Returns NULL when a required member is missing or has the wrong
 * type, or when memory runs out. */
char *coaching_statement_csv(const cJSON *statement, size_t *len);
