/* The calendars of one solve: which half-days every resource is blocked (declared unavailability,
 * bookings in other clusters) or booked (this plan, pinned sessions first), which days may hold a
 * session at all, and the index of the current plan by module part. Also the small helpers that
 * placement, explanation and validation share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planning/scheduler_internal.h"

int plan_session_pinned(const plan_input_t *in, const plan_session_t *s) {
    return s->status != PLAN_PLANNED || s->day < in->earliest;
}

int plan_gap_floor(const plan_input_t *in) {
    int floor = in->gap_min_days - PLAN_GAP_SHRINK_DAYS;
    if (floor >= 7)
        return floor;
    return in->gap_min_days < 7 ? in->gap_min_days : 7;
}

int plan_gap_cost(const plan_input_t *in, int days) {
    if (days < plan_gap_floor(in) || days > in->gap_max_days + PLAN_GAP_STRETCH_DAYS)
        return PLAN_FAIL;
    if (days > in->gap_max_days)
        return PLAN_COST_STRETCH_BASE +
               PLAN_COST_STRETCH_WEEK * ((days - in->gap_max_days + 6) / 7);
    if (days < in->gap_min_days)
        return PLAN_COST_STRETCH_BASE +
               PLAN_COST_STRETCH_WEEK * ((in->gap_min_days - days + 6) / 7);
    return 0;
}

int plan_part_sizes(const plan_module_t *m, int sizes[PLAN_MAX_PARTS]) {
    int n = 0, left = m->half_days;
    while (left > 0 && n < PLAN_MAX_PARTS) {
        int size = m->kind == PLAN_TRAINING && left >= 2 ? 2 : 1;
        sizes[n++] = size;
        left -= size;
    }
    return n;
}

int plan_session_resources(const plan_input_t *in, const plan_session_t *s, int *out, int max) {
    int n = 0;
    if (s->kind == PLAN_TRAINING) {
        for (int o = 0; o < in->norgs && n < max; o++)
            out[n++] = in->orgs[o].resource;
        if (s->trainer >= 0 && n < max)
            out[n++] = s->trainer;
        return n;
    }
    if (s->org >= 0 && (s->kind == PLAN_COACHING || s->part == 0) && n < max)
        out[n++] = in->orgs[s->org].resource;
    if (s->coach >= 0 && n < max)
        out[n++] = s->coach;
    return n;
}

void plan_book(plan_ctx_t *c, const plan_session_t *s, uint8_t value) {
    int res[1024];
    int n = plan_session_resources(c->in, s, res, 1024);
    for (int k = 0; k < s->half_days; k++) {
        int h = plan_h(c, s->day, s->slot) + k;
        if (h < 0 || h >= c->ndays * 2)
            continue;
        for (int i = 0; i < n; i++)
            c->booked[(size_t)res[i] * (size_t)c->ndays * 2 + (size_t)h] = value;
    }
}

int plan_lookup(const plan_ctx_t *c, int module, int part, int org) {
    if (module < 0 || part < 0 || part >= PLAN_MAX_PARTS)
        return -1;
    return c->lookup[((size_t)module * PLAN_MAX_PARTS + (size_t)part) * (size_t)(c->in->norgs + 1) +
                     (size_t)(org + 1)];
}

static int valid_resource(const plan_input_t *in, int r) {
    return r >= 0 && r < in->nresources;
}

/* Refuses input whose indices point nowhere, so that nothing below reads out of bounds. */
static int check_input(const plan_input_t *in) {
    if (in->nmodules < 0 || in->norgs < 0 || in->nresources < 0 || in->ntrainers < 0 ||
        in->nperiods < 0 || in->ncurrent < 0 || in->nholidays < 0 || in->end < in->earliest ||
        in->norgs > 512 || in->gap_min_days < 1 || in->gap_max_days < in->gap_min_days ||
        (in->weekdays & 0x7f) == 0)
        return -1;
    for (int m = 0; m < in->nmodules; m++)
        if ((in->modules[m].kind != PLAN_TRAINING && in->modules[m].kind != PLAN_GAP_ANALYSIS) ||
            in->modules[m].half_days < 1 || in->modules[m].half_days > PLAN_MAX_HALF_DAYS)
            return -1;
    for (int o = 0; o < in->norgs; o++)
        if (!valid_resource(in, in->orgs[o].resource) ||
            (in->orgs[o].coach != -1 && !valid_resource(in, in->orgs[o].coach)) ||
            in->orgs[o].coaching_half_days < 0)
            return -1;
    for (int t = 0; t < in->ntrainers; t++)
        if (!valid_resource(in, in->trainers[t]))
            return -1;
    for (int p = 0; p < in->nperiods; p++)
        if (!valid_resource(in, in->periods[p].resource) || in->periods[p].to < in->periods[p].from)
            return -1;
    for (int i = 0; i < in->ncurrent; i++) {
        const plan_session_t *s = &in->current[i];
        if (s->kind < PLAN_TRAINING || s->kind > PLAN_COACHING || s->module < -1 ||
            s->module >= in->nmodules || s->org < -1 || s->org >= in->norgs || s->slot < 0 ||
            s->slot > 1 || s->half_days < 1 || s->half_days > 2 || s->part < 0 ||
            (s->half_days == 2 && s->slot != PLAN_MORNING) ||
            (s->trainer != -1 && !valid_resource(in, s->trainer)) ||
            (s->coach != -1 && !valid_resource(in, s->coach)) ||
            (s->kind != PLAN_TRAINING && s->org < 0) ||
            (s->kind != PLAN_COACHING && s->module >= 0 && in->modules[s->module].kind != s->kind))
            return -1;
    }
    return 0;
}

