/* The programme scheduler: pure C, no I/O, deterministic. A cluster's curriculum, people,
 * unavailability, holidays and current sessions go in as structs; a plan (or an explanation of why
 * there is none, with the nearest relaxations) comes out. Hard constraints are never violated:
 * curriculum order, the gap between trainings, every organisation and a trainer free, nobody
 * double-booked (bookings in other clusters arrive as "elsewhere" periods), public holidays,
 * allowed weekdays and pinned (confirmed, done or past) sessions left where they are. Among the
 * plans that satisfy them it picks the cheapest: moved sessions, coaching that a training would
 * displace and gaps longer than the cluster prefers each cost (see PLAN_COST_*), then the earliest
 * completion, then the earliest dates. Coaching is spread evenly over the cycles; coaching that is
 * already booked stays where it is unless something collides with it, and is then moved with all
 * its half-days, never dropped. */
#pragma once
#include <stddef.h>

#include "planning/plan_date.h"

#define PLAN_MAX_HALF_DAYS 8 /* per curriculum module */
#define PLAN_MAX_PARTS PLAN_MAX_HALF_DAYS
#define PLAN_MAX_SPAN_DAYS 4000 /* horizon of one plan, relaxations included */
#define PLAN_PART_SPREAD_DAYS 7 /* the sessions of one training module lie within a week */
/* The gap between trainings is a preference: a plan may exceed the longest gap by up to
 * PLAN_GAP_STRETCH_DAYS, or fall short of the shortest by up to PLAN_GAP_SHRINK_DAYS (never below
 * a week), at a cost (PLAN_COST_STRETCH_*) lower than moving one session (PLAN_COST_MOVE): one
 * longer or shorter cycle beats moving every later training. */
#define PLAN_GAP_STRETCH_DAYS 14
#define PLAN_GAP_SHRINK_DAYS 7
#define PLAN_COST_MOVE 4         /* per moved session, or per coaching half-day it displaces */
#define PLAN_COST_STRETCH_BASE 1 /* a gap longer than preferred ... */
#define PLAN_COST_STRETCH_WEEK 1 /* ... plus this per started week beyond it */

enum { PLAN_MORNING = 0, PLAN_AFTERNOON = 1 };
enum { PLAN_TRAINING = 0, PLAN_GAP_ANALYSIS = 1, PLAN_COACHING = 2 };
enum { PLAN_PLANNED = 0, PLAN_CONFIRMED = 1, PLAN_DONE = 2 };
enum { PLAN_OK = 0, PLAN_EINVAL = -1, PLAN_ENOMEM = -2, PLAN_ESPAN = -3 };

typedef struct plan_module {
    const char *key;   /* "risk_assessment" */
    const char *title; /* "Risk assessment", used in explanations */
    int kind;          /* PLAN_TRAINING or PLAN_GAP_ANALYSIS */
    int half_days;     /* 1..PLAN_MAX_HALF_DAYS */
} plan_module_t;

/** Somebody or something that can be busy: an organisation or a person (trainer, coach). */
typedef struct plan_resource {
    const char *id;
    const char *name;
    int is_org;
} plan_resource_t;

/** An admitted organisation of the cluster. */
typedef struct plan_org {
    int resource;           /* index into resources */
    int coach;              /* resource index of its coach, or -1 (no gap analysis, no coaching) */
    int coaching_half_days; /* target: min(gap-analysis estimate, ceiling); existing included */
} plan_org_t;

/** A period when a resource cannot take a session: declared unavailability, or a booking in
 * another cluster (`elsewhere`). Both ends inclusive, at half-day precision. */
typedef struct plan_period {
    int resource;
    plan_day_t from, to;
    int from_slot, to_slot;
    int elsewhere;
    const char *label; /* the reason given, may be NULL */
} plan_period_t;

typedef struct plan_holiday {
    plan_day_t day;
    const char *name;
} plan_holiday_t;

/** A session of the current plan (input) or of the proposed plan (output). */
typedef struct plan_session {
    const char *id; /* existing session id, or NULL */
    int kind;       /* PLAN_TRAINING, PLAN_GAP_ANALYSIS, PLAN_COACHING */
    int module;     /* index into modules; coaching: the training that opens its cycle, or -1 */
    int part;       /* 0-based part of the module (training, gap analysis); 0 for coaching */
    int org;        /* index into orgs (gap analysis, coaching); -1 for training */
    plan_day_t day;
    int slot;      /* PLAN_MORNING or PLAN_AFTERNOON: the first half-day */
    int half_days; /* 1, or 2 for a whole day starting in the morning */
    int trainer;   /* resource index (training), else -1 */
    int coach;     /* resource index (gap analysis, coaching), else -1 */
    int status;    /* PLAN_PLANNED, PLAN_CONFIRMED, PLAN_DONE */
    int origin;    /* output: index of the current session it continues, or -1 (new) */
} plan_session_t;

