/* Coaching placement: each organisation's coaching half-days (its target, existing sessions
 * included) are spread evenly over the cycles between trainings, on half-days when both the
 * organisation and its coach are free. Booked sessions (a coach's own bookings included) stay
 * where they are unless something collides with them; those that collide move with every
 * half-day they had, never dropped, even beyond the target. Inside a cycle a new session goes
 * where it is furthest from the trainings and from the organisation's other coaching, so the work
 * is spread over the weeks. */
#include <stdlib.h>
#include <string.h>

#include "planning/scheduler_internal.h"

typedef struct cycles {
    int n;
    plan_day_t *a, *b; /* exclusive bounds */
    int *module;       /* the training that opens the cycle, or -1 */
} cycles_t;

/* Cycles start after the last gap analysis: after each training that follows it, the last one
 * lasting up to the longest gap (never past the end date). */
static int make_cycles(const plan_ctx_t *c, const plan_day_t *starts, const plan_day_t *ends,
                       cycles_t *cy) {
    const plan_input_t *in = c->in;
    int K = c->ntrain, first = 0;
    for (int m = 0; m < in->nmodules; m++)
        if (in->modules[m].kind == PLAN_GAP_ANALYSIS && c->window_of[m] > first)
            first = c->window_of[m];
    if (first > 0 && first >= K)
        first = K - 1;
    cy->a = malloc(((size_t)K + 2) * sizeof(plan_day_t));
    cy->b = malloc(((size_t)K + 2) * sizeof(plan_day_t));
    cy->module = malloc(((size_t)K + 2) * sizeof(int));
    if (cy->a == NULL || cy->b == NULL || cy->module == NULL)
        return PLAN_ENOMEM;
    cy->n = 0;
    if (K == 0) {
        cy->a[0] = in->earliest - 1;
        cy->b[0] = in->end + 1;
        cy->module[0] = -1;
        cy->n = 1;
        return PLAN_OK;
    }
    for (int k = first; k < K; k++) {
        plan_day_t b = k + 1 < K ? starts[k + 1] : ends[k] + in->gap_max_days + 1;
        if (b > in->end + 1)
            b = in->end + 1;
        cy->a[cy->n] = ends[k];
        cy->b[cy->n] = b;
        cy->module[cy->n] = c->train[k];
        cy->n++;
    }
    return PLAN_OK;
}

static int cycle_of(const cycles_t *cy, plan_day_t d) {
    for (int k = 0; k < cy->n; k++)
        if (d > cy->a[k] && d < cy->b[k])
            return k;
    return -1;
}

/* Can org o be coached at (d, s) by its coach? */
static int coaching_fits(const plan_ctx_t *c, int o, int coach, plan_day_t d, int slot,
                         int half_days) {
    if (slot + half_days > 2 || !plan_day_usable(c, d))
        return 0;
    for (int h = 0; h < half_days; h++)
        if (!plan_free(c, c->in->orgs[o].resource, d, slot + h) ||
            !plan_free(c, coach, d, slot + h))
            return 0;
    return 1;
}

/* The free place for `size` half-days (1, or 2: a whole day) of cycle k furthest from its
 * trainings and from `hs` (the organisation's coaching so far); -1 when the cycle has none. */
static int best_slot(const plan_ctx_t *c, int o, int coach, int size, const cycles_t *cy, int k,
                     const int *hs, int nhs) {
    int best = -1, best_score = -1;
    int lo = plan_h(c, cy->a[k], PLAN_AFTERNOON), hi = plan_h(c, cy->b[k], PLAN_MORNING);
    for (int h = lo + 1; h < hi; h++) {
        plan_day_t d = c->base + h / 2;
        if ((size == 2 && h % 2 != 0) || !coaching_fits(c, o, coach, d, h % 2, size))
            continue;
        int score = h - lo < hi - h ? h - lo : hi - h;
        for (int i = 0; i < nhs && score > 0; i++) {
            int dist = abs(h - hs[i]);
            if (hs[i] / 2 == h / 2)
                dist = 0; /* one coaching half-day a day while there is room */
            if (dist < score)
                score = dist;
        }
        if (score > best_score) {
            best_score = score;
            best = h;
        }
    }
    return best;
}

/* The first free place for `size` half-days anywhere in the programme, or -1. */
static int any_slot(const plan_ctx_t *c, int o, int coach, int size) {
    for (plan_day_t d = c->in->earliest; d <= c->in->end; d++)
        for (int slot = 0; slot + size <= 2; slot++)
            if (coaching_fits(c, o, coach, d, slot, size))
                return plan_h(c, d, slot);
    return -1;
}