static void mark_periods(plan_ctx_t *c) {
    const plan_input_t *in = c->in;
    for (int p = 0; p < in->nperiods; p++) {
        const plan_period_t *pr = &in->periods[p];
        int from = (pr->from - c->base) * 2 + (pr->from_slot ? 1 : 0);
        int to = (pr->to - c->base) * 2 + (pr->to_slot ? 1 : 0);
        if (from < 0)
            from = 0;
        if (to > c->ndays * 2 - 1)
            to = c->ndays * 2 - 1;
        uint8_t flag = pr->elsewhere ? PLAN_B_ELSEWHERE : PLAN_B_UNAVAILABLE;
        uint8_t *row = c->blocked + (size_t)pr->resource * (size_t)c->ndays * 2;
        for (int h = from; h <= to; h++)
            row[h] |= flag;
    }
}

static void mark_days(plan_ctx_t *c) {
    const plan_input_t *in = c->in;
    for (int i = 0; i < c->ndays; i++)
        c->day_ok[i] = (in->weekdays >> plan_weekday(c->base + i)) & 1u;
    for (int i = 0; i < in->nholidays; i++)
        if (plan_in_span(c, in->holidays[i].day))
            c->day_ok[in->holidays[i].day - c->base] = 0;
}

/* Indexes the current plan by module part; a second session for the same part is a duplicate. */
static void index_current(plan_ctx_t *c) {
    const plan_input_t *in = c->in;
    size_t n = (size_t)in->nmodules * PLAN_MAX_PARTS * (size_t)(in->norgs + 1);
    for (size_t i = 0; i < n; i++)
        c->lookup[i] = -1;
    for (int i = 0; i < in->ncurrent; i++) {
        const plan_session_t *s = &in->current[i];
        if (s->kind == PLAN_COACHING || s->module < 0 || s->part >= PLAN_MAX_PARTS)
            continue;
        int org = s->kind == PLAN_TRAINING ? -1 : s->org;
        int *slot = &c->lookup[((size_t)s->module * PLAN_MAX_PARTS + (size_t)s->part) *
                                   (size_t)(in->norgs + 1) +
                               (size_t)(org + 1)];
        if (*slot < 0) {
            *slot = i;
        } else if (plan_session_pinned(in, s) && !plan_session_pinned(in, &in->current[*slot])) {
            c->duplicate[*slot] = 1;
            *slot = i;
        } else {
            c->duplicate[i] = 1;
        }
    }
}

static void index_modules(plan_ctx_t *c) {
    const plan_input_t *in = c->in;
    c->ntrain = 0;
    c->nga = 0;
    for (int m = 0; m < in->nmodules; m++) {
        c->window_of[m] = c->ntrain;
        if (in->modules[m].kind == PLAN_TRAINING)
            c->train[c->ntrain++] = m;
        else
            c->nga++;
    }
}

