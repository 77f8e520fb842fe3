/* Checks a whole plan against every hard constraint, independently of how it was made: used by
 * the property tests on every plan the scheduler produces, and by manual moves (a coordinator's
 * change is accepted only when it breaks nothing). Each violation is a sentence that names the
 * sessions and the constraint. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planning/scheduler_internal.h"

typedef struct vlist {
    plan_violation_t *items;
    int n, cap;
    int nomem;
} vlist_t;

static void add(vlist_t *v, int session, int other, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(vlist_t *v, int session, int other, const char *fmt, ...) {
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 16;
        plan_violation_t *grown = realloc(v->items, (size_t)cap * sizeof(*grown));
        if (grown == NULL) {
            v->nomem = 1;
            return;
        }
        v->items = grown;
        v->cap = cap;
    }
    plan_violation_t *x = &v->items[v->n++];
    x->session = session;
    x->other = other;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->text, sizeof(x->text), fmt, ap);
    va_end(ap);
}

static void describe(const plan_input_t *in, const plan_session_t *s, char *out, size_t len) {
    char day[11];
    plan_day_format(s->day, day);
    const char *slot = s->half_days == 2 ? "all day" : s->slot ? "afternoon" : "morning";
    const char *title =
        s->module >= 0 && s->module < in->nmodules ? in->modules[s->module].title : "coaching";
    if (s->kind == PLAN_TRAINING)
        snprintf(out, len, "%s on %s %s", title, day, slot);
    else if (s->kind == PLAN_GAP_ANALYSIS)
        snprintf(out, len, "%s of %s on %s %s", title,
                 s->org >= 0 && s->org < in->norgs ? in->resources[in->orgs[s->org].resource].name
                                                   : "?",
                 day, slot);
    else
        snprintf(out, len, "coaching of %s on %s %s",
                 s->org >= 0 && s->org < in->norgs ? in->resources[in->orgs[s->org].resource].name
                                                   : "?",
                 day, slot);
}

/* A session unchanged from a pinned current one is a fact: it is not re-checked. */
static int is_fact(const plan_input_t *in, const plan_session_t *s) {
    if (s->origin < 0 || s->origin >= in->ncurrent)
        return 0;
    const plan_session_t *c = &in->current[s->origin];
    return plan_session_pinned(in, c) && c->day == s->day && c->slot == s->slot &&
           c->half_days == s->half_days;
}

static int well_formed(const plan_input_t *in, const plan_session_t *s) {
    return s->kind >= PLAN_TRAINING && s->kind <= PLAN_COACHING && s->module >= -1 &&
           s->module < in->nmodules && s->org >= -1 && s->org < in->norgs && s->slot >= 0 &&
           s->slot <= 1 && s->half_days >= 1 && s->slot + s->half_days <= 2 && s->part >= 0 &&
           s->part < PLAN_MAX_PARTS && s->trainer >= -1 && s->trainer < in->nresources &&
           s->coach >= -1 && s->coach < in->nresources &&
           (s->kind == PLAN_COACHING || s->module >= 0) &&
           (s->kind == PLAN_TRAINING || s->org >= 0);
}

/* Booked coaching left where it was: the cluster's weekdays and end date do not bind it (they are
 * the scheduler's preferences, not the coach's), only collisions do. */
static int booked_in_place(const plan_input_t *in, const plan_session_t *s) {
    if (s->kind != PLAN_COACHING || s->origin < 0 || s->origin >= in->ncurrent)
        return 0;
    const plan_session_t *c = &in->current[s->origin];
    return c->kind == PLAN_COACHING && c->day == s->day && c->slot == s->slot &&
           c->half_days == s->half_days;
}

/* The coach a coaching session or gap analysis must have: the organisation's, or for booked
 * coaching the coach it was booked with. */
static int right_coach(const plan_input_t *in, const plan_session_t *s) {
    if (s->org < 0 || s->coach == in->orgs[s->org].coach)
        return 1;
    return s->kind == PLAN_COACHING && s->origin >= 0 && s->origin < in->ncurrent &&
           in->current[s->origin].coach == s->coach;
}

