/* Explaining an infeasible programme in a coordinator's terms: the training that cannot be
 * placed, the window it had (after the training before it, 3–4 weeks later), and what fills that
 * window: who is unavailable when, who is busy in another cluster, holidays, weekdays, the end
 * date. Then the nearest relaxations that would make a plan exist, each checked by solving again:
 * a longer gap, another weekday, a shorter minimum gap, a later end date, or one declared
 * unavailability reconsidered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planning/scheduler_internal.h"

#define MAX_REASONS 64
#define MAX_SHOWN 6
#define MAX_RELAXATIONS 5
#define ANALYSED_DAYS 120

typedef struct reasons {
    plan_reason_t *items;
    int n;
} reasons_t;

static plan_reason_t *reason(reasons_t *rs, int kind, int resource, int period, plan_day_t day) {
    for (int i = 0; i < rs->n; i++) {
        plan_reason_t *r = &rs->items[i];
        if (r->kind == kind && r->resource == resource && r->period == period) {
            if (period < 0) {
                r->from = day < r->from ? day : r->from;
                r->to = day > r->to ? day : r->to;
            }
            return r;
        }
    }
    if (rs->n == MAX_REASONS)
        return NULL;
    plan_reason_t *r = &rs->items[rs->n++];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->resource = resource;
    r->period = period;
    r->from = r->to = day;
    return r;
}

/* Why resource r is not free at (d, s): its declared period, a booking elsewhere, or a pinned
 * session of this cluster. */
static void resource_reason(const plan_ctx_t *c, reasons_t *rs, int r, plan_day_t d, int s) {
    const plan_input_t *in = c->in;
    uint8_t b = plan_blocked(c, r, d, s);
    if (b & PLAN_B_UNAVAILABLE) {
        int h = plan_h(c, d, s);
        for (int p = 0; p < in->nperiods; p++) {
            const plan_period_t *pr = &in->periods[p];
            if (pr->resource != r || pr->elsewhere)
                continue;
            if (h >= plan_h(c, pr->from, pr->from_slot ? 1 : 0) &&
                h <= plan_h(c, pr->to, pr->to_slot ? 1 : 0)) {
                plan_reason_t *x = reason(rs, PLAN_R_UNAVAILABLE, r, p, d);
                if (x != NULL) {
                    x->from = pr->from;
                    x->to = pr->to;
                }
                return;
            }
        }
    }
    if (b & PLAN_B_ELSEWHERE)
        reason(rs, PLAN_R_ELSEWHERE, r, -1, d);
    else if (plan_booked(c, r, d, s))
        reason(rs, PLAN_R_BOOKED, r, -1, d);
}

/* Reasons why the training cannot start at (d, s). */
static void node_reasons(plan_ctx_t *c, reasons_t *rs, int j, plan_day_t d, int s) {
    const plan_input_t *in = c->in;
    int m = c->train[j], sizes[PLAN_MAX_PARTS];
    plan_part_sizes(&in->modules[m], sizes);
    if (sizes[0] + s > 2)
        return; /* a whole day starts in the morning: nothing to say about afternoons */
    if (!((in->weekdays >> plan_weekday(d)) & 1u)) {
        reason(rs, PLAN_R_WEEKDAY, -1, -1, d);
        return;
    }
    for (int i = 0; i < in->nholidays; i++)
        if (in->holidays[i].day == d) {
            plan_reason_t *x = reason(rs, PLAN_R_HOLIDAY, -1, i, d);
            (void)x;
            return;
        }
    int orgs_ok = 1;
    for (int o = 0; o < in->norgs; o++)
        for (int h = 0; h < sizes[0]; h++)
            if (!plan_free(c, in->orgs[o].resource, d, s + h)) {
                resource_reason(c, rs, in->orgs[o].resource, d, s + h);
                orgs_ok = 0;
            }
    if (!orgs_ok)
        return;
    int trainer_free = 0;
    for (int t = 0; t < in->ntrainers; t++) {
        int ok = 1;
        for (int h = 0; h < sizes[0] && ok; h++)
            ok = plan_free(c, in->trainers[t], d, s + h);
        trainer_free |= ok;
    }
    if (!trainer_free) {
        for (int t = 0; t < in->ntrainers; t++)
            for (int h = 0; h < sizes[0]; h++)
                if (!plan_free(c, in->trainers[t], d, s + h))
                    resource_reason(c, rs, in->trainers[t], d, s + h);
        return;
    }
    int np, moves;
    plan_day_t end;
    if (!plan_place_training(c, m, d, s, NULL, &np, &end, &moves))
        reason(rs, PLAN_R_PARTS, -1, -1, d);
    else
        reason(rs, PLAN_R_GAP_ANALYSIS, -1, -1, d);
}