int plan_ctx_init(plan_ctx_t *c, const plan_input_t *in) {
    memset(c, 0, sizeof(*c));
    c->in = in;
    if (check_input(in) != 0)
        return PLAN_EINVAL;
    plan_day_t lo = in->earliest, hi = in->end;
    for (int i = 0; i < in->ncurrent; i++) {
        if (in->current[i].day < lo)
            lo = in->current[i].day;
        if (in->current[i].day > hi)
            hi = in->current[i].day;
    }
    c->base = lo - 8;
    c->ndays = (int)((int64_t)hi - lo + 8 + 8 + PLAN_PART_SPREAD_DAYS + 1);
    if ((int64_t)hi - lo > PLAN_MAX_SPAN_DAYS)
        return PLAN_ESPAN;
    size_t cells = (size_t)in->nresources * (size_t)c->ndays * 2;
    size_t keys = (size_t)in->nmodules * PLAN_MAX_PARTS * (size_t)(in->norgs + 1);
    c->blocked = calloc(cells + 1, 1);
    c->booked = calloc(cells + 1, 1);
    c->coached = calloc((size_t)c->ndays * 2 + 1, 1);
    c->day_ok = calloc((size_t)c->ndays, 1);
    c->lookup = malloc((keys + 1) * sizeof(int));
    c->duplicate = calloc((size_t)in->ncurrent + 1, 1);
    c->train = malloc(((size_t)in->nmodules + 1) * sizeof(int));
    c->window_of = malloc(((size_t)in->nmodules + 1) * sizeof(int));
    if (!c->blocked || !c->booked || !c->coached || !c->day_ok || !c->lookup || !c->duplicate ||
        !c->train || !c->window_of)
        return PLAN_ENOMEM;
    mark_periods(c);
    mark_days(c);
    index_current(c);
    index_modules(c);
    /* Every gap-analysis half-day of one window books its coach and, once, its organisation. */
    c->caplocal = (in->norgs + 1) * (c->nga + 1) * PLAN_MAX_PARTS * 2 + 8;
    c->local = malloc((size_t)c->caplocal * sizeof(int64_t));
    if (c->local == NULL)
        return PLAN_ENOMEM;
    for (int i = 0; i < in->ncurrent; i++) {
        const plan_session_t *s = &in->current[i];
        if (plan_session_pinned(in, s)) {
            plan_book(c, s, 1);
        } else if (s->kind == PLAN_COACHING) {
            for (int k = 0; k < s->half_days; k++) {
                int h = plan_h(c, s->day, s->slot) + k;
                if (h >= 0 && h < c->ndays * 2 && c->coached[h] < UINT8_MAX)
                    c->coached[h]++;
            }
        }
    }
    return PLAN_OK;
}

void plan_ctx_free(plan_ctx_t *c) {
    free(c->blocked);
    free(c->booked);
    free(c->coached);
    free(c->day_ok);
    free(c->lookup);
    free(c->duplicate);
    free(c->train);
    free(c->window_of);
    free(c->layers);
    free(c->ga_memo);
    free(c->local);
    memset(c, 0, sizeof(*c));
}

/* ---- result helpers -------------------------------------------------------------------------- */

int plan_warn(plan_result_t *out, const char *fmt, ...) {
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **grown = realloc(out->warnings, ((size_t)out->nwarnings + 1) * sizeof(char *));
    if (grown == NULL)
        return PLAN_ENOMEM;
    out->warnings = grown;
    if ((out->warnings[out->nwarnings] = strdup(buf)) == NULL)
        return PLAN_ENOMEM;
    out->nwarnings++;
    return PLAN_OK;
}

int plan_emit(plan_result_t *out, int *cap, const plan_session_t *s) {
    if (out->nsessions == *cap) {
        int grown_cap = *cap ? *cap * 2 : 64;
        plan_session_t *grown = realloc(out->sessions, (size_t)grown_cap * sizeof(*grown));
        if (grown == NULL)
            return PLAN_ENOMEM;
        out->sessions = grown;
        *cap = grown_cap;
    }
    out->sessions[out->nsessions++] = *s;
    return PLAN_OK;
}

void plan_short_day(plan_day_t d, int year, char out[11]) {
    int y, m, dd;
    plan_day_to_ymd(d, &y, &m, &dd);
    if (y == year)
        snprintf(out, 11, "%02d-%02d", m % 100, dd % 100);
    else
        plan_day_format(d, out);
}

void plan_range_text(plan_day_t from, plan_day_t to, int year, char *out, size_t len) {
    char a[11], b[11];
    plan_short_day(from, year, a);
    plan_short_day(to, year, b);
    if (from == to)
        snprintf(out, len, "%s", a);
    else
        snprintf(out, len, "%s\u2026%s", a, b);
}

void plan_result_free(plan_result_t *out) {
    if (out == NULL)
        return;
    free(out->sessions);
    free(out->dropped);
    free(out->reasons);
    free(out->explanation);
    free(out->relaxations);
    for (int i = 0; i < out->nwarnings; i++)
        free(out->warnings[i]);
    free(out->warnings);
    memset(out, 0, sizeof(*out));
}