/* Day, weekday, holiday and every resource's availability of one session. */
static void check_slot(plan_ctx_t *c, vlist_t *v, const plan_session_t *ss, int i) {
    const plan_input_t *in = c->in;
    const plan_session_t *s = &ss[i];
    char what[160];
    describe(in, s, what, sizeof(what));
    if (booked_in_place(in, s)) {
        /* only the resources below */
    } else if (s->day < in->earliest || s->day > in->end) {
        add(v, i, -1, "%s is outside the period that can be planned", what);
        return;
    } else if (!c->day_ok[s->day - c->base]) {
        add(v, i, -1, "%s falls on a public holiday or a weekday the cluster does not allow", what);
        return;
    }
    int res[1024];
    int n = plan_session_resources(in, s, res, 1024);
    for (int k = 0; k < n; k++)
        for (int h = 0; h < s->half_days; h++) {
            uint8_t b = plan_blocked(c, res[k], s->day, s->slot + h);
            if (b)
                add(v, i, -1, "%s: %s is %s", what, in->resources[res[k]].name,
                    b & PLAN_B_UNAVAILABLE ? "unavailable" : "busy in another cluster");
        }
    if (s->kind == PLAN_TRAINING && s->trainer < 0)
        add(v, i, -1, "%s has no trainer", what);
    if (s->kind != PLAN_TRAINING && !right_coach(in, s))
        add(v, i, -1, "%s is not with the organisation's coach", what);
    if (s->kind == PLAN_TRAINING && s->trainer >= 0) {
        int ok = 0;
        for (int t = 0; t < in->ntrainers; t++)
            ok |= in->trainers[t] == s->trainer;
        if (!ok)
            add(v, i, -1, "%s: %s is not a trainer of the cluster", what,
                in->resources[s->trainer].name);
    }
}

/* Nobody in two places at once: every resource's half-days are taken at most once. */
static void check_double_booking(plan_ctx_t *c, vlist_t *v, const plan_session_t *ss, int n,
                                 int *owner) {
    const plan_input_t *in = c->in;
    size_t cells = (size_t)in->nresources * (size_t)c->ndays * 2;
    for (size_t k = 0; k < cells; k++)
        owner[k] = -1;
    for (int i = 0; i < n; i++) {
        const plan_session_t *s = &ss[i];
        int res[1024];
        int nr = plan_session_resources(in, s, res, 1024);
        for (int k = 0; k < nr; k++)
            for (int h = 0; h < s->half_days; h++) {
                if (!plan_in_span(c, s->day))
                    continue;
                size_t cell =
                    (size_t)res[k] * (size_t)c->ndays * 2 + (size_t)plan_h(c, s->day, s->slot + h);
                int j = owner[cell];
                owner[cell] = i;
                if (j < 0 || (is_fact(in, s) && is_fact(in, &ss[j])))
                    continue;
                char a[160], b[160];
                describe(in, &ss[j], a, sizeof(a));
                describe(in, s, b, sizeof(b));
                add(v, i, j, "%s would be double-booked: %s and %s", in->resources[res[k]].name, a,
                    b);
            }
    }
}

/* Every training module complete, in order, with the gap between starts. */
static void check_trainings(plan_ctx_t *c, vlist_t *v, const plan_session_t *ss, int n) {
    const plan_input_t *in = c->in;
    int prev = -1, prev_first = -1;
    plan_day_t prev_start = 0, prev_end = 0;
    for (int j = 0; j < c->ntrain; j++) {
        int m = c->train[j], sizes[PLAN_MAX_PARTS], np = plan_part_sizes(&in->modules[m], sizes);
        int idx[PLAN_MAX_PARTS], count = 0;
        for (int p = 0; p < np; p++)
            idx[p] = -1;
        for (int i = 0; i < n; i++)
            if (ss[i].kind == PLAN_TRAINING && ss[i].module == m) {
                count++;
                if (ss[i].part < np && idx[ss[i].part] < 0)
                    idx[ss[i].part] = i;
            }
        int complete = count == np;
        for (int p = 0; p < np; p++)
            complete &= idx[p] >= 0;
        if (!complete) {
            add(v, -1, -1, "%s needs %d session%s, the plan has %d", in->modules[m].title, np,
                np == 1 ? "" : "s", count);
            prev = -1;
            continue;
        }
        for (int p = 1; p < np; p++)
            if (plan_h(c, ss[idx[p]].day, ss[idx[p]].slot) <=
                plan_h(c, ss[idx[p - 1]].day, ss[idx[p - 1]].slot) + ss[idx[p - 1]].half_days - 1)
                add(v, idx[p], idx[p - 1], "the sessions of %s are out of order",
                    in->modules[m].title);
        plan_day_t start = ss[idx[0]].day, end = ss[idx[np - 1]].day;
        if (prev >= 0 && !(is_fact(in, &ss[idx[0]]) && is_fact(in, &ss[prev_first]))) {
            int gap = start - prev_start;
            if (start <= prev_end)
                add(v, idx[0], prev_first, "%s must come after %s", in->modules[m].title,
                    in->modules[prev].title);
            else if (plan_gap_cost(in, gap) == PLAN_FAIL)
                add(v, idx[0], prev_first,
                    "%s would be %d days after %s; the cluster allows %d to %d days (%d at most "
                    "when that keeps other sessions in place)",
                    in->modules[m].title, gap, in->modules[prev].title, in->gap_min_days,
                    in->gap_max_days, in->gap_max_days + PLAN_GAP_STRETCH_DAYS);
        }
        prev = m;
        prev_first = idx[0];
        prev_start = start;
        prev_end = end;
    }
}

