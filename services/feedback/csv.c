/* The CSV export of a board's posts: one column per field of a post that says nothing about its
 * author beyond is_mine, quoted as RFC 4180 asks, guarded against spreadsheet formulas. */
#include "feedback/csv.h"

#include <stdio.h>

#include "core/csv.h"

static const char *const columns[] = {"status",  "batch",  "released_on",
                                      "text",    "me_too", "me_too_mine",
                                      "is_mine", "hidden", "hidden_reason"};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* The text of a JSON value in a cell: strings as they are, null or absent as empty, numbers and
 * booleans as JSON writes them. Every cell gets the formula guard. */
static void out_value(textbuf_t *o, const cJSON *v, unsigned flags) {
    char num[32];
    const char *text = NULL;
    if (cJSON_IsString(v))
        text = v->valuestring;
    else if (cJSON_IsBool(v))
        text = cJSON_IsTrue(v) ? "true" : "false";
    else if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%.0f", v->valuedouble);
        text = num;
    }
    csv_field(o, text, flags);
}

char *feedback_csv(const cJSON *posts, size_t *len) {
    textbuf_t o = {0};
    if (!cJSON_IsArray(posts))
        return NULL;
    for (size_t c = 0; c < NCOLUMNS; c++)
        csv_field(&o, columns[c], c == 0 ? CSV_FIRST : 0);
    csv_end_record(&o);
    const cJSON *post;
    cJSON_ArrayForEach(post, posts) {
        if (!cJSON_IsObject(post)) {
            textbuf_free(&o);
            return NULL;
        }
        for (size_t c = 0; c < NCOLUMNS; c++)
            out_value(&o, cJSON_GetObjectItemCaseSensitive(post, columns[c]),
                      c == 0 ? CSV_FIRST : 0);
        csv_end_record(&o);
    }
    return textbuf_take(&o, len);
}