typedef struct org_state {
    int *hs; /* half-days of the organisation's coaching so far */
    int nhs;
    int *have, *want; /* per cycle */
    uint8_t *full;
} org_state_t;

static int pick_cycle(const cycles_t *cy, const org_state_t *st) {
    int k = -1;
    for (int i = 0; i < cy->n; i++)
        if (!st->full[i] && (k < 0 || st->want[i] - st->have[i] > st->want[k] - st->have[k]))
            k = i;
    return k;
}

/* May booked coaching stay where it is? Only something that collides moves it: the organisation
 * or the coach taken by another session or declared unavailable there. The cluster's weekdays and
 * end date are the scheduler's preferences, not the coach's. */
static int booked_fits(const plan_ctx_t *c, int o, int coach, const plan_session_t *s) {
    for (int h = 0; h < s->half_days; h++) {
        int slot = s->slot + h;
        if (slot > 1 || !plan_in_span(c, s->day) ||
            !plan_free(c, c->in->orgs[o].resource, s->day, slot) ||
            !plan_free(c, coach, s->day, slot))
            return 0;
    }
    return 1;
}

static int session_coach(const plan_input_t *in, const plan_session_t *s) {
    return s->coach >= 0 ? s->coach : in->orgs[s->org].coach;
}

/* Keeps every booked coaching session that nothing collides with, for all organisations before
 * any is moved or added, so that new coaching never pushes booked coaching away. */
static int keep_booked(plan_ctx_t *c, plan_result_t *out, int *cap, uint8_t *used) {
    const plan_input_t *in = c->in;
    for (int i = 0; i < in->ncurrent; i++) {
        const plan_session_t *s = &in->current[i];
        if (s->kind != PLAN_COACHING || plan_session_pinned(in, s))
            continue;
        int coach = session_coach(in, s);
        if (coach < 0 || !booked_fits(c, s->org, coach, s))
            continue;
        plan_session_t k = *s;
        k.origin = i;
        used[i] = 1;
        plan_book(c, &k, 1);
        if (plan_emit(out, cap, &k) != PLAN_OK)
            return PLAN_ENOMEM;
    }
    return PLAN_OK;
}

/* Counts the organisation's kept coaching; collects the sessions that must move in `redo`.
 * Returns the half-days kept. */
static int count_kept(plan_ctx_t *c, int o, const cycles_t *cy, org_state_t *st,
                      const uint8_t *used, int *redo, int *nredo) {
    const plan_input_t *in = c->in;
    int kept = 0;
    for (int i = 0; i < in->ncurrent; i++) {
        const plan_session_t *s = &in->current[i];
        if (s->kind != PLAN_COACHING || s->org != o)
            continue;
        if (!used[i] && !plan_session_pinned(in, s)) {
            redo[(*nredo)++] = i;
            continue;
        }
        int cyc = cycle_of(cy, s->day);
        if (cyc >= 0)
            st->have[cyc] += s->half_days;
        for (int h = 0; h < s->half_days; h++)
            st->hs[st->nhs++] = plan_h(c, s->day, s->slot) + h;
        kept += s->half_days;
    }
    return kept;
}

/* Books `size` half-days of coaching for org o with `coach`, continuing current session `origin`
 * (or new with -1): in the neediest cycle with room or, failing that, anywhere in the programme.
 * Returns the half-days placed (0 when there is no room). */
static int book_one(plan_ctx_t *c, int o, int coach, int size, int origin, const cycles_t *cy,
                    org_state_t *st, plan_result_t *out, int *cap, uint8_t *used, int *rc) {
    const plan_input_t *in = c->in;
    int k, h = -1;
    memset(st->full, 0, (size_t)cy->n);
    while ((k = pick_cycle(cy, st)) >= 0 &&
           (h = best_slot(c, o, coach, size, cy, k, st->hs, st->nhs)) < 0)
        st->full[k] = 1;
    if (k < 0 && origin >= 0)
        h = any_slot(c, o, coach, size);
    if (h < 0)
        return 0;
    plan_session_t s = {origin >= 0 ? in->current[origin].id : NULL,
                        PLAN_COACHING,
                        k >= 0 ? cy->module[k] : (origin >= 0 ? in->current[origin].module : -1),
                        0,
                        o,
                        c->base + h / 2,
                        h % 2,
                        size,
                        -1,
                        coach,
                        PLAN_PLANNED,
                        origin};
    if (origin >= 0)
        used[origin] = 1;
    plan_book(c, &s, 1);
    if ((*rc = plan_emit(out, cap, &s)) != PLAN_OK)
        return 0;
    int cyc = cycle_of(cy, s.day);
    if (cyc >= 0)
        st->have[cyc] += size;
    for (int i = 0; i < size; i++)
        st->hs[st->nhs++] = h + i;
    return size;
}

