/* Property test of the scheduler: thousands of random clusters (curricula, organisations,
 * trainers and coaches shared with other clusters, unavailability, holidays, weekdays, gaps,
 * current plans with confirmed and done sessions) must each give either a plan that breaks no hard
 * constraint (checked by plan_validate, which knows nothing of how the plan was made) or an
 * explanation; re-planning keeps every pinned session, cancels or moves only what collides and
 * never loses a booked coaching half-day silently; the same input gives the same plan. */
#include <stdint.h>
#include <stdlib.h>

#include "planning_fixture.h"

#define INSTANCES 2500

static uint64_t rng_state;

static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n == 0 ? 0 : (uint32_t)(rng_state % n);
}

static const char *const keys[] = {"m0", "m1", "m2", "m3",  "m4",  "m5", "m6",
                                   "m7", "m8", "m9", "m10", "m11", "m12"};

static void random_curriculum(fx_t *f) {
    if (rnd(3) != 0) {
        fx_default_curriculum(f);
        return;
    }
    int n = 2 + (int)rnd(10), ga = (int)rnd((uint32_t)n + 1);
    for (int i = 0; i < n; i++) {
        if (i == ga)
            fx_module(f, "gap_analysis", "Gap analysis", PLAN_GAP_ANALYSIS, 1 + (int)rnd(3));
        fx_module(f, keys[i], keys[i], PLAN_TRAINING, 1 + (int)rnd(4));
    }
}

static void random_periods(fx_t *f, plan_day_t from, int span, int count) {
    for (int i = 0; i < count && f->nperiods < 480; i++) {
        plan_day_t a = from + (plan_day_t)rnd((uint32_t)span);
        int r = (int)rnd((uint32_t)f->nresources);
        if (rnd(3) == 0 && !f->resources[r].is_org) {
            f->periods[f->nperiods++] = (plan_period_t){r, a, a, (int)rnd(2), (int)rnd(2), 1, NULL};
            if (f->periods[f->nperiods - 1].to_slot < f->periods[f->nperiods - 1].from_slot)
                f->periods[f->nperiods - 1].to_slot = f->periods[f->nperiods - 1].from_slot;
            continue;
        }
        plan_day_t b = a + (plan_day_t)rnd(rnd(4) == 0 ? 30 : 8);
        f->periods[f->nperiods++] = (plan_period_t){r, a, b, (int)rnd(2), (int)rnd(2), 0, "away"};
    }
}

static void random_cluster(fx_t *f) {
    memset(f, 0, sizeof(*f));
    random_curriculum(f);
    int ntrainers = 1 + (int)rnd(2), ncoaches = 1 + (int)rnd(3), coaches[4];
    for (int i = 0; i < ntrainers; i++)
        fx_trainer(f, i ? "Trainer B" : "Trainer A");
    for (int i = 0; i < ncoaches; i++)
        coaches[i] = rnd(5) == 0 ? f->trainers[0] : fx_person(f, "Coach");
    int norgs = 1 + (int)rnd(5);
    for (int o = 0; o < norgs; o++)
        fx_org(f, "Org", rnd(8) == 0 ? -1 : coaches[rnd((uint32_t)ncoaches)], (int)rnd(29));
    plan_day_t earliest = D("2009-01-01") + (plan_day_t)rnd(1500);
    int span = 150 + (int)rnd(300);
    for (int i = (int)rnd(10); i > 0; i--)
        f->holidays[f->nholidays++] =
            (plan_holiday_t){earliest + (plan_day_t)rnd((uint32_t)span), "Holiday"};
    random_periods(f, earliest, span, (int)rnd(40));
    char a[11], b[11];
    plan_day_format(earliest, a);
    plan_day_format(earliest + span, b);
    plan_input_t *in = fx_input(f, a, b);
    in->gap_min_days = 7 * (1 + (int)rnd(4));
    in->gap_max_days = in->gap_min_days + 7 * (int)rnd(3);
    do
        in->weekdays = rnd(128) | (rnd(4) == 0 ? 0 : 0x1f);
    while (__builtin_popcount(in->weekdays & 0x1f) < 2);
    in->explain = rnd(12) == 0;
}

/* Coaching days a coach booked on his own: whole or half days on any weekday of the programme,
 * beyond the target, colliding with the plan or not. */
static void coach_bookings(fx_t *f) {
    static const char *const ids[] = {"own0", "own1", "own2", "own3", "own4", "own5"};
    for (int k = (int)rnd(7) - 1; k >= 0 && f->ncurrent < 1000; k--) {
        int o = (int)rnd((uint32_t)f->norgs);
        if (f->orgs[o].coach < 0)
            continue;
        plan_day_t d = f->in.earliest + (plan_day_t)rnd((uint32_t)(f->in.end - f->in.earliest + 1));
        int whole = (int)rnd(2);
        f->current[f->ncurrent++] = (plan_session_t){
            ids[k], PLAN_COACHING,    -1,           0, o, d, whole ? 0 : (int)rnd(2), 1 + whole,
            -1,     f->orgs[o].coach, PLAN_PLANNED, -1};
    }
    f->in.ncurrent = f->ncurrent;
}