static int is_trainer(const plan_input_t *in, int r) {
    for (int k = 0; k < in->ntrainers; k++)
        if (in->trainers[k] == r)
            return 1;
    return 0;
}

static void weekday_list(unsigned mask, char *out, size_t len) {
    size_t used = 0;
    int n = 0, total = __builtin_popcount(mask & 0x7f);
    out[0] = '\0';
    for (int w = 0; w < 7; w++) {
        if (!((mask >> w) & 1u))
            continue;
        const char *sep = n == 0 ? "" : (n == total - 1 ? " and " : ", ");
        used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%ss", sep,
                                 plan_weekday_name(w));
        n++;
        if (used >= len)
            break;
    }
}

static void reason_text(const plan_ctx_t *c, plan_reason_t *r, int year) {
    const plan_input_t *in = c->in;
    char range[48], days[48];
    plan_range_text(r->from, r->to, year, range, sizeof(range));
    const char *who = r->resource >= 0 ? in->resources[r->resource].name : "";
    const char *role =
        r->resource >= 0 && is_trainer(in, r->resource) && !in->resources[r->resource].is_org
            ? "trainer "
            : "";
    plan_day_format(r->to, days);
    switch (r->kind) {
    case PLAN_R_UNAVAILABLE:
        snprintf(r->text, sizeof(r->text), "%s%s unavailable %s", role, who, range);
        break;
    case PLAN_R_ELSEWHERE:
        snprintf(r->text, sizeof(r->text), "%s%s busy in another cluster %s", role, who, range);
        break;
    case PLAN_R_BOOKED:
        snprintf(r->text, sizeof(r->text), "%s%s already has a confirmed session %s", role, who,
                 range);
        break;
    case PLAN_R_HOLIDAY:
        snprintf(r->text, sizeof(r->text), "public holiday %s (%s)", range,
                 in->holidays[r->period].name ? in->holidays[r->period].name : "holiday");
        break;
    case PLAN_R_WEEKDAY: {
        char list[120];
        weekday_list(in->weekdays, list, sizeof(list));
        snprintf(r->text, sizeof(r->text), "sessions only on %s", list);
        break;
    }
    case PLAN_R_END_DATE:
        plan_day_format(in->end, days);
        snprintf(r->text, sizeof(r->text), "the target end date is %s", days);
        break;
    case PLAN_R_GAP_ANALYSIS:
        snprintf(r->text, sizeof(r->text),
                 "the gap analyses (on site with each organisation and its coach) do not fit "
                 "before %s",
                 range);
        break;
    case PLAN_R_PARTS:
        snprintf(r->text, sizeof(r->text),
                 "the further sessions of the module do not fit in the same week (%s)", range);
        break;
    case PLAN_R_NO_TRAINER:
        snprintf(r->text, sizeof(r->text), "the cluster has no trainer: add one to its staff");
        break;
    }
}

/* The window of layer j: after the reachable starts of the training before it. */
static void failure_window(const plan_ctx_t *c, int j, plan_day_t *lo, plan_day_t *hi) {
    const plan_input_t *in = c->in;
    *lo = in->earliest;
    *hi = in->end;
    if (j == 0)
        return;
    const plan_node_t *prev = c->layers + (size_t)(j - 1) * (size_t)c->ndays * 2;
    plan_day_t rmin = INT32_MAX, rmax = INT32_MIN;
    for (int h = 0; h < c->ndays * 2; h++)
        if (prev[h].moves != INT32_MAX) {
            plan_day_t d = c->base + h / 2;
            rmin = d < rmin ? d : rmin;
            rmax = d > rmax ? d : rmax;
        }
    int floor = plan_gap_floor(in);
    *lo = rmin + floor > in->earliest ? rmin + floor : in->earliest;
    *hi = rmax + in->gap_max_days + PLAN_GAP_STRETCH_DAYS;
}

static void collect(plan_ctx_t *c, reasons_t *rs, plan_result_t *out) {
    const plan_input_t *in = c->in;
    int j = c->failed_layer, K = c->ntrain;
    if (K > 0 && in->ntrainers == 0) {
        reason(rs, PLAN_R_NO_TRAINER, -1, -1, in->earliest);
        out->failed_module = c->train[0];
        out->window_from = in->earliest;
        out->window_to = in->end;
        return;
    }
    if (j >= K) {
        /* The gap analyses after the last training (or without trainings) do not fit. */
        out->failed_module = K > 0 ? c->train[K - 1] : -1;
        out->window_from = in->earliest;
        out->window_to = in->end;
        reason(rs, PLAN_R_GAP_ANALYSIS, -1, -1, in->end);
        return;
    }
    plan_day_t lo, hi;
    failure_window(c, j, &lo, &hi);
    out->failed_module = c->train[j];
    out->window_from = lo;
    out->window_to = hi;
    if (hi > in->end)
        reason(rs, PLAN_R_END_DATE, -1, -1, in->end);
    if (hi > in->end)
        hi = in->end;
    if (hi > lo + ANALYSED_DAYS)
        hi = lo + ANALYSED_DAYS;
    for (plan_day_t d = lo; d <= hi; d++)
        for (int s = 0; s < 2; s++)
            node_reasons(c, rs, j, d, s);
}

