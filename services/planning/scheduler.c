/* The scheduler's search. Trainings form a chain: each depends only on the one before it (the gap
 * between their starts, the gap analyses that must fit between them), so a dynamic programme over
 * (training, first day, slot) finds the best plan exactly: fewest moved sessions, then earliest
 * completion, then earliest dates. Gap analyses are placed greedily in their window, coaching
 * afterwards (plan_coaching.c). Everything is deterministic: ties go to the earlier day, the
 * morning, the earlier organisation or trainer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planning/scheduler_internal.h"

#define MEMO_UNKNOWN (PLAN_FAIL + 1)

static plan_node_t *layer(const plan_ctx_t *c, int j) {
    return c->layers + (size_t)j * (size_t)c->ndays * 2;
}

static int is_trainer(const plan_input_t *in, int r) {
    for (int k = 0; k < in->ntrainers; k++)
        if (in->trainers[k] == r)
            return 1;
    return 0;
}

/* A trainer free for `size` half-days from (d, s), `preferred` first; -1 when none is. */
static int free_trainer(const plan_ctx_t *c, plan_day_t d, int s, int size, int preferred) {
    const plan_input_t *in = c->in;
    for (int k = -1; k < in->ntrainers; k++) {
        int t = k < 0 ? preferred : in->trainers[k];
        if (t < 0 || (k < 0 && !is_trainer(in, t)))
            continue;
        int ok = 1;
        for (int h = 0; h < size && ok; h++)
            ok = plan_free(c, t, d, s + h);
        if (ok)
            return t;
    }
    return -1;
}

/* The trainer for a training session at (d, s), or -1 when the day or an organisation is not free
 * or no trainer is. */
static int training_fits(const plan_ctx_t *c, plan_day_t d, int s, int size, int preferred) {
    const plan_input_t *in = c->in;
    if (s + size > 2 || !plan_day_usable(c, d))
        return -1;
    for (int o = 0; o < in->norgs; o++)
        for (int h = 0; h < size; h++)
            if (!plan_free(c, in->orgs[o].resource, d, s + h))
                return -1;
    return free_trainer(c, d, s, size, preferred);
}

/* Places a later part of a training within the week of its first session, after `prev_end`. */
static int next_part(const plan_ctx_t *c, plan_day_t first, int prev_end, int size,
                     const plan_session_t *cs, plan_session_t *ps) {
    plan_day_t limit = first + PLAN_PART_SPREAD_DAYS;
    int preferred = cs != NULL ? cs->trainer : -1;
    if (cs != NULL && cs->day <= limit && plan_h(c, cs->day, cs->slot) > prev_end) {
        int t = training_fits(c, cs->day, cs->slot, size, preferred);
        if (t >= 0) {
            ps->day = cs->day;
            ps->slot = cs->slot;
            ps->trainer = t;
            return 1;
        }
    }
    for (int h = prev_end + 1; h <= plan_h(c, limit, PLAN_AFTERNOON); h++) {
        plan_day_t day = c->base + h / 2;
        int t = training_fits(c, day, h % 2, size, preferred);
        if (t >= 0) {
            ps->day = day;
            ps->slot = h % 2;
            ps->trainer = t;
            return 1;
        }
    }
    return 0;
}

/* *moves is the cost of the placement: PLAN_COST_MOVE per moved session and per booked coaching
 * half-day it would displace. */
