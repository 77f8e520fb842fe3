/* Internal interface of `isms-cluster demo` between demo.c (people, cluster, plan, logins) and
 * demo_activity.c (the programme in its middle: gap analyses, progress, coaching, costs and
 * feedback). Not part of the planning service's public surface. */
#pragma once
#include <libpq-fe.h>
#include <stddef.h>

/* The day the demo's activity stands at: coaching before it is done, later coaching planned. */
#define DEMO_AS_OF "2010-01-29"

/* Who is who in the demo (ids as text). Members: [0] IfOnline, [1] the Luxembourg Airport
 * Authority. */
typedef struct demo_ids {
    const char *cluster;
    const char *coordinator, *coordinator_org;
    const char *coach, *coach_org;
    const char *member[2], *member_org[2];
    char enrolment[2][40];
} demo_ids_t;

/* Runs one statement; on failure prints why and returns NULL. */
PGresult *demo_run(PGconn *pg, const char *sql, int n, const char *const *params);
/* Runs a statement that returns one value, copied into out (may be NULL). */
int demo_value(PGconn *pg, const char *sql, int n, const char *const *params, char *out,
               size_t len);
/* Makes the transaction act as this user of this organisation (app.user_id / organisation_id). */
int demo_as(PGconn *pg, const char *user, const char *org);

/* Before planning: the coach records each organisation's gap analysis with its coaching estimate
 * (while it is a draft; a final one is kept). Fills ids->enrolment. */
int demo_gap_estimates(PGconn *pg, demo_ids_t *ids);
/* After planning: everything that happened up to DEMO_AS_OF. Each part is written once and
 * reused on later runs. Leaves the transaction acting as the coordinator. */
int demo_activity_load(PGconn *pg, const demo_ids_t *ids);
/* A few lines on what the activity looks like through the API (as the coordinator), in `out`. */
int demo_activity_summary(PGconn *pg, const demo_ids_t *ids, char *out, size_t len);
