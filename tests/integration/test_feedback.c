/* Feedback boards over HTTP against the real server: the release threshold and its batches,
 * ordering that is not the order of writing, coarse dates, foreign edits and deletions answering
 * like missing posts, edits without history, "me too" counted at ticks, moderation, closing, the
 * CSV export and what a two-organisation cluster says about itself. */
#include <regex.h>

#include "harness.h"
#include "test_feedback_fixtures.h"

TestSuite(feedback, .fini = it_teardown);

static it_server_t *srv;
static PGconn *admin;

static void start(void) {
    srv = it_server_start(NULL);
    admin = it_db_connect(NULL);
}

/* The texts of a list answer, in order, joined with '|'. */
static void texts_of(const it_response_t *r, char *out, size_t cap) {
    const cJSON *item;
    out[0] = '\0';
    cJSON_ArrayForEach(item, fb_items(r)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "text");
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", used ? "|" : "", t->valuestring);
    }
}

static int count_items(const it_server_t *s, const char *board, const fb_party_t *who) {
    it_response_t *r = fb_list(s, board, who);
    int n = cJSON_GetArraySize(fb_items(r));
    it_response_free(r);
    return n;
}

static it_response_t *get_board(const char *board, const fb_party_t *who) {
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s", board);
    it_response_t *r = fb_call(srv, "GET", path, who, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    return r;
}

static it_response_t *post_op(const char *method, const char *post, const char *suffix,
                              const fb_party_t *who, const char *body) {
    char path[160];
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s%s", post, suffix);
    return fb_call(srv, method, path, who, body);
}

Test(feedback, below_the_threshold_nothing_is_released_and_at_it_a_batch_is) {
    fb_world_t w;
    char board[37];
    start();
    fb_world(&w, admin, 4, 3);
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[0], "Scoping took three meetings", NULL);
    fb_post(srv, board, &w.member[1], "Asset owners were unclear", NULL);
    fb_post(srv, board, &w.member[1], "The template was too long", NULL);
    cr_assert_eq(count_items(srv, board, &w.member[0]), 1, "the author sees its waiting post");
    fb_tick(admin, board);

    it_response_t *b = get_board(board, &w.member[3]);
    cr_assert_eq(fb_num(b->json, "waiting_posts"), 3, "%s", b->body);
    cr_assert_eq(fb_num(b->json, "batches"), 0);
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(b->json, "statistics");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(stats, "suppressed")), "%s", b->body);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(stats, "released_posts")));
    cr_assert_null(strstr(b->body, "organisations_waiting"), "never from how many organisations");
    it_response_free(b);
    cr_assert_eq(count_items(srv, board, &w.member[3]), 0, "two organisations of three: none out");
    cr_assert_eq(count_items(srv, board, &w.coordinator), 0, "nor for the coordinator");

    fb_post(srv, board, &w.member[2], "The risk method was heavy", NULL);
    cr_assert_eq(count_items(srv, board, &w.member[3]), 0, "nothing before the tick");
    fb_tick(admin, board);
    cr_assert_eq(count_items(srv, board, &w.member[3]), 4, "the batch is out after the tick");
    cr_assert_eq(count_items(srv, board, &w.coordinator), 4);
    b = get_board(board, &w.member[3]);
    cr_assert_eq(fb_num(b->json, "waiting_posts"), 0);
    cr_assert_eq(fb_num(b->json, "batches"), 1);
    stats = cJSON_GetObjectItemCaseSensitive(b->json, "statistics");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(stats, "suppressed")));
    cr_assert_eq(fb_num(stats, "released_posts"), 4);
    it_response_free(b);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* A UUIDv4 in canonical form. */
static int is_uuid_v4(const char *s) {
    regex_t re;
    regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
            REG_EXTENDED | REG_NOSUB);
    int ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