int plan_place_training(plan_ctx_t *c, int m, plan_day_t d, int s, plan_session_t *parts,
                        int *nparts, plan_day_t *end, int *moves) {
    const plan_input_t *in = c->in;
    int sizes[PLAN_MAX_PARTS];
    int np = plan_part_sizes(&in->modules[m], sizes);
    int prev_end = -1;
    *moves = 0;
    for (int p = 0; p < np; p++) {
        int cur = plan_lookup(c, m, p, -1);
        const plan_session_t *cs = cur >= 0 ? &in->current[cur] : NULL;
        int pinned = cs != NULL && plan_session_pinned(in, cs);
        plan_session_t ps = {cs != NULL ? cs->id : NULL,
                             PLAN_TRAINING,
                             m,
                             p,
                             -1,
                             d,
                             s,
                             sizes[p],
                             -1,
                             -1,
                             PLAN_PLANNED,
                             cur};
        if (pinned) {
            ps = *cs;
            ps.origin = cur;
            if ((p == 0 && (cs->day != d || cs->slot != s)) ||
                (p > 0 && plan_h(c, cs->day, cs->slot) <= prev_end))
                return 0;
        } else if (p == 0) {
            ps.trainer = training_fits(c, d, s, sizes[0], cs != NULL ? cs->trainer : -1);
            if (ps.trainer < 0)
                return 0;
        } else if (!next_part(c, d, prev_end, sizes[p], cs, &ps)) {
            return 0;
        }
        if (cs != NULL && !pinned && (ps.day != cs->day || ps.slot != cs->slot))
            *moves += PLAN_COST_MOVE;
        for (int h = 0; !pinned && h < ps.half_days; h++)
            *moves += PLAN_COST_MOVE * c->coached[plan_h(c, ps.day, ps.slot) + h];
        prev_end = plan_h(c, ps.day, ps.slot) + ps.half_days - 1;
        *end = ps.day;
        if (parts != NULL)
            parts[p] = ps;
    }
    *nparts = np;
    return 1;
}

/* ---- gap analyses ---------------------------------------------------------------------------- */

static int local_taken(const plan_ctx_t *c, int r, int h) {
    int64_t key = (int64_t)r * c->ndays * 2 + h;
    for (int i = 0; i < c->nlocal; i++)
        if (c->local[i] == key)
            return 1;
    return 0;
}

static void local_add(plan_ctx_t *c, int r, int h) {
    if (c->nlocal < c->caplocal)
        c->local[c->nlocal++] = (int64_t)r * c->ndays * 2 + h;
}

/* Can part `part` of organisation o's gap analysis take half-day h? The first part is on site
 * (organisation and coach), the others are the coach's analysis. */
static int ga_fits(const plan_ctx_t *c, int o, int part, int h) {
    const plan_org_t *org = &c->in->orgs[o];
    plan_day_t day = c->base + h / 2;
    int slot = h % 2;
    if (!plan_day_usable(c, day) || !plan_free(c, org->coach, day, slot) ||
        local_taken(c, org->coach, h))
        return 0;
    return part > 0 ||
           (plan_free(c, org->resource, day, slot) && !local_taken(c, org->resource, h));
}

/* Places one part; returns its half-day index or -1. */
static int ga_part(plan_ctx_t *c, int o, int p, const plan_session_t *cs, int prefer, int cursor,
                   plan_day_t b) {
    if (prefer && cs != NULL && cs->half_days == 1 && cs->day < b &&
        plan_h(c, cs->day, cs->slot) >= cursor && ga_fits(c, o, p, plan_h(c, cs->day, cs->slot)))
        return plan_h(c, cs->day, cs->slot);
    for (int h = cursor; c->base + h / 2 < b; h++)
        if (ga_fits(c, o, p, h))
            return h;
    return -1;
}

/* Places organisation o's gap analyses of window w; returns the last day or PLAN_FAIL. */
static int32_t ga_org(plan_ctx_t *c, int o, int w, plan_day_t a, plan_day_t b, int prefer,
                      plan_session_t *out, int *nout) {
    const plan_input_t *in = c->in;
    int cursor = plan_h(c, a + 1, PLAN_MORNING);
    int32_t last = a;
    for (int m = 0; m < in->nmodules; m++) {
        if (in->modules[m].kind != PLAN_GAP_ANALYSIS || c->window_of[m] != w)
            continue;
        for (int p = 0; p < in->modules[m].half_days; p++) {
            int cur = plan_lookup(c, m, p, o);
            const plan_session_t *cs = cur >= 0 ? &in->current[cur] : NULL;
            plan_session_t ps = {
                cs != NULL ? cs->id : NULL, PLAN_GAP_ANALYSIS, m,  p, o, 0, 0, 1, -1,
                in->orgs[o].coach,          PLAN_PLANNED,      cur};
            if (b <= in->earliest && (cs == NULL || !plan_session_pinned(in, cs)))
                continue; /* its window has passed: see closed_window_warnings */
            if (cs != NULL && plan_session_pinned(in, cs)) {
                int h = plan_h(c, cs->day, cs->slot);
                if (h < cursor || cs->day >= b)
                    return PLAN_FAIL;
                ps = *cs;
                ps.origin = cur;
                cursor = h + cs->half_days;
            } else {
                int h = ga_part(c, o, p, cs, prefer, cursor, b);
                if (h < 0)
                    return PLAN_FAIL;
                ps.day = c->base + h / 2;
                ps.slot = h % 2;
                local_add(c, ps.coach, h);
                if (p == 0)
                    local_add(c, in->orgs[o].resource, h);
                cursor = h + 1;
            }
            if (ps.day > last)
                last = ps.day;
            if (out != NULL)
                out[(*nout)++] = ps;
        }
    }
    return last;
}