static void training_bounds(plan_ctx_t *c, const plan_session_t *ss, int n, int w, plan_day_t *a,
                            plan_day_t *b) {
    *a = c->base;
    *b = c->in->end + 1;
    for (int i = 0; i < n; i++) {
        if (ss[i].kind != PLAN_TRAINING || ss[i].module < 0)
            continue;
        int j = c->window_of[ss[i].module];
        if (j == w - 1 && ss[i].day > *a)
            *a = ss[i].day;
        if (j == w && (ss[i].day < *b || *b == c->in->end + 1))
            *b = ss[i].day < *b ? ss[i].day : *b;
    }
}

/* Each coached organisation's gap analysis complete and between the right trainings. */
static void check_gap_analyses(plan_ctx_t *c, vlist_t *v, const plan_session_t *ss, int n) {
    const plan_input_t *in = c->in;
    for (int m = 0; m < in->nmodules; m++) {
        if (in->modules[m].kind != PLAN_GAP_ANALYSIS)
            continue;
        plan_day_t a, b;
        training_bounds(c, ss, n, c->window_of[m], &a, &b);
        for (int o = 0; o < in->norgs; o++) {
            int count = 0, last_h = -1;
            for (int i = 0; i < n; i++) {
                const plan_session_t *s = &ss[i];
                if (s->kind != PLAN_GAP_ANALYSIS || s->module != m || s->org != o)
                    continue;
                count++;
                if (is_fact(in, s))
                    continue;
                if (s->day <= a || s->day >= b)
                    add(v, i, -1, "the %s of %s must lie between the trainings around it",
                        in->modules[m].title, in->resources[in->orgs[o].resource].name);
                int h = plan_h(c, s->day, s->slot);
                if (h <= last_h)
                    add(v, i, -1, "the sessions of the %s of %s are out of order",
                        in->modules[m].title, in->resources[in->orgs[o].resource].name);
                last_h = h;
            }
            int expected =
                in->orgs[o].coach >= 0 && b > in->earliest ? in->modules[m].half_days : 0;
            if (count != expected && !(count > 0 && b <= in->earliest))
                add(v, -1, -1, "the %s of %s needs %d half-days, the plan has %d",
                    in->modules[m].title, in->resources[in->orgs[o].resource].name, expected,
                    count);
        }
    }
}

static void check_coaching_and_pins(plan_ctx_t *c, vlist_t *v, const plan_session_t *ss, int n) {
    const plan_input_t *in = c->in;
    for (int o = 0; o < in->norgs; o++) {
        int count = 0, existing = 0;
        for (int i = 0; i < n; i++)
            if (ss[i].kind == PLAN_COACHING && ss[i].org == o)
                count += ss[i].half_days;
        for (int i = 0; i < in->ncurrent; i++)
            if (in->current[i].kind == PLAN_COACHING && in->current[i].org == o)
                existing += in->current[i].half_days;
        int limit =
            in->orgs[o].coaching_half_days > existing ? in->orgs[o].coaching_half_days : existing;
        if (count > limit)
            add(v, -1, -1, "%s would get %d coaching half-days, above its %d",
                in->resources[in->orgs[o].resource].name, count, limit);
    }
    for (int i = 0; i < in->ncurrent; i++) {
        if (!plan_session_pinned(in, &in->current[i]))
            continue;
        int found = 0;
        for (int k = 0; k < n && !found; k++)
            found = ss[k].origin == i && is_fact(in, &ss[k]);
        if (!found) {
            char what[160];
            describe(in, &in->current[i], what, sizeof(what));
            add(v, -1, -1, "%s is confirmed, done or past and must not move", what);
        }
    }
}

int plan_validate(const plan_input_t *in, const plan_session_t *sessions, int n,
                  plan_violation_t **out) {
    plan_ctx_t c;
    vlist_t v = {NULL, 0, 0, 0};
    int *owner = NULL;
    *out = NULL;
    int rc = plan_ctx_init(&c, in);
    if (rc != PLAN_OK) {
        plan_ctx_free(&c);
        return rc;
    }
    for (int i = 0; i < n; i++)
        if (!well_formed(in, &sessions[i]) || !plan_in_span(&c, sessions[i].day)) {
            add(&v, i, -1, "session %d is malformed or far outside the programme", i);
            goto done;
        }
    owner = malloc(((size_t)in->nresources * (size_t)c.ndays * 2 + 1) * sizeof(int));
    if (owner == NULL) {
        rc = PLAN_ENOMEM;
        goto done;
    }
    for (int i = 0; i < n; i++)
        if (!is_fact(in, &sessions[i]))
            check_slot(&c, &v, sessions, i);
    check_double_booking(&c, &v, sessions, n, owner);
    check_trainings(&c, &v, sessions, n);
    check_gap_analyses(&c, &v, sessions, n);
    check_coaching_and_pins(&c, &v, sessions, n);
done:
    free(owner);
    plan_ctx_free(&c);
    if (v.nomem) {
        free(v.items);
        return PLAN_ENOMEM;
    }
    if (rc != PLAN_OK) {
        free(v.items);
        return rc;
    }
    *out = v.items;
    return v.n;
}