Test(feedback, order_is_not_the_order_of_writing_and_dates_are_coarse) {
    enum { N = 12 };
    fb_world_t w;
    char board[37], written[N * 16] = "", listed[N * 16];
    start();
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    for (int i = 0; i < N; i++) {
        char text[16];
        snprintf(text, sizeof(text), "post %02d", i);
        fb_post(srv, board, &w.member[i % 3], text, NULL);
        snprintf(written + strlen(written), sizeof(written) - strlen(written), "%s%s", i ? "|" : "",
                 text);
    }
    fb_tick(admin, board);
    it_response_t *r = fb_list(srv, board, &w.coordinator);
    texts_of(r, listed, sizeof(listed));
    cr_assert_str_neq(listed, written, "the batch is listed in the order of writing");
    char reversed[N * 16] = "";
    for (int i = N - 1; i >= 0; i--)
        snprintf(reversed + strlen(reversed), sizeof(reversed) - strlen(reversed), "%spost %02d",
                 i < N - 1 ? "|" : "", i);
    cr_assert_str_neq(listed, reversed, "the batch is listed in reverse order of writing");

    char today[16];
    PGresult *res = it_db_query(
        admin, "SELECT to_char(now() AT TIME ZONE 'Europe/Luxembourg', 'YYYY-MM-DD')", 0, NULL);
    snprintf(today, sizeof(today), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    const char *keys[] = {"id",          "board_id", "status",        "is_mine",
                          "text",        "batch",    "released_on",   "me_too",
                          "me_too_mine", "hidden",   "hidden_reason", "edit_pending"};
    const cJSON *item;
    cJSON_ArrayForEach(item, fb_items(r)) {
        cr_assert_eq(cJSON_GetArraySize(item), 12, "a post has exactly the documented fields");
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(item, keys[k]), "%s", keys[k]);
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(item, "released_on")->valuestring, today,
                         "the batch's date, nothing finer");
        cr_assert(is_uuid_v4(cJSON_GetObjectItemCaseSensitive(item, "id")->valuestring));
    }
    regex_t clock;
    regcomp(&clock, "[0-9]{2}:[0-9]{2}", REG_EXTENDED | REG_NOSUB);
    cr_assert_neq(regexec(&clock, r->body, 0, NULL, 0), 0, "no time of day in a list: %s", r->body);
    regfree(&clock);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Status and body must be byte-identical to the answer for a post that does not exist. */
static void assert_like_missing(it_response_t *r, it_response_t *missing, const char *what) {
    cr_assert_eq(r->status, 404, "%s: %d %s", what, r->status, r->body);
    cr_assert_str_eq(r->body, missing->body, "%s: the body differs from a missing post's", what);
    cr_assert_str_eq(it_header(r, "content-type"), it_header(missing, "content-type"));
    it_response_free(r);
}