int32_t plan_place_gap_analyses(plan_ctx_t *c, int w, plan_day_t a, plan_day_t b, int prefer,
                                plan_session_t *out, int *nout) {
    const plan_input_t *in = c->in;
    int32_t last = a;
    if (b > in->end + 1)
        b = in->end + 1;
    c->nlocal = 0;
    if (!plan_in_span(c, a + 1))
        return PLAN_FAIL;
    for (int o = 0; o < in->norgs; o++) {
        if (in->orgs[o].coach < 0)
            continue;
        int32_t r = ga_org(c, o, w, a, b, prefer, out, nout);
        if (r == PLAN_FAIL)
            return PLAN_FAIL;
        if (r > last)
            last = r;
    }
    return last;
}

/* The last day of window w's gap analyses when they start after day a (memoised). */
static int32_t ga_after(plan_ctx_t *c, int w, plan_day_t a) {
    if (c->nga == 0)
        return a;
    if (!plan_in_span(c, a))
        return PLAN_FAIL;
    int32_t *memo = &c->ga_memo[(size_t)w * (size_t)c->ndays + (size_t)(a - c->base)];
    if (*memo == MEMO_UNKNOWN)
        *memo = plan_place_gap_analyses(c, w, a, c->in->end + 1, 0, NULL, NULL);
    return *memo;
}

/* ---- the dynamic programme ------------------------------------------------------------------- */

static int better(int32_t moves, int32_t sum, const plan_node_t *than) {
    return moves < than->moves || (moves == than->moves && sum < than->sum);
}

static const plan_session_t *pinned_first(const plan_ctx_t *c, int j) {
    int cur = plan_lookup(c, c->train[j], 0, -1);
    if (cur >= 0 && plan_session_pinned(c->in, &c->in->current[cur]))
        return &c->in->current[cur];
    return NULL;
}

/* Best way to reach node (d, s) of layer j, whose module costs `moves` there. */
static void relax_node(plan_ctx_t *c, int j, plan_day_t d, plan_node_t *node, int moves) {
    const plan_input_t *in = c->in;
    int32_t sum = d - c->base;
    if (j == 0) {
        int32_t g = d <= in->earliest ? c->base : ga_after(c, 0, c->base);
        if (g != PLAN_FAIL && g < d) {
            node->moves = moves;
            node->sum = sum;
        }
        return;
    }
    const plan_node_t *prev = layer(c, j - 1);
    int fixed = pinned_first(c, j) != NULL && pinned_first(c, j - 1) != NULL;
    plan_day_t lo = fixed ? c->base : d - in->gap_max_days - PLAN_GAP_STRETCH_DAYS;
    plan_day_t hi = fixed ? d - 1 : d - plan_gap_floor(in);
    if (lo < c->base)
        lo = c->base;
    for (int h = plan_h(c, lo, 0); h <= plan_h(c, hi, 1) && h >= 0; h++) {
        const plan_node_t *p = &prev[h];
        if (p->moves == INT32_MAX || (!fixed && p->end >= d))
            continue;
        int gap = fixed ? 0 : plan_gap_cost(in, d - (c->base + h / 2));
        if (gap == PLAN_FAIL)
            continue;
        /* A window that closed before today needs nothing more (closed_window_warnings). */
        int32_t g = d <= in->earliest ? p->end : ga_after(c, j, p->end);
        if (g == PLAN_FAIL || (g >= d && g != p->end))
            continue;
        if (better(p->moves + moves + gap, p->sum + sum, node)) {
            node->moves = p->moves + moves + gap;
            node->sum = p->sum + sum;
            node->pred = h;
        }
    }
}