/* Do the half-days of a and b overlap? */
static int overlap(const plan_session_t *a, const plan_session_t *b) {
    int a0 = a->day * 2 + a->slot, b0 = b->day * 2 + b->slot;
    return a0 < b0 + b->half_days && b0 < a0 + a->half_days;
}

/* Does something in the re-plan (a session sharing somebody, or an unavailability) take the place
 * of current session s? */
static int collides(const plan_input_t *in, const plan_result_t *r, const plan_session_t *s) {
    int mine[2] = {in->orgs[s->org].resource, s->coach};
    for (int p = 0; p < in->nperiods; p++) {
        const plan_period_t *x = &in->periods[p];
        plan_session_t span = {NULL, 0, 0, 0, 0, x->from, x->from_slot, 1, -1, -1, 0, -1};
        int len = (x->to * 2 + x->to_slot) - (x->from * 2 + x->from_slot) + 1;
        span.half_days = len;
        if ((x->resource == mine[0] || x->resource == mine[1]) && overlap(&span, s))
            return 1;
    }
    for (int i = 0; i < r->nsessions; i++) {
        const plan_session_t *t = &r->sessions[i];
        if (!overlap(t, s))
            continue;
        if (t->kind == PLAN_TRAINING ||
            (t->org == s->org && (t->kind == PLAN_COACHING || t->part == 0)) ||
            t->coach == s->coach || t->trainer == s->coach)
            return 1;
    }
    return 0;
}

/* A re-plan cancels only sessions that something collides with, and keeps every booked coaching
 * half-day (moved if need be) unless it says how many it could not place. */
static void assert_minimal(const plan_input_t *in, const plan_result_t *r) {
    int lost = 0;
    for (int o = 0; o < in->norgs; o++) {
        int before = 0, after = 0;
        for (int i = 0; i < in->ncurrent; i++)
            if (in->current[i].kind == PLAN_COACHING && in->current[i].org == o)
                before += in->current[i].half_days;
        for (int i = 0; i < r->nsessions; i++)
            if (r->sessions[i].kind == PLAN_COACHING && r->sessions[i].org == o)
                after += r->sessions[i].half_days;
        lost += before > after ? before - after : 0;
    }
    cr_assert_leq(lost, r->coaching_unplaced, "%d booked coaching half-days lost silently", lost);
    for (int i = 0; i < r->ndropped; i++) {
        const plan_session_t *s = &in->current[r->dropped[i]];
        cr_assert_eq(s->kind, PLAN_COACHING, "a training or gap analysis was cancelled");
        cr_assert(collides(in, r, s), "coaching on day %d was cancelled though nothing collides",
                  s->day);
    }
    for (int i = 0; i < r->nsessions; i++) {
        const plan_session_t *s = &r->sessions[i];
        const plan_session_t *was = s->origin >= 0 ? &in->current[s->origin] : NULL;
        if (was != NULL && was->kind == PLAN_COACHING &&
            (was->day != s->day || was->slot != s->slot))
            cr_assert(collides(in, r, was), "coaching on day %d moved though nothing collides",
                      was->day);
    }
}

/* Adopts the plan with some sessions confirmed or done, adds coaching a coach booked, moves
 * "today" forward and adds new unavailability: the re-plan must keep every pinned session, stay
 * valid and change only what collides. */
static void replan(fx_t *f, const plan_result_t *r, int *checked) {
    fx_adopt(f, r);
    plan_day_t today = f->in.earliest + (plan_day_t)rnd(60);
    for (int i = 0; i < f->ncurrent; i++) {
        uint32_t x = rnd(10);
        f->current[i].status = x == 0 ? PLAN_CONFIRMED : x == 1 ? PLAN_DONE : PLAN_PLANNED;
    }
    f->in.earliest = today < f->in.end ? today : f->in.end;
    coach_bookings(f);
    random_periods(f, f->in.earliest, f->in.end - f->in.earliest + 1, 1 + (int)rnd(6));
    f->in.nperiods = f->nperiods;
    plan_result_t again;
    cr_assert_eq(plan_solve(&f->in, &again), PLAN_OK);
    if (again.feasible) {
        fx_assert_valid(&f->in, &again);
        assert_minimal(&f->in, &again);
        (*checked)++;
    } else if (f->in.explain) {
        cr_assert(again.explanation != NULL && again.explanation[0] != '\0');
    }
    plan_result_free(&again);
}