/* Moves a booked session that collides, with all its half-days: a whole day that finds no whole
 * day free becomes two half-days. Returns the half-days it could not place. */
static int move_booked(plan_ctx_t *c, int o, int i, const cycles_t *cy, org_state_t *st,
                       plan_result_t *out, int *cap, uint8_t *used, int *rc) {
    const plan_input_t *in = c->in;
    const plan_session_t *s = &in->current[i];
    int coach = session_coach(in, s);
    if (coach < 0)
        return s->half_days;
    if (book_one(c, o, coach, s->half_days, i, cy, st, out, cap, used, rc) == s->half_days ||
        *rc != PLAN_OK)
        return 0;
    int placed = 0;
    for (int part = 0; part < s->half_days && *rc == PLAN_OK; part++)
        placed += book_one(c, o, coach, 1, part == 0 ? i : -1, cy, st, out, cap, used, rc);
    return s->half_days - placed;
}

static int coach_org(plan_ctx_t *c, int o, const cycles_t *cy, org_state_t *st, int *redo,
                     plan_result_t *out, int *cap, uint8_t *used) {
    const plan_input_t *in = c->in;
    int target = in->orgs[o].coaching_half_days, nredo = 0, rc = PLAN_OK, unplaced = 0, lost = 0;
    st->nhs = 0;
    memset(st->have, 0, (size_t)cy->n * sizeof(int));
    for (int k = 0; k < cy->n; k++)
        st->want[k] = (int)(((int64_t)target * (k + 1)) / cy->n - ((int64_t)target * k) / cy->n);
    int have = count_kept(c, o, cy, st, used, redo, &nredo);
    for (int i = 0; i < nredo && rc == PLAN_OK; i++) {
        int missing = move_booked(c, o, redo[i], cy, st, out, cap, used, &rc);
        have += in->current[redo[i]].half_days - missing;
        lost += missing;
    }
    for (int coach = in->orgs[o].coach; coach >= 0 && have < target && rc == PLAN_OK; have++)
        if (book_one(c, o, coach, 1, -1, cy, st, out, cap, used, &rc) == 0)
            unplaced++;
    if (rc != PLAN_OK)
        return rc;
    out->coaching_unplaced += unplaced + lost;
    const char *org = in->resources[in->orgs[o].resource].name;
    if (lost > 0 && (rc = plan_warn(out,
                                    "%s: %d booked coaching half-day%s could not be moved off a "
                                    "collision: there is no common free half-day left for the "
                                    "organisation and its coach",
                                    org, lost, lost == 1 ? "" : "s")) != PLAN_OK)
        return rc;
    if (unplaced > 0 && in->orgs[o].coach >= 0)
        return plan_warn(out,
                         "%s: %d of %d coaching half-days could not be placed: the organisation "
                         "and its coach %s have no common free half-day left between trainings",
                         org, unplaced, target, in->resources[in->orgs[o].coach].name);
    return PLAN_OK;
}

int plan_place_coaching(plan_ctx_t *c, const plan_day_t *starts, const plan_day_t *ends,
                        plan_result_t *out, int *cap, uint8_t *used) {
    const plan_input_t *in = c->in;
    cycles_t cy = {0, NULL, NULL, NULL};
    org_state_t st = {NULL, 0, NULL, NULL, NULL};
    int rc = make_cycles(c, starts, ends, &cy);
    int maxh = 2 * in->ncurrent + 1;
    for (int o = 0; o < in->norgs; o++)
        maxh += in->orgs[o].coaching_half_days;
    int *redo = malloc((size_t)maxh * sizeof(int));
    st.hs = malloc((size_t)maxh * sizeof(int));
    st.have = malloc(((size_t)cy.n + 1) * sizeof(int));
    st.want = malloc(((size_t)cy.n + 1) * sizeof(int));
    st.full = malloc((size_t)cy.n + 1);
    if (rc == PLAN_OK && (!redo || !st.hs || !st.have || !st.want || !st.full))
        rc = PLAN_ENOMEM;
    if (rc == PLAN_OK)
        rc = keep_booked(c, out, cap, used);
    for (int o = 0; o < in->norgs && rc == PLAN_OK; o++)
        rc = coach_org(c, o, &cy, &st, redo, out, cap, used);
    free(redo);
    free(st.hs);
    free(st.have);
    free(st.want);
    free(st.full);
    free(cy.a);
    free(cy.b);
    free(cy.module);
    return rc;
}