static void eval_layer(plan_ctx_t *c, int j, plan_day_t lo, plan_day_t hi) {
    plan_node_t *nodes = layer(c, j);
    const plan_session_t *pin = pinned_first(c, j);
    if (pin != NULL)
        lo = hi = pin->day;
    if (lo < c->base)
        lo = c->base;
    if (hi > c->base + c->ndays - 1)
        hi = c->base + c->ndays - 1;
    for (plan_day_t d = lo; d <= hi; d++)
        for (int s = 0; s < 2; s++) {
            plan_node_t *node = &nodes[plan_h(c, d, s)];
            int np, moves;
            plan_day_t end;
            if (!plan_place_training(c, c->train[j], d, s, NULL, &np, &end, &moves))
                continue;
            node->ok = 1;
            node->end = end;
            relax_node(c, j, d, node, moves);
        }
}

static int alloc_layers(plan_ctx_t *c) {
    size_t per = (size_t)c->ndays * 2, n = per * (size_t)(c->ntrain > 0 ? c->ntrain : 1);
    c->layers = malloc(n * sizeof(plan_node_t));
    c->ga_memo = malloc((size_t)(c->ntrain + 1) * (size_t)c->ndays * sizeof(int32_t));
    if (c->layers == NULL || c->ga_memo == NULL)
        return PLAN_ENOMEM;
    for (size_t i = 0; i < n; i++)
        c->layers[i] = (plan_node_t){INT32_MAX, INT32_MAX, -1, 0, 0};
    for (size_t i = 0; i < (size_t)(c->ntrain + 1) * (size_t)c->ndays; i++)
        c->ga_memo[i] = MEMO_UNKNOWN;
    return PLAN_OK;
}

int plan_run(plan_ctx_t *c, int *last) {
    const plan_input_t *in = c->in;
    int K = c->ntrain;
    *last = -1;
    c->failed_layer = -1;
    if (alloc_layers(c) != PLAN_OK)
        return PLAN_ENOMEM;
    if (K == 0) {
        if (ga_after(c, 0, c->base) != PLAN_FAIL)
            return 1;
        c->failed_layer = 0;
        return 0;
    }
    plan_day_t lo = in->earliest, hi = in->end;
    for (int j = 0; j < K; j++) {
        eval_layer(c, j, lo, hi);
        plan_day_t rmin = INT32_MAX, rmax = INT32_MIN;
        const plan_node_t *nodes = layer(c, j);
        for (int h = 0; h < c->ndays * 2; h++)
            if (nodes[h].moves != INT32_MAX) {
                plan_day_t d = c->base + h / 2;
                rmin = d < rmin ? d : rmin;
                rmax = d > rmax ? d : rmax;
            }
        if (rmin == INT32_MAX) {
            c->failed_layer = j;
            return 0;
        }
        lo = rmin + plan_gap_floor(in);
        hi = rmax + in->gap_max_days + PLAN_GAP_STRETCH_DAYS;
    }
    const plan_node_t *nodes = layer(c, K - 1);
    for (int h = 0; h < c->ndays * 2; h++) {
        const plan_node_t *n = &nodes[h];
        if (n->moves == INT32_MAX || ga_after(c, K, n->end) == PLAN_FAIL)
            continue;
        if (*last < 0)
            *last = h;
        const plan_node_t *b = &nodes[*last];
        if (n->moves < b->moves ||
            (n->moves == b->moves && (n->end < b->end || (n->end == b->end && n->sum < b->sum))))
            *last = h;
    }
    if (*last < 0) {
        c->failed_layer = K;
        return 0;
    }
    return 1;
}

int plan_feasible(const plan_input_t *in) {
    plan_ctx_t c;
    int last, rc = plan_ctx_init(&c, in);
    if (rc == PLAN_OK)
        rc = plan_run(&c, &last);
    plan_ctx_free(&c);
    return rc;
}

/* ---- assembling the plan --------------------------------------------------------------------- */

static int cmp_session(const void *a, const void *b) {
    const plan_session_t *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->slot != y->slot)
        return x->slot - y->slot;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    if (x->org != y->org)
        return x->org - y->org;
    if (x->module != y->module)
        return x->module - y->module;
    return x->part - y->part;
}

/* Emits a placed session unless it is a pinned one (emitted already), books it, marks its origin.
 */
