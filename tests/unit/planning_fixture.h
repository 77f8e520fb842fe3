/* Builders for scheduler inputs in the planning unit tests: the method's default curriculum,
 * people, organisations, unavailability and current sessions, by name and YYYY-MM-DD dates. */
#pragma once
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "planning/scheduler.h"

typedef struct fx {
    plan_module_t modules[24];
    int nmodules;
    plan_resource_t resources[96];
    int nresources;
    plan_org_t orgs[16];
    int norgs;
    int trainers[8];
    int ntrainers;
    plan_holiday_t holidays[64];
    int nholidays;
    plan_period_t periods[512];
    int nperiods;
    plan_session_t current[1024];
    int ncurrent;
    plan_input_t in;
} fx_t;

static inline plan_day_t D(const char *s) {
    plan_day_t d = 0;
    cr_assert_eq(plan_day_parse(s, &d), 0, "bad date %s", s);
    return d;
}

static inline void fx_module(fx_t *f, const char *key, const char *title, int kind, int half_days) {
    f->modules[f->nmodules++] = (plan_module_t){key, title, kind, half_days};
}

/* initial training 3, gap analysis 2, then the 10 thematic half-days in 9 modules. */
static inline void fx_default_curriculum(fx_t *f) {
    fx_module(f, "initial_training", "Initial training", PLAN_TRAINING, 3);
    fx_module(f, "gap_analysis", "Gap analysis", PLAN_GAP_ANALYSIS, 2);
    fx_module(f, "scope_policy_assets", "Scope, ISMS policy and assets", PLAN_TRAINING, 1);
    fx_module(f, "risk_assessment", "Risk assessment", PLAN_TRAINING, 1);
    fx_module(f, "risk_treatment", "Risk treatment and treatment plan", PLAN_TRAINING, 1);
    fx_module(f, "document_management", "Document management", PLAN_TRAINING, 1);
    fx_module(f, "security_measures", "Security policy, measures and effectiveness", PLAN_TRAINING,
              2);
    fx_module(f, "human_resources", "Human resources management", PLAN_TRAINING, 1);
    fx_module(f, "incident_management", "Incident management and continual improvement",
              PLAN_TRAINING, 1);
    fx_module(f, "management_review", "Management review", PLAN_TRAINING, 1);
    fx_module(f, "audit", "Audit", PLAN_TRAINING, 1);
}

static inline int fx_person(fx_t *f, const char *name) {
    f->resources[f->nresources] = (plan_resource_t){name, name, 0};
    return f->nresources++;
}

static inline int fx_trainer(fx_t *f, const char *name) {
    int r = fx_person(f, name);
    f->trainers[f->ntrainers++] = r;
    return r;
}

/* Returns the organisation's index in orgs (its resource is orgs[i].resource). */
static inline int fx_org(fx_t *f, const char *name, int coach, int coaching) {
    f->resources[f->nresources] = (plan_resource_t){name, name, 1};
    f->orgs[f->norgs] = (plan_org_t){f->nresources++, coach, coaching};
    return f->norgs++;
}

static inline void fx_away(fx_t *f, int resource, const char *from, const char *to,
                           const char *label) {
    f->periods[f->nperiods++] =
        (plan_period_t){resource, D(from), D(to), PLAN_MORNING, PLAN_AFTERNOON, 0, label};
}

static inline void fx_elsewhere(fx_t *f, int resource, plan_day_t day, int slot) {
    f->periods[f->nperiods++] = (plan_period_t){resource, day, day, slot, slot, 1, NULL};
}

static inline void fx_holiday(fx_t *f, const char *day, const char *name) {
    f->holidays[f->nholidays++] = (plan_holiday_t){D(day), name};
}

/* Wires the arrays into f->in: weekdays Monday to Friday, 3 to 4 weeks between trainings. */
static inline plan_input_t *fx_input(fx_t *f, const char *earliest, const char *end) {
    f->in = (plan_input_t){.earliest = D(earliest),
                           .end = D(end),
                           .gap_min_days = 21,
                           .gap_max_days = 28,
                           .weekdays = 0x1f,
                           .modules = f->modules,
                           .nmodules = f->nmodules,
                           .resources = f->resources,
                           .nresources = f->nresources,
                           .orgs = f->orgs,
                           .norgs = f->norgs,
                           .trainers = f->trainers,
                           .ntrainers = f->ntrainers,
                           .holidays = f->holidays,
                           .nholidays = f->nholidays,
                           .periods = f->periods,
                           .nperiods = f->nperiods,
                           .current = f->current,
                           .ncurrent = f->ncurrent,
                           .explain = 1};
    return &f->in;
}

/* Makes a result's sessions the current plan (all planned), as after applying it. */
static inline void fx_adopt(fx_t *f, const plan_result_t *r) {
    f->ncurrent = 0;
    for (int i = 0; i < r->nsessions; i++) {
        f->current[f->ncurrent] = r->sessions[i];
        f->current[f->ncurrent].origin = -1;
        f->ncurrent++;
    }
    f->in.current = f->current;
    f->in.ncurrent = f->ncurrent;
}

/* Asserts that the plan breaks no hard constraint, printing what it breaks. */
static inline void fx_assert_valid(const plan_input_t *in, const plan_result_t *r) {
    plan_violation_t *v = NULL;
    int n = plan_validate(in, r->sessions, r->nsessions, &v);
    cr_assert_geq(n, 0, "validation failed to run");
    for (int i = 0; i < n; i++)
        fprintf(stderr, "violation: %s\n", v[i].text);
    int count = n;
    free(v);
    cr_assert_eq(count, 0, "the plan breaks %d hard constraint(s)", count);
}

/* The first session of module m (kind training), or NULL. */
static inline const plan_session_t *fx_first(const plan_result_t *r, int m) {
    for (int i = 0; i < r->nsessions; i++)
        if (r->sessions[i].kind == PLAN_TRAINING && r->sessions[i].module == m &&
            r->sessions[i].part == 0)
            return &r->sessions[i];
    return NULL;
}