/* People first (what a coordinator can discuss with them), then the calendar's own limits. */
static int reason_rank(int kind) {
    switch (kind) {
    case PLAN_R_UNAVAILABLE:
        return 0;
    case PLAN_R_ELSEWHERE:
    case PLAN_R_BOOKED:
        return 1;
    case PLAN_R_NO_TRAINER:
    case PLAN_R_GAP_ANALYSIS:
    case PLAN_R_PARTS:
        return 2;
    case PLAN_R_HOLIDAY:
        return 3;
    default:
        return 4;
    }
}

static void sort_reasons(reasons_t *rs) {
    for (int i = 1; i < rs->n; i++)
        for (int j = i;
             j > 0 && reason_rank(rs->items[j - 1].kind) > reason_rank(rs->items[j].kind); j--) {
            plan_reason_t t = rs->items[j];
            rs->items[j] = rs->items[j - 1];
            rs->items[j - 1] = t;
        }
}

static int render(plan_ctx_t *c, reasons_t *rs, plan_result_t *out) {
    const plan_input_t *in = c->in;
    int year, month, day;
    plan_day_to_ymd(out->window_from, &year, &month, &day);
    char from[11], to[11];
    plan_day_format(out->window_from, from);
    plan_day_format(out->window_to, to);
    size_t cap = 400 + (size_t)rs->n * 210 + MAX_RELAXATIONS * 250, used = 0;
    char *text = malloc(cap);
    if (text == NULL)
        return PLAN_ENOMEM;
    const char *title =
        out->failed_module >= 0 ? in->modules[out->failed_module].title : "the gap analyses";
    if (out->window_from <= out->window_to)
        used +=
            (size_t)snprintf(text, cap, "%s cannot be placed between %s and %s", title, from, to);
    else
        used += (size_t)snprintf(text, cap, "%s cannot be placed", title);
    for (int i = 0; i < rs->n; i++) {
        reason_text(c, &rs->items[i], year);
        if (i < MAX_SHOWN)
            used += (size_t)snprintf(text + used, cap - used, "%s%s", i == 0 ? ": " : ", ",
                                     rs->items[i].text);
    }
    if (rs->n > MAX_SHOWN)
        used += (size_t)snprintf(text + used, cap - used, " and %d more", rs->n - MAX_SHOWN);
    if (out->nrelaxations > 0)
        snprintf(text + used, cap - used, ". Nearest relaxation: %s", out->relaxations[0].text);
    out->explanation = text;
    out->reasons = rs->items;
    out->nreasons = rs->n;
    rs->items = NULL;
    return PLAN_OK;
}

/* ---- relaxations ----------------------------------------------------------------------------- */

static int add_relaxation(plan_result_t *out, int kind, int value, int distance, const char *text) {
    if (out->nrelaxations == MAX_RELAXATIONS * 4)
        return PLAN_OK;
    plan_relaxation_t *x = &out->relaxations[out->nrelaxations++];
    x->kind = kind;
    x->value = value;
    x->distance = distance;
    snprintf(x->text, sizeof(x->text), "%s", text);
    return PLAN_OK;
}

static void try_settings(const plan_input_t *in, plan_result_t *out) {
    char text[240];
    plan_input_t t = *in;
    t.explain = 0;
    for (int w = 1; w <= 4; w++) {
        t.gap_max_days = in->gap_max_days + 7 * w;
        if (plan_feasible(&t) == 1) {
            int weeks = (t.gap_max_days + 6) / 7;
            snprintf(text, sizeof(text), "allow up to %d weeks between trainings", weeks);
            add_relaxation(out, PLAN_X_GAP_MAX, weeks, w, text);
            break;
        }
    }
    t = *in;
    t.explain = 0;
    for (int wd = 0; wd < 6; wd++) {
        if ((in->weekdays >> wd) & 1u)
            continue;
        t.weekdays = in->weekdays | (1u << wd);
        if (plan_feasible(&t) == 1) {
            snprintf(text, sizeof(text), "also allow sessions on %ss", plan_weekday_name(wd));
            add_relaxation(out, PLAN_X_WEEKDAY, wd, wd < 5 ? 1 : 2, text);
        }
    }
    t = *in;
    t.explain = 0;
    if (in->gap_min_days > 7) {
        t.gap_min_days = in->gap_min_days - 7;
        if (plan_feasible(&t) == 1) {
            int weeks = t.gap_min_days / 7;
            snprintf(text, sizeof(text), "allow trainings as little as %d week%s apart", weeks,
                     weeks == 1 ? "" : "s");
            add_relaxation(out, PLAN_X_GAP_MIN, weeks, 1, text);
        }
    }
    t = *in;
    t.explain = 0;
    for (int w = 1; w <= 26; w++) {
        t.end = in->end + 7 * w;
        if (plan_feasible(&t) == 1) {
            char day[11];
            plan_day_format(t.end, day);
            snprintf(text, sizeof(text), "move the target end date to %s (%d week%s later)", day, w,
                     w == 1 ? "" : "s");
            add_relaxation(out, PLAN_X_END_DATE, t.end, w, text);
            break;
        }
    }
}