static int take(plan_ctx_t *c, plan_result_t *out, int *cap, uint8_t *used,
                const plan_session_t *s) {
    if (s->origin >= 0 && plan_session_pinned(c->in, &c->in->current[s->origin]))
        return PLAN_OK;
    if (plan_emit(out, cap, s) != PLAN_OK)
        return PLAN_ENOMEM;
    plan_book(c, s, 1);
    if (s->origin >= 0)
        used[s->origin] = 1;
    return PLAN_OK;
}

/* Says which preference a plan bends: a gap longer than the cluster prefers, and why. */
static int stretch_warning(plan_ctx_t *c, int j, const plan_day_t *starts, plan_result_t *out) {
    const plan_input_t *in = c->in;
    int gap = starts[j] - starts[j - 1];
    if ((gap <= in->gap_max_days && gap >= in->gap_min_days) ||
        (pinned_first(c, j) != NULL && pinned_first(c, j - 1) != NULL))
        return PLAN_OK;
    char from[11], to[11], weeks[48];
    plan_day_format(starts[j - 1], from);
    plan_day_format(starts[j], to);
    if (gap % 7 == 0)
        snprintf(weeks, sizeof(weeks), "%d weeks", gap / 7);
    else
        snprintf(weeks, sizeof(weeks), "%d weeks %d day%s", gap / 7, gap % 7,
                 gap % 7 == 1 ? "" : "s");
    int longer = gap > in->gap_max_days;
    return plan_warn(out,
                     "%s (%s) comes %s after %s (%s), %s than the %d weeks between trainings the "
                     "cluster prefers: a %s cycle here keeps the other sessions where they are",
                     in->modules[c->train[j]].title, to, weeks, in->modules[c->train[j - 1]].title,
                     from, longer ? "longer" : "shorter",
                     (longer ? in->gap_max_days : in->gap_min_days) / 7,
                     longer ? "longer" : "shorter");
}

static int place_trainings(plan_ctx_t *c, int last, plan_day_t *starts, plan_day_t *ends,
                           plan_result_t *out, int *cap, uint8_t *used) {
    int K = c->ntrain, *nodes = malloc(((size_t)K + 1) * sizeof(int));
    if (nodes == NULL)
        return PLAN_ENOMEM;
    for (int j = K - 1, n = last; j >= 0; j--) {
        nodes[j] = n;
        n = layer(c, j)[n].pred;
    }
    int rc = PLAN_OK;
    for (int j = 0; j < K && rc == PLAN_OK; j++) {
        plan_session_t parts[PLAN_MAX_PARTS];
        int np, moves;
        starts[j] = c->base + nodes[j] / 2;
        plan_place_training(c, c->train[j], starts[j], nodes[j] % 2, parts, &np, &ends[j], &moves);
        for (int p = 0; p < np && rc == PLAN_OK; p++)
            rc = take(c, out, cap, used, &parts[p]);
        if (rc == PLAN_OK && j > 0)
            rc = stretch_warning(c, j, starts, out);
    }
    free(nodes);
    return rc;
}

/* Gap analyses whose window lies in the past (an organisation admitted late) cannot be planned. */
static int closed_window_warnings(plan_ctx_t *c, int w, plan_result_t *out) {
    const plan_input_t *in = c->in;
    for (int o = 0; o < in->norgs; o++)
        for (int m = 0; m < in->nmodules && in->orgs[o].coach >= 0; m++) {
            if (in->modules[m].kind != PLAN_GAP_ANALYSIS || c->window_of[m] != w)
                continue;
            int missing = 0;
            for (int p = 0; p < in->modules[m].half_days; p++)
                missing |= plan_lookup(c, m, p, o) < 0;
            if (missing && plan_warn(out,
                                     "the %s of %s was due before today and is not in the plan: "
                                     "schedule it by hand or record it",
                                     in->modules[m].title,
                                     in->resources[in->orgs[o].resource].name) != PLAN_OK)
                return PLAN_ENOMEM;
        }
    return PLAN_OK;
}