Test(feedback, foreign_edits_and_deletions_answer_like_missing_posts) {
    fb_world_t w;
    char board[37], mine[37], waiting[37];
    const char *nobody = "00000000-0000-4000-8000-000000000000";
    start();
    fb_world(&w, admin, 4, 3);
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[0], "A says", mine);
    fb_post(srv, board, &w.member[1], "B says", NULL);
    fb_post(srv, board, &w.member[2], "C says", NULL);
    fb_tick(admin, board);
    fb_post(srv, board, &w.member[0], "A waits", waiting);
    const char *edit = "{\"text\":\"rewritten\"}";
    const fb_party_t *others[] = {&w.member[1], &w.member[3], &w.coordinator};
    for (size_t i = 0; i < 3; i++) {
        it_response_t *missing = post_op("PATCH", nobody, "", others[i], edit);
        assert_like_missing(post_op("PATCH", mine, "", others[i], edit), missing, "edit");
        assert_like_missing(post_op("PATCH", waiting, "", others[i], edit), missing,
                            "edit waiting");
        it_response_free(missing);
        missing = post_op("DELETE", nobody, "", others[i], NULL);
        assert_like_missing(post_op("DELETE", mine, "", others[i], NULL), missing, "delete");
        assert_like_missing(post_op("DELETE", waiting, "", others[i], NULL), missing, "delete w");
        it_response_free(missing);
        missing = post_op("GET", nobody, "", others[i], NULL);
        assert_like_missing(post_op("GET", waiting, "", others[i], NULL), missing, "read waiting");
        it_response_free(missing);
    }
    it_response_t *missing = post_op("PUT", nobody, "/me-too", &w.member[3], NULL);
    assert_like_missing(post_op("PUT", waiting, "/me-too", &w.member[3], NULL), missing, "me too");
    it_response_free(missing);
    it_response_t *r = post_op("GET", mine, "", &w.member[1], NULL);
    cr_assert_str_eq(fb_str(r, "text"), "A says", "nothing was changed");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback, edits_deletions_and_me_too_reach_others_at_the_tick_without_history) {
    fb_world_t w;
    char board[37], a[37], b[37];
    start();
    fb_world(&w, admin, 4, 3);
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[0], "Original text", a);
    fb_post(srv, board, &w.member[1], "To be deleted", b);
    fb_post(srv, board, &w.member[2], "Third", NULL);
    fb_tick(admin, board);
    it_response_t *before = post_op("GET", a, "", &w.member[3], NULL);

    it_response_t *r = post_op("PATCH", a, "", &w.member[0], "{\"text\":\"Edited text\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "edit_pending")));
    cr_assert_str_eq(fb_str(r, "text"), "Edited text", "the author sees its edit");
    it_response_free(r);
    r = post_op("DELETE", b, "", &w.member[1], NULL);
    cr_assert_eq(r->status, 204, "%s", r->body);
    it_response_free(r);
    r = post_op("PUT", a, "/me-too", &w.member[3], NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "me_too_mine")));
    it_response_free(r);
    r = post_op("PUT", a, "/me-too", &w.member[0], NULL);
    it_assert_error(r, 409, "own_post");
    it_response_free(r);

    r = post_op("GET", a, "", &w.member[2], NULL);
    cr_assert_str_eq(r->body, before->body, "until the tick others see exactly what they saw");
    it_response_free(r);
    cr_assert_eq(count_items(srv, board, &w.member[2]), 3);

    fb_tick(admin, board);
    r = post_op("GET", a, "", &w.member[2], NULL);
    cr_assert_str_eq(fb_str(r, "text"), "Edited text");
    cr_assert_eq(fb_num(r->json, "me_too"), 1, "counted, never who: %s", r->body);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r->json, "edit_pending")));
    /* No trace of the edit: the answer is the old one with the new text and count. */
    cJSON *expected = cJSON_Duplicate(before->json, 1);
    cJSON_ReplaceItemInObject(expected, "text", cJSON_CreateString("Edited text"));
    cJSON_ReplaceItemInObject(expected, "me_too", cJSON_CreateNumber(1));
    cr_assert(cJSON_Compare(expected, r->json, 1), "%s", r->body);
    cJSON_Delete(expected);
    it_response_free(r);
    it_response_free(before);
    cr_assert_eq(count_items(srv, board, &w.member[2]), 2, "the deleted post is gone");
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback, coordinators_hide_posts_without_learning_authors) {
    fb_world_t w;
    char board[37], c[37];
    start();
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[0], "A", NULL);
    fb_post(srv, board, &w.member[1], "B", NULL);
    fb_post(srv, board, &w.member[2], "Names a supplier", c);
    fb_tick(admin, board);
    it_response_t *r = post_op("POST", c, "/hide", &w.member[0], "{\"reason\":\"no\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = post_op("POST", c, "/hide", &w.coordinator, "{\"reason\":\"Names a supplier\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r->json, "is_mine")));
    it_response_free(r);

    r = post_op("GET", c, "", &w.member[2], NULL);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "hidden")));
    cr_assert_str_eq(fb_str(r, "hidden_reason"), "Names a supplier", "the author sees why");
    it_response_free(r);
    r = post_op("GET", c, "", &w.member[0], NULL);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    cr_assert_eq(count_items(srv, board, &w.member[0]), 2);
    cr_assert_eq(count_items(srv, board, &w.coordinator), 3, "the coordinator still lists it");

    r = post_op("POST", c, "/unhide", &w.coordinator, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(count_items(srv, board, &w.member[0]), 3);
    cr_assert_eq(it_server_stop(srv), 0);
}

static int waiting_posts(const char *board, const fb_party_t *who) {
    it_response_t *r = get_board(board, who);
    int n = (int)fb_num(r->json, "waiting_posts");
    it_response_free(r);
    return n;
}

