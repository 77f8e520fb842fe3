/* Calendar feeds through the real server, each parsed by an independent RFC 5545 parser (ical.js,
 * tests/contract/ical_check.mjs): per cluster, organisation and staff member, stable UIDs, SEQUENCE
 * growing with changes, cancelled sessions, local times with their VTIMEZONE, no private notes,
 * and revocable tokens. */
#include <stdarg.h>
#include <unistd.h>

#include "test_planning_world.h"

TestSuite(planning_feeds, .fini = it_teardown);

static const cJSON *item(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* Creates a feed as `user`; writes its URL path. */
static void create_feed(const it_server_t *srv, const pworld_t *w, int user, const char *body,
                        char url[128], char id[40]) {
    it_response_t *r = pw_call(srv, w, user, "POST", body, "/v1/calendar-feeds");
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(url, 128, "%s", pw_str(r->json, "url"));
    snprintf(id, 40, "%s", pw_str(r->json, "id"));
    cr_assert_eq(strlen(pw_str(r->json, "token")), 43);
    it_response_free(r);
}

/* Fetches a feed without any credential and parses it with ical.js; returns the parse. */
static cJSON *fetch_and_parse(const it_server_t *srv, const char *url) {
    it_response_t *r = it_get(srv, url);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(strncmp(it_header(r, "content-type"), "text/calendar", 13) == 0);
    cr_assert(strstr(r->body, "\r\n") != NULL && strstr(r->body, "BEGIN:VTIMEZONE") != NULL);
    char path[] = "/tmp/isms-planning-feed-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, r->body, r->body_len), (ssize_t)r->body_len);
    close(fd);
    it_response_free(r);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "node '%s/tests/contract/ical_check.mjs' '%s' 2>&1",
             ISMS_TEST_SOURCE_DIR, path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    static char out[1 << 20];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    unlink(path);
    cr_assert_eq(status, 0, "ical.js refused the feed: %s", out);
    cJSON *doc = cJSON_Parse(out);
    cr_assert_not_null(doc, "%s", out);
    return doc;
}

static const cJSON *event_of(const cJSON *feed, const char *session_id) {
    char uid[80];
    snprintf(uid, sizeof(uid), "%s@isms-cluster", session_id);
    const cJSON *e;
    cJSON_ArrayForEach(e, item(feed, "events")) {
        if (strcmp(pw_str(e, "uid"), uid) == 0)
            return e;
    }
    return NULL;
}

Test(planning_feeds, every_feed_parses_and_shows_changes_without_private_notes) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    char version[40], it1[40], ra[40], rt[40];
    pw_plan_and_apply(srv, &w, version);
    pw_session_of(admin, &w, "initial_training", it1, NULL);
    pw_session_of(admin, &w, "risk_assessment", ra, NULL);
    pw_session_of(admin, &w, "risk_treatment", rt, NULL);
    it_response_t *r = pw_call(srv, &w, U_COORD, "PATCH",
                               "{\"slot\":\"afternoon\",\"notes\":\"secret: invoice 42\"}",
                               "/v1/training-sessions/%s", ra);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/training-sessions/%s/cancel", rt);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);

    char org_url[128], staff_url[128], cluster_url[128], id[40], cluster_body[120];
    create_feed(srv, &w, U_A, "{\"scope\":\"organisation\",\"label\":\"ours\"}", org_url, id);
    create_feed(srv, &w, U_COACH, "{\"scope\":\"staff\"}", staff_url, id);
    snprintf(cluster_body, sizeof(cluster_body), "{\"scope\":\"cluster\",\"cluster_id\":\"%s\"}",
             w.id[C1]);
    create_feed(srv, &w, U_B, cluster_body, cluster_url, id);
    r = pw_call(srv, &w, U_C, "POST", cluster_body, "/v1/calendar-feeds");
    it_assert_error(r, 404, "not_found");
    it_response_free(r);

    /* The organisation: 12 trainings, its 2 gap-analysis half-days and 6 coaching half-days. */
    cJSON *feed = fetch_and_parse(srv, org_url);
    cr_assert_eq(cJSON_GetArraySize(item(feed, "events")), 12 + 2 + 6);
    cr_assert_str_eq(cJSON_GetArrayItem(item(feed, "zones"), 0)->valuestring, "Europe/Luxembourg");
    const cJSON *e = event_of(feed, it1);
    cr_assert_not_null(e);
    cr_assert_str_eq(pw_str(e, "tzid"), "Europe/Luxembourg");
    cr_assert(strstr(pw_str(e, "start"), "T09:00:00") != NULL, "%s", pw_str(e, "start"));
    /* 09:00 in Luxembourg in January is 08:00 UTC. */
    cr_assert(strstr(pw_str(e, "start_utc"), "T08:00:00") != NULL, "%s", pw_str(e, "start_utc"));
    e = event_of(feed, ra);
    cr_assert_eq(pw_int(e, "sequence"), 1);
    cr_assert(strstr(pw_str(e, "start"), "T13:30:00") != NULL);
    cr_assert_str_eq(pw_str(e, "status"), "TENTATIVE");
    e = event_of(feed, rt);
    cr_assert_str_eq(pw_str(e, "status"), "CANCELLED");
    char *text = cJSON_PrintUnformatted(feed);
    cr_assert_null(strstr(text, "secret"), "a private note reached a feed");
    free(text);
    cJSON_Delete(feed);

    feed = fetch_and_parse(srv, cluster_url);
    cr_assert_eq(cJSON_GetArraySize(item(feed, "events")), 12);
    cJSON_Delete(feed);
    feed = fetch_and_parse(srv, staff_url);
    cr_assert_eq(cJSON_GetArraySize(item(feed, "events")), 4 + 10);
    cJSON_Delete(feed);

    /* Revoked, unknown and malformed tokens answer 404. */
    r = pw_call(srv, &w, U_B, "GET", NULL, "/v1/calendar-feeds");
    cr_assert_eq(cJSON_GetArraySize(item(r->json, "items")), 1);
    cr_assert_null(strstr(r->body, "token\""), "a feed list shows a token");
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "DELETE", NULL, "/v1/calendar-feeds/%s", id);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    r = pw_call(srv, &w, U_B, "DELETE", NULL, "/v1/calendar-feeds/%s", id);
    cr_assert_eq(r->status, 204, "%s", r->body);
    it_response_free(r);
    r = it_get(srv, cluster_url);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    r = it_get(srv, "/v1/calendar/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics");
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    r = it_get(srv, "/v1/calendar/not%20a%20token");
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