static int place_all_gap_analyses(plan_ctx_t *c, const plan_day_t *starts, const plan_day_t *ends,
                                  plan_result_t *out, int *cap, uint8_t *used) {
    const plan_input_t *in = c->in;
    int K = c->ntrain, rc = PLAN_OK;
    plan_session_t *ga = malloc(((size_t)in->norgs * (size_t)(c->nga + 1) * PLAN_MAX_PARTS + 1) *
                                sizeof(plan_session_t));
    if (ga == NULL)
        return PLAN_ENOMEM;
    for (int w = 0; w <= K && rc == PLAN_OK; w++) {
        plan_day_t a = w == 0 ? c->base : ends[w - 1];
        plan_day_t b = w == K ? in->end + 1 : starts[w];
        int n = 0;
        if (plan_place_gap_analyses(c, w, a, b, 1, ga, &n) == PLAN_FAIL) {
            n = 0;
            plan_place_gap_analyses(c, w, a, b, 0, ga, &n);
        }
        for (int i = 0; i < n && rc == PLAN_OK; i++)
            rc = take(c, out, cap, used, &ga[i]);
        if (rc == PLAN_OK && b <= in->earliest)
            rc = closed_window_warnings(c, w, out);
    }
    free(ga);
    return rc;
}

static int finish(plan_ctx_t *c, plan_result_t *out, const uint8_t *used) {
    const plan_input_t *in = c->in;
    out->dropped = malloc(((size_t)in->ncurrent + 1) * sizeof(int));
    if (out->dropped == NULL)
        return PLAN_ENOMEM;
    for (int i = 0; i < in->ncurrent; i++)
        if (!used[i])
            out->dropped[out->ndropped++] = i;
    for (int i = 0; i < out->nsessions; i++) {
        const plan_session_t *s = &out->sessions[i];
        if (s->origin < 0)
            out->created++;
        else if (s->day != in->current[s->origin].day || s->slot != in->current[s->origin].slot)
            out->moved++;
        else
            out->kept++;
        if (s->kind == PLAN_COACHING && s->status == PLAN_PLANNED && s->day >= in->earliest)
            out->coaching_planned++;
    }
    qsort(out->sessions, (size_t)out->nsessions, sizeof(plan_session_t), cmp_session);
    for (int o = 0; o < in->norgs; o++)
        if (in->orgs[o].coach < 0 &&
            plan_warn(out, "%s has no coach: assign one to plan its gap analysis and coaching",
                      in->resources[in->orgs[o].resource].name) != PLAN_OK)
            return PLAN_ENOMEM;
    return PLAN_OK;
}

static int build_plan(plan_ctx_t *c, int last, plan_result_t *out) {
    const plan_input_t *in = c->in;
    int cap = 0, rc = PLAN_ENOMEM, K = c->ntrain;
    uint8_t *used = calloc((size_t)in->ncurrent + 1, 1);
    plan_day_t *starts = malloc(((size_t)K + 1) * sizeof(plan_day_t));
    plan_day_t *ends = malloc(((size_t)K + 1) * sizeof(plan_day_t));
    if (used == NULL || starts == NULL || ends == NULL)
        goto done;
    for (int i = 0; i < in->ncurrent; i++)
        if (plan_session_pinned(in, &in->current[i])) {
            plan_session_t s = in->current[i];
            s.origin = i;
            used[i] = 1;
            if (plan_emit(out, &cap, &s) != PLAN_OK)
                goto done;
        }
    if ((rc = place_trainings(c, last, starts, ends, out, &cap, used)) != PLAN_OK ||
        (rc = place_all_gap_analyses(c, starts, ends, out, &cap, used)) != PLAN_OK ||
        (rc = plan_place_coaching(c, starts, ends, out, &cap, used)) != PLAN_OK)
        goto done;
    out->completion = K > 0 ? ends[K - 1] : in->earliest;
    rc = finish(c, out, used);
done:
    free(used);
    free(starts);
    free(ends);
    return rc;
}

int plan_solve(const plan_input_t *in, plan_result_t *out) {
    plan_ctx_t c;
    int last;
    memset(out, 0, sizeof(*out));
    out->failed_module = -1;
    int rc = plan_ctx_init(&c, in);
    if (rc == PLAN_OK)
        rc = plan_run(&c, &last);
    if (rc == 1) {
        out->feasible = 1;
        rc = build_plan(&c, last, out);
    } else if (rc == 0) {
        rc = in->explain ? plan_explain(&c, out) : PLAN_OK;
    }
    plan_ctx_free(&c);
    return rc;
}