typedef struct plan_input {
    plan_day_t earliest;            /* nothing is (re)placed before this day: today, or the start */
    plan_day_t end;                 /* the target end date: nothing is placed after it */
    int gap_min_days, gap_max_days; /* between the starts of consecutive trainings */
    unsigned weekdays;              /* allowed weekdays: bit 0 Monday ... bit 6 Sunday */
    const plan_module_t *modules;
    int nmodules;
    const plan_resource_t *resources;
    int nresources;
    const plan_org_t *orgs;
    int norgs;
    const int *trainers; /* resource indices of the cluster's trainers, in order of preference */
    int ntrainers;
    const plan_holiday_t *holidays;
    int nholidays;
    const plan_period_t *periods;
    int nperiods;
    const plan_session_t *current; /* cancelled sessions excluded */
    int ncurrent;
    int explain; /* when infeasible: explain and look for relaxations */
} plan_input_t;

/** Why a training cannot be placed in its window. */
enum {
    PLAN_R_UNAVAILABLE,  /* resource, period */
    PLAN_R_ELSEWHERE,    /* resource, days */
    PLAN_R_BOOKED,       /* resource has a pinned session of this cluster, days */
    PLAN_R_HOLIDAY,      /* day, holiday */
    PLAN_R_WEEKDAY,      /* the allowed weekdays */
    PLAN_R_END_DATE,     /* the window runs past the end date */
    PLAN_R_GAP_ANALYSIS, /* an organisation's gap analysis does not fit before */
    PLAN_R_PARTS,        /* the module's further sessions do not fit in the week */
    PLAN_R_NO_TRAINER,   /* the cluster has no trainer */
};

typedef struct plan_reason {
    int kind;
    int resource;        /* or -1 */
    int period;          /* PLAN_R_UNAVAILABLE: index into periods; else -1 */
    plan_day_t from, to; /* the days concerned (the whole period for PLAN_R_UNAVAILABLE) */
    char text[200];
} plan_reason_t;

enum { PLAN_X_GAP_MAX, PLAN_X_WEEKDAY, PLAN_X_GAP_MIN, PLAN_X_END_DATE, PLAN_X_UNAVAILABILITY };

typedef struct plan_relaxation {
    int kind;
    int value;    /* weeks (gap), weekday 0-6, day (end date), period index */
    int distance; /* how far from the current settings; the nearest comes first */
    char text[240];
} plan_relaxation_t;

typedef struct plan_result {
    int feasible;
    plan_session_t *sessions; /* the whole plan, sorted by day and slot */
    int nsessions;
    int *dropped; /* current sessions the plan no longer holds (to cancel) */
    int ndropped;
    int moved, created, kept;
    plan_day_t completion; /* last day of the last training */
    int coaching_planned, coaching_unplaced;
    /* When infeasible: the training that cannot be placed, its window and why. */
    int failed_module;
    plan_day_t window_from, window_to;
    plan_reason_t *reasons;
    int nreasons;
    char *explanation;
    plan_relaxation_t *relaxations;
    int nrelaxations;
    char **warnings;
    int nwarnings;
} plan_result_t;

/** Plans. Returns PLAN_OK (then `out` says whether a plan exists), PLAN_EINVAL for malformed input
 * (an index out of range), PLAN_ESPAN when the programme and its existing sessions span more than
 * PLAN_MAX_SPAN_DAYS, or PLAN_ENOMEM. `out` is always
 * safe to pass to plan_result_free afterwards. */
int plan_solve(const plan_input_t *in, plan_result_t *out);
void plan_result_free(plan_result_t *out);

/** A broken hard constraint in a plan. */
typedef struct plan_violation {
    int session; /* index into the checked sessions, or -1 */
    int other;   /* the other session involved, or -1 */
    char text[240];
} plan_violation_t;

/** Checks every hard constraint on `sessions` (a whole plan) against `in`. Returns the number of
 * violations (0: valid) and stores them in *out (free() it; NULL when none), or PLAN_ENOMEM. */
int plan_validate(const plan_input_t *in, const plan_session_t *sessions, int n,
                  plan_violation_t **out);

/** Is the session pinned: confirmed, done, or before `earliest`? */
int plan_session_pinned(const plan_input_t *in, const plan_session_t *s);
