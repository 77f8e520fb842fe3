/* Coaching placement: each organisation's coaching half-days (its target, existing sessions
 * included) are spread evenly over the cycles between trainings, on half-days when both the
 * organisation and its coach are free. Existing planned sessions stay where they are while they
 * remain valid; the others move. Inside a cycle a new session goes where it is furthest from the
 * trainings and from the organisation's other coaching, so the work is spread over the weeks. */
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

/* The free half-day of cycle k furthest from its trainings and from `days` (the organisation's
 * coaching so far); -1 when the cycle has no free half-day left. */
static int best_slot(const plan_ctx_t *c, int o, const cycles_t *cy, int k, const int *hs,
                     int nhs) {
    int best = -1, best_score = -1, coach = c->in->orgs[o].coach;
    int lo = plan_h(c, cy->a[k], PLAN_AFTERNOON), hi = plan_h(c, cy->b[k], PLAN_MORNING);
    for (int h = lo + 1; h < hi; h++) {
        plan_day_t d = c->base + h / 2;
        if (!coaching_fits(c, o, coach, d, h % 2, 1))
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

/* Keeps the organisation's existing coaching where still valid; collects the others in `redo`. */
static void keep_existing(plan_ctx_t *c, int o, const cycles_t *cy, org_state_t *st,
                          plan_result_t *out, int *cap, uint8_t *used, int *redo, int *nredo,
                          int *rc) {
    const plan_input_t *in = c->in;
    for (int i = 0; i < in->ncurrent && *rc == PLAN_OK; i++) {
        const plan_session_t *s = &in->current[i];
        if (s->kind != PLAN_COACHING || s->org != o)
            continue;
        int pinned = plan_session_pinned(in, s);
        int coach = s->coach >= 0 ? s->coach : in->orgs[o].coach;
        if (!pinned && (coach < 0 || !coaching_fits(c, o, coach, s->day, s->slot, s->half_days))) {
            redo[(*nredo)++] = i;
            continue;
        }
        if (!pinned) {
            plan_session_t k = *s;
            k.origin = i;
            used[i] = 1;
            plan_book(c, &k, 1);
            *rc = plan_emit(out, cap, &k);
        }
        int cyc = cycle_of(cy, s->day);
        if (cyc >= 0)
            st->have[cyc] += s->half_days;
        st->hs[st->nhs++] = plan_h(c, s->day, s->slot);
    }
}

/* Places `n` coaching half-days for org o (the first `nredo` continue existing sessions). */
static int place_new(plan_ctx_t *c, int o, const cycles_t *cy, org_state_t *st, const int *redo,
                     int nredo, int n, plan_result_t *out, int *cap, uint8_t *used, int *unplaced) {
    const plan_input_t *in = c->in;
    for (int i = 0; i < n; i++) {
        int k, h = -1;
        while ((k = pick_cycle(cy, st)) >= 0 && (h = best_slot(c, o, cy, k, st->hs, st->nhs)) < 0)
            st->full[k] = 1;
        if (k < 0) {
            (*unplaced)++;
            continue;
        }
        int origin = i < nredo ? redo[i] : -1;
        plan_session_t s = {origin >= 0 ? in->current[origin].id : NULL,
                            PLAN_COACHING,
                            cy->module[k],
                            0,
                            o,
                            c->base + h / 2,
                            h % 2,
                            1,
                            -1,
                            in->orgs[o].coach,
                            PLAN_PLANNED,
                            origin};
        if (origin >= 0)
            used[origin] = 1;
        plan_book(c, &s, 1);
        if (plan_emit(out, cap, &s) != PLAN_OK)
            return PLAN_ENOMEM;
        st->have[k]++;
        st->hs[st->nhs++] = h;
    }
    return PLAN_OK;
}

static int coach_org(plan_ctx_t *c, int o, const cycles_t *cy, org_state_t *st, int *redo,
                     plan_result_t *out, int *cap, uint8_t *used) {
    const plan_input_t *in = c->in;
    int target = in->orgs[o].coaching_half_days, nredo = 0, rc = PLAN_OK, unplaced = 0;
    st->nhs = 0;
    memset(st->have, 0, (size_t)cy->n * sizeof(int));
    memset(st->full, 0, (size_t)cy->n);
    for (int k = 0; k < cy->n; k++)
        st->want[k] = (int)(((int64_t)target * (k + 1)) / cy->n - ((int64_t)target * k) / cy->n);
    keep_existing(c, o, cy, st, out, cap, used, redo, &nredo, &rc);
    if (rc != PLAN_OK)
        return rc;
    int placed = st->nhs, n = target - placed;
    if (n < 0)
        n = 0;
    if (nredo > n)
        nredo = n; /* invalid sessions beyond the target are dropped */
    if ((rc = place_new(c, o, cy, st, redo, nredo, n, out, cap, used, &unplaced)) != PLAN_OK)
        return rc;
    out->coaching_unplaced += unplaced;
    if (unplaced > 0)
        return plan_warn(out,
                         "%s: %d of %d coaching half-days could not be placed: the organisation "
                         "and its coach %s have no common free half-day left between trainings",
                         in->resources[in->orgs[o].resource].name, unplaced, target,
                         in->resources[in->orgs[o].coach].name);
    return PLAN_OK;
}

int plan_place_coaching(plan_ctx_t *c, const plan_day_t *starts, const plan_day_t *ends,
                        plan_result_t *out, int *cap, uint8_t *used) {
    const plan_input_t *in = c->in;
    cycles_t cy = {0, NULL, NULL, NULL};
    org_state_t st = {NULL, 0, NULL, NULL, NULL};
    int rc = make_cycles(c, starts, ends, &cy);
    int maxh = in->ncurrent + 1;
    for (int o = 0; o < in->norgs; o++)
        maxh += in->orgs[o].coaching_half_days;
    int *redo = malloc((size_t)maxh * sizeof(int));
    st.hs = malloc((size_t)maxh * sizeof(int));
    st.have = malloc(((size_t)cy.n + 1) * sizeof(int));
    st.want = malloc(((size_t)cy.n + 1) * sizeof(int));
    st.full = malloc((size_t)cy.n + 1);
    if (rc == PLAN_OK && (!redo || !st.hs || !st.have || !st.want || !st.full))
        rc = PLAN_ENOMEM;
    for (int o = 0; o < in->norgs && rc == PLAN_OK; o++)
        if (in->orgs[o].coach >= 0)
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