Test(feedback, closing_is_a_last_tick_and_stops_writing) {
    fb_world_t w;
    char board[37], close[128], open[128], posts[128];
    start();
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    snprintf(close, sizeof(close), "/v1/feedback/boards/%s/close", board);
    snprintf(open, sizeof(open), "/v1/feedback/boards/%s/open", board);
    snprintf(posts, sizeof(posts), "/v1/feedback/boards/%s/posts", board);
    fb_post(srv, board, &w.member[0], "A", NULL);
    fb_post(srv, board, &w.member[1], "B", NULL);
    fb_post(srv, board, &w.member[2], "C", NULL);
    it_response_t *r = fb_call(srv, "POST", close, &w.member[1], NULL);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = fb_call(srv, "POST", close, &w.coordinator, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(fb_str(r, "state"), "closed");
    it_response_free(r);
    cr_assert_eq(count_items(srv, board, &w.member[1]), 3, "closing released the batch at once");
    r = fb_call(srv, "POST", posts, &w.member[2], "{\"text\":\"late\"}");
    it_assert_error(r, 409, "board_closed");
    it_response_free(r);

    /* One organisation writes, the board closes right after: nothing goes out on its own. */
    it_response_free(fb_call(srv, "POST", open, &w.coordinator, NULL));
    fb_post(srv, board, &w.member[0], "A, just before the close", NULL);
    r = fb_call(srv, "POST", close, &w.coordinator, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(count_items(srv, board, &w.member[1]), 3, "a lone organisation's post went out");
    cr_assert_eq(waiting_posts(board, &w.member[1]), 1, "it is counted as waiting");
    cr_assert_eq(count_items(srv, board, &w.member[0]), 4, "its author still has it");
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback, exports_what_the_caller_sees_as_csv) {
    fb_world_t w;
    char board[37], path[128];
    start();
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[0], "=cmd|' /C calc'!A0", NULL);
    fb_post(srv, board, &w.member[1], "Line one\nline \"two\", with a comma", NULL);
    fb_post(srv, board, &w.member[2], "Plain", NULL);
    fb_tick(admin, board);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/export", board);
    it_response_t *r = fb_call(srv, "GET", path, &w.member[0], NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(strncmp(it_header(r, "content-type"), "text/csv", 8) == 0);
    cr_assert_not_null(strstr(it_header(r, "content-disposition"), board));
    cr_assert(strncmp(r->body, "status,batch,released_on,text,", 30) == 0, "%s", r->body);
    cr_assert_not_null(strstr(r->body, "\"'=cmd|' /C calc'!A0\""), "formula guarded: %s", r->body);
    cr_assert_not_null(strstr(r->body, "\"Line one\nline \"\"two\"\", with a comma\""));
    int mine = 0;
    for (const char *p = r->body; (p = strstr(p, ",true,false,")) != NULL; p++)
        mine++;
    cr_assert_eq(mine, 1, "exactly one post is the caller's: %s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback, a_two_organisation_cluster_says_what_each_member_can_infer) {
    fb_world_t w;
    char board[37];
    start();
    fb_world(&w, admin, 2, 2);
    fb_open_board(srv, &w, board);
    it_response_t *r = get_board(board, &w.member[0]);
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(r->json, "anonymity");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(an, "others_attributable")), "%s",
              r->body);
    cr_assert_eq(fb_num(an, "possible_authors"), 1);
    cr_assert_eq(fb_num(an, "release_threshold"), 2);
    cr_assert_not_null(strstr(cJSON_GetObjectItemCaseSensitive(an, "statement")->valuestring,
                              "written by the other organisation"));
    /* Every inference, in words: no field names, the organisations with real people (these
     * fixture users never set a password), what the coordinator could do, and the changes rule. */
    const char *said = cJSON_GetObjectItemCaseSensitive(an, "statement")->valuestring;
    cr_assert_null(strstr(said, "is_mine"), "%s", said);
    cr_assert_eq(fb_num(an, "organisations_with_people"), 0);
    cr_assert_not_null(strstr(said, "0 of the 2 member organisations have at least one person"),
                       "%s", said);
    cr_assert_not_null(strstr(said, "account the coordinator controls"), "%s", said);
    cr_assert_not_null(strstr(said, "Edits, deletions and \"me too\" are published together"), "%s",
                       said);
    it_response_free(r);
    r = get_board(board, &w.coordinator);
    an = cJSON_GetObjectItemCaseSensitive(r->json, "anonymity");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(an, "others_attributable")));
    cr_assert_eq(fb_num(an, "possible_authors"), 2, "the coordinator cannot tell the two apart");
    it_response_free(r);

    fb_post(srv, board, &w.member[0], "From A", NULL);
    fb_tick(admin, board);
    cr_assert_eq(count_items(srv, board, &w.member[1]), 0, "one organisation of two: nothing");
    fb_post(srv, board, &w.member[1], "From B", NULL);
    fb_tick(admin, board);
    r = fb_list(srv, board, &w.member[0]);
    const cJSON *item;
    int theirs = 0;
    cJSON_ArrayForEach(item, fb_items(r)) {
        int mine = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "is_mine"));
        const char *text = cJSON_GetObjectItemCaseSensitive(item, "text")->valuestring;
        cr_assert_str_eq(text, mine ? "From A" : "From B", "what A infers is what B wrote");
        theirs += !mine;
    }
    cr_assert_eq(theirs, 1);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback, threshold_above_the_cluster_size_is_said_and_nothing_is_released) {
    fb_world_t w;
    char board[37];
    start();
    fb_world(&w, admin, 2, 3);
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[0], "A", NULL);
    fb_post(srv, board, &w.member[1], "B", NULL);
    fb_tick(admin, board);
    cr_assert_eq(count_items(srv, board, &w.coordinator), 0);
    it_response_t *r = get_board(board, &w.member[0]);
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(r->json, "anonymity");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(an, "threshold_reachable")));
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
