/* Internals shared by the scheduler's files: the resource calendars of one solve, the dynamic
 * programme over the trainings, and helpers used by placement, explanation and validation. */
#pragma once
#include <stdint.h>

#include "planning/scheduler.h"

#define PLAN_FAIL INT32_MIN

enum { PLAN_B_UNAVAILABLE = 1, PLAN_B_ELSEWHERE = 2 };

/** One candidate position of a training module: its first session at (day, slot). */
typedef struct plan_node {
    int32_t moves, sum; /* best path cost to here; moves INT32_MAX when unreachable */
    int32_t pred;       /* node index in the previous layer, or -1 */
    int32_t end;        /* last day of the module's sessions when it starts here */
    int8_t ok;          /* the module fits here on its own */
} plan_node_t;

typedef struct plan_ctx {
    const plan_input_t *in;
    plan_day_t base; /* day of half-day index 0 */
    int ndays;
    uint8_t *blocked; /* [resource * ndays * 2 + half-day]: PLAN_B_* */
    uint8_t *booked;  /* [resource * ndays * 2 + half-day]: used by this plan */
    uint8_t *coached; /* [half-day]: organisations' booked (not pinned) coaching half-days */
    uint8_t *day_ok;  /* [day]: an allowed weekday and no holiday */
    int *lookup;      /* [(module * PLAN_MAX_PARTS + part) * (norgs + 1) + org + 1]: current idx */
    uint8_t *duplicate; /* [current]: a second session for the same module part */
    int *train;         /* training module indices in curriculum order */
    int ntrain;
    int *window_of;      /* [module]: gap analysis modules: number of trainings before it */
    int nga;             /* number of gap analysis modules */
    plan_node_t *layers; /* ntrain layers of ndays * 2 nodes */
    int32_t *ga_memo;    /* [(ntrain + 1) * ndays]: last day of the gap analyses after day a */
    int failed_layer;    /* first layer without a reachable node, ntrain: the final window */
    int64_t *local;      /* scratch bookings of one gap-analysis placement */
    int nlocal, caplocal;
} plan_ctx_t;

int plan_ctx_init(plan_ctx_t *c, const plan_input_t *in);
void plan_ctx_free(plan_ctx_t *c);

static inline int plan_h(const plan_ctx_t *c, plan_day_t d, int slot) {
    return (d - c->base) * 2 + slot;
}
static inline int plan_in_span(const plan_ctx_t *c, plan_day_t d) {
    return d >= c->base && d < c->base + c->ndays;
}
static inline uint8_t plan_blocked(const plan_ctx_t *c, int r, plan_day_t d, int slot) {
    return c->blocked[(size_t)r * (size_t)c->ndays * 2 + (size_t)plan_h(c, d, slot)];
}
static inline uint8_t plan_booked(const plan_ctx_t *c, int r, plan_day_t d, int slot) {
    return c->booked[(size_t)r * (size_t)c->ndays * 2 + (size_t)plan_h(c, d, slot)];
}
static inline int plan_free(const plan_ctx_t *c, int r, plan_day_t d, int slot) {
    size_t i = (size_t)r * (size_t)c->ndays * 2 + (size_t)plan_h(c, d, slot);
    return !c->blocked[i] && !c->booked[i];
}
/** A day on which new sessions may be placed: within [earliest, end], allowed, no holiday. */
static inline int plan_day_usable(const plan_ctx_t *c, plan_day_t d) {
    return d >= c->in->earliest && d <= c->in->end && plan_in_span(c, d) && c->day_ok[d - c->base];
}

/** The cost of a gap of `days` between the starts of two trainings: 0 within the preferred gaps,
 * PLAN_FAIL beyond the stretch or shrink allowed. */
int plan_gap_cost(const plan_input_t *in, int days);
/** The shortest gap allowed at a cost. */
int plan_gap_floor(const plan_input_t *in);

/** Current session for a module part (org -1 for trainings), or -1. */
int plan_lookup(const plan_ctx_t *c, int module, int part, int org);
/** Sizes of a module's sessions (trainings: whole days then a half day; gap analysis: half days).
 * Returns the number of parts. */
int plan_part_sizes(const plan_module_t *m, int sizes[PLAN_MAX_PARTS]);
/** Resources a session occupies: trainings every organisation and the trainer; a gap analysis its
 * organisation (first part only) and coach; coaching the organisation and coach. */
int plan_session_resources(const plan_input_t *in, const plan_session_t *s, int *out, int max);
/** Marks (value 1) or clears (0) a session's half-days for its resources. */
void plan_book(plan_ctx_t *c, const plan_session_t *s, uint8_t value);

/** Runs the dynamic programme over the trainings; returns 1 when a plan exists, 0 when not, or a
 * PLAN_E* code. On 1, *last is the chosen node of the last layer (-1 without trainings). */
int plan_run(plan_ctx_t *c, int *last);
/** Places the gap analyses of window w (after training w-1, before training w) in days (a, b),
 * each organisation's as early as possible or, with `prefer`, where the current plan has them;
 * returns the last day used (a when none is needed) or PLAN_FAIL. With `out` non-NULL the sessions
 * are appended to it (room for norgs * nga * PLAN_MAX_PARTS); nothing is booked. */
int32_t plan_place_gap_analyses(plan_ctx_t *c, int w, plan_day_t a, plan_day_t b, int prefer,
                                plan_session_t *out, int *nout);
/** Does training module m fit with its first session at (d, s)? Fills parts (may be NULL). */
int plan_place_training(plan_ctx_t *c, int m, plan_day_t d, int s, plan_session_t *parts,
                        int *nparts, plan_day_t *end, int *moves);
/** Is the input feasible (trainings and gap analyses)? 1, 0 or a PLAN_E* code. */
int plan_feasible(const plan_input_t *in);

/** Places coaching after the trainings and gap analyses are booked. `starts`/`ends` are the first
 * and last days of each training. Appends to the result; returns PLAN_OK or PLAN_ENOMEM. */
int plan_place_coaching(plan_ctx_t *c, const plan_day_t *starts, const plan_day_t *ends,
                        plan_result_t *out, int *cap, uint8_t *used);

/** Fills the explanation of an infeasible input and its relaxations. */
int plan_explain(plan_ctx_t *c, plan_result_t *out);

/** Appends a formatted warning; returns PLAN_OK or PLAN_ENOMEM. */
int plan_warn(plan_result_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Appends a session to out->sessions (growing it); returns PLAN_OK or PLAN_ENOMEM. */
int plan_emit(plan_result_t *out, int *cap, const plan_session_t *s);
/** "MM-DD" when in `year`, else "YYYY-MM-DD". */
void plan_short_day(plan_day_t d, int year, char out[11]);
/** Formats a period's days, e.g. "03-01…03-20" or "03-23". */
void plan_range_text(plan_day_t from, plan_day_t to, int year, char *out, size_t len);