static fx_t instance;

Test(scheduler_property, every_plan_satisfies_every_hard_constraint, .timeout = 180) {
    int feasible = 0, replanned = 0, explained = 0;
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < INSTANCES; i++) {
        random_cluster(&instance);
        plan_result_t r;
        cr_assert_eq(plan_solve(&instance.in, &r), PLAN_OK, "instance %d", i);
        if (!r.feasible) {
            if (instance.in.explain) {
                cr_assert(r.explanation != NULL && strstr(r.explanation, "cannot be placed"),
                          "instance %d: %s", i, r.explanation ? r.explanation : "(none)");
                explained++;
            }
            plan_result_free(&r);
            continue;
        }
        feasible++;
        fx_assert_valid(&instance.in, &r);
        if (i % 4 == 0)
            replan(&instance, &r, &replanned);
        plan_result_free(&r);
    }
    cr_log_info("%d of %d feasible, %d re-planned, %d explained", feasible, INSTANCES, replanned,
                explained);
    cr_assert_gt(feasible, INSTANCES / 3, "only %d feasible instances: the test proves little",
                 feasible);
    cr_assert_gt(replanned, INSTANCES / 20);
    cr_assert_gt(explained, 0);
}

Test(scheduler_property, relaxations_proposed_make_the_programme_feasible, .timeout = 180) {
    int checked = 0;
    rng_state = 0x243f6a8885a308d3ull;
    for (int i = 0; i < 3000 && checked < 40; i++) {
        random_cluster(&instance);
        instance.in.explain = 1;
        plan_result_t r;
        cr_assert_eq(plan_solve(&instance.in, &r), PLAN_OK);
        for (int k = 0; !r.feasible && k < r.nrelaxations; k++) {
            const plan_relaxation_t *x = &r.relaxations[k];
            plan_input_t t = instance.in;
            if (x->kind == PLAN_X_GAP_MAX)
                t.gap_max_days = 7 * x->value;
            else if (x->kind == PLAN_X_WEEKDAY)
                t.weekdays |= 1u << x->value;
            else if (x->kind == PLAN_X_END_DATE)
                t.end = x->value;
            else
                continue;
            plan_result_t ok;
            cr_assert_eq(plan_solve(&t, &ok), PLAN_OK);
            cr_assert(ok.feasible, "relaxation \"%s\" does not work", x->text);
            fx_assert_valid(&t, &ok);
            plan_result_free(&ok);
            checked++;
        }
        plan_result_free(&r);
    }
    cr_assert_gt(checked, 10);
}

Test(scheduler_property, the_same_input_always_gives_the_same_plan) {
    rng_state = 0x13198a2e03707344ull;
    for (int i = 0; i < 200; i++) {
        random_cluster(&instance);
        plan_result_t a, b;
        cr_assert_eq(plan_solve(&instance.in, &a), PLAN_OK);
        cr_assert_eq(plan_solve(&instance.in, &b), PLAN_OK);
        cr_assert_eq(a.feasible, b.feasible);
        cr_assert_eq(a.nsessions, b.nsessions);
        for (int k = 0; k < a.nsessions; k++)
            cr_assert(a.sessions[k].day == b.sessions[k].day &&
                      a.sessions[k].slot == b.sessions[k].slot &&
                      a.sessions[k].kind == b.sessions[k].kind &&
                      a.sessions[k].org == b.sessions[k].org &&
                      a.sessions[k].trainer == b.sessions[k].trainer);
        plan_result_free(&a);
        plan_result_free(&b);
    }
}

Test(scheduler_property, the_validator_catches_a_broken_plan) {
    int caught = 0;
    rng_state = 0xa4093822299f31d0ull;
    for (int i = 0; i < 400 && caught < 100; i++) {
        random_cluster(&instance);
        plan_result_t r;
        cr_assert_eq(plan_solve(&instance.in, &r), PLAN_OK);
        int a = -1, b = -1;
        for (int k = 0; k < r.nsessions; k++)
            if (r.sessions[k].kind == PLAN_TRAINING && r.sessions[k].part == 0)
                a = b, b = k;
        if (r.feasible && a >= 0) {
            /* Put a training on the day and slot of the one before it. */
            r.sessions[b].day = r.sessions[a].day;
            r.sessions[b].slot = r.sessions[a].slot;
            plan_violation_t *v = NULL;
            int n = plan_validate(&instance.in, r.sessions, r.nsessions, &v);
            free(v);
            cr_assert_gt(n, 0, "instance %d: a training moved onto another was accepted", i);
            caught++;
        }
        plan_result_free(&r);
    }
    cr_assert_gt(caught, 50);
}