/* Would the programme fit if one declared unavailability near the window were reconsidered? */
static int try_periods(const plan_input_t *in, plan_result_t *out) {
    plan_period_t *copy = malloc(((size_t)in->nperiods + 1) * sizeof(plan_period_t));
    if (copy == NULL)
        return PLAN_ENOMEM;
    int tries = 0;
    for (int p = 0; p < in->nperiods && tries < 40; p++) {
        const plan_period_t *pr = &in->periods[p];
        /* An absence before the window can be what pushed the training there. */
        if (pr->elsewhere || pr->to < in->earliest || pr->from > out->window_to + 7)
            continue;
        tries++;
        int n = 0;
        for (int q = 0; q < in->nperiods; q++)
            if (q != p)
                copy[n++] = in->periods[q];
        plan_input_t t = *in;
        t.explain = 0;
        t.periods = copy;
        t.nperiods = n;
        if (plan_feasible(&t) == 1) {
            char text[240], range[48];
            int y, m, d;
            plan_day_to_ymd(pr->from, &y, &m, &d);
            plan_range_text(pr->from, pr->to, y, range, sizeof(range));
            snprintf(text, sizeof(text), "ask %s whether its unavailability %s can be shortened",
                     in->resources[pr->resource].name, range);
            add_relaxation(out, PLAN_X_UNAVAILABILITY, p, 2 + (pr->to - pr->from) / 7, text);
        }
    }
    free(copy);
    return PLAN_OK;
}

/* When reconsidering one organisation's absence would make a plan exist, that absence is the real
 * cause: it is named among the reasons, and the end date (which only looks like the cause) is not.
 */
static void blame_absence(const plan_ctx_t *c, reasons_t *rs, const plan_result_t *out) {
    const plan_input_t *in = c->in;
    int p = -1;
    for (int i = 0; i < out->nrelaxations && p < 0; i++)
        if (out->relaxations[i].kind == PLAN_X_UNAVAILABILITY &&
            in->resources[in->periods[out->relaxations[i].value].resource].is_org)
            p = out->relaxations[i].value;
    if (p < 0)
        return;
    int n = 0;
    for (int i = 0; i < rs->n; i++)
        if (rs->items[i].kind != PLAN_R_END_DATE)
            rs->items[n++] = rs->items[i];
    rs->n = n;
    plan_reason_t *x =
        reason(rs, PLAN_R_UNAVAILABLE, in->periods[p].resource, p, in->periods[p].from);
    if (x != NULL) {
        x->from = in->periods[p].from;
        x->to = in->periods[p].to;
    }
}

static int cmp_relaxation(const void *a, const void *b) {
    const plan_relaxation_t *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance - y->distance;
    return x->kind != y->kind ? x->kind - y->kind : x->value - y->value;
}

int plan_explain(plan_ctx_t *c, plan_result_t *out) {
    reasons_t rs = {calloc(MAX_REASONS, sizeof(plan_reason_t)), 0};
    out->relaxations = calloc(MAX_RELAXATIONS * 4, sizeof(plan_relaxation_t));
    if (rs.items == NULL || out->relaxations == NULL) {
        free(rs.items);
        return PLAN_ENOMEM;
    }
    collect(c, &rs, out);
    if (!(c->ntrain > 0 && c->in->ntrainers == 0)) {
        try_settings(c->in, out);
        if (try_periods(c->in, out) != PLAN_OK) {
            free(rs.items);
            return PLAN_ENOMEM;
        }
    }
    blame_absence(c, &rs, out);
    qsort(out->relaxations, (size_t)out->nrelaxations, sizeof(plan_relaxation_t), cmp_relaxation);
    if (out->nrelaxations > MAX_RELAXATIONS)
        out->nrelaxations = MAX_RELAXATIONS;
    sort_reasons(&rs);
    int rc = render(c, &rs, out);
    free(rs.items);
    return rc;
}
