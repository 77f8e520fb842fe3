/* Unit tests for the feedback CSV export (services/feedback/csv.h): RFC 4180 quoting, the
 * formula guard, and the columns, which say nothing about authors beyond is_mine. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback/csv.h"

#define HEADER "status,batch,released_on,text,me_too,me_too_mine,is_mine,hidden,hidden_reason\r\n"

static char *csv_of(const char *json, size_t *len) {
    cJSON *posts = cJSON_Parse(json);
    cr_assert_not_null(posts, "bad test JSON: %s", json);
    char *csv = feedback_csv(posts, len);
    cJSON_Delete(posts);
    return csv;
}

Test(feedback_csv, an_empty_board_is_the_header_alone) {
    size_t len = 0;
    char *csv = csv_of("[]", &len);
    cr_assert_str_eq(csv, HEADER);
    cr_assert_eq(len, strlen(HEADER));
    free(csv);
}

Test(feedback_csv, writes_one_line_per_post_in_column_order) {
    size_t len;
    char *csv =
        csv_of("[{\"id\":\"x\",\"status\":\"released\",\"batch\":2,\"released_on\":\"2025-03-14\","
               "\"text\":\"Scope took long\",\"me_too\":3,\"me_too_mine\":true,"
               "\"is_mine\":false,\"hidden\":false,\"hidden_reason\":null}]",
               &len);
    cr_assert_str_eq(csv, HEADER "released,2,2025-03-14,Scope took long,3,true,false,false,\r\n");
    free(csv);
}

Test(feedback_csv, quotes_commas_quotes_and_line_breaks) {
    size_t len;
    char *csv = csv_of("[{\"text\":\"a, \\\"b\\\"\\r\\nc\"}]", &len);
    cr_assert_str_eq(csv, HEADER ",,,\"a, \"\"b\"\"\r\nc\",,,,,\r\n");
    free(csv);
}

Test(feedback_csv, guards_cells_a_spreadsheet_would_run) {
    const char *cases[][2] = {
        {"=HYPERLINK(\\\"x\\\")", "\"'=HYPERLINK(\"\"x\"\")\""},
        {"+1", "\"'+1\""},
        {"-2", "\"'-2\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\\tx", "\"'\tx\""},
        {"fine = ok", "fine = ok"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[256], want[256];
        size_t len;
        snprintf(json, sizeof(json), "[{\"text\":\"%s\"}]", cases[i][0]);
        snprintf(want, sizeof(want), HEADER ",,,%s,,,,,\r\n", cases[i][1]);
        char *csv = csv_of(json, &len);
        cr_assert_str_eq(csv, want, "case %zu", i);
        free(csv);
    }
}

Test(feedback_csv, keeps_utf8_as_it_is) {
    size_t len;
    char *csv = csv_of("[{\"text\":\"R\\u00e9union \\u2013 \\u00e7a\"}]", &len);
    cr_assert_str_eq(csv, HEADER ",,,R\xc3\xa9union \xe2\x80\x93 \xc3\xa7"
                                 "a,,,,,\r\n");
    free(csv);
}

Test(feedback_csv, refuses_what_is_not_a_list_of_posts) {
    size_t len;
    cr_assert_null(csv_of("{}", &len));
    cr_assert_null(csv_of("[1]", &len));
    cr_assert_null(feedback_csv(NULL, &len));
}
