/* Benchmark of the programme scheduler (pure C, no database): one paper-sized cluster (5
 * organisations, 28 coaching half-days each, 30 unavailability periods), then 100, 300 and 1,000
 * clusters planned one after the other while sharing 50 coaches and 20 trainers, every cluster
 * seeing the bookings of those planned before it as "busy elsewhere" (as planning_input() gives
 * them). Build and run with tests/bench/planning.sh. Prints times; exits 1 when a target is
 * missed (paper cluster >= 50 ms, 1,000 clusters >= 10 s) or a plan breaks a hard constraint. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planning/scheduler.h"

#define NCOACHES 50
#define NTRAINERS 20
#define NORGS 5
#define COACHING 28
#define PERIODS 30
#define MAX_BOOKINGS 20000

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Every booking of a shared person so far (their calendar across clusters). */
typedef struct person {
    plan_day_t day[MAX_BOOKINGS];
    uint8_t slot[MAX_BOOKINGS], half_days[MAX_BOOKINGS];
    int n;
} person_t;
static person_t people[NCOACHES + NTRAINERS];

static const plan_module_t curriculum[] = {
    {"initial_training", "Initial training", PLAN_TRAINING, 3},
    {"gap_analysis", "Gap analysis", PLAN_GAP_ANALYSIS, 2},
    {"scope_policy_assets", "Scope, ISMS policy and assets", PLAN_TRAINING, 1},
    {"risk_assessment", "Risk assessment", PLAN_TRAINING, 1},
    {"risk_treatment", "Risk treatment and treatment plan", PLAN_TRAINING, 1},
    {"document_management", "Document management", PLAN_TRAINING, 1},
    {"security_measures", "Security policy, measures and effectiveness", PLAN_TRAINING, 2},
    {"human_resources", "Human resources management", PLAN_TRAINING, 1},
    {"incident_management", "Incident management and continual improvement", PLAN_TRAINING, 1},
    {"management_review", "Management review", PLAN_TRAINING, 1},
    {"audit", "Audit", PLAN_TRAINING, 1},
};

typedef struct cluster_input {
    plan_resource_t resources[NORGS + 4 + NORGS];
    int person_of[NORGS + 4 + NORGS]; /* resource -> shared person, or -1 */
    plan_org_t orgs[NORGS];
    int trainers[2];
    plan_period_t *periods;
    int nperiods;
    plan_input_t in;
} cluster_input_t;

static plan_day_t day_of(int y, int m, int d) {
    plan_day_t out;
    char s[11];
    snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, d);
    plan_day_parse(s, &out);
    return out;
}

/* A paper-sized cluster starting on `start`; `k` chooses its shared people. */
static void make_cluster(cluster_input_t *c, int k, plan_day_t start, int shared) {
    static const char *const org_names[] = {"Org A", "Org B", "Org C", "Org D", "Org E"};
    int nres = 0;
    memset(c->person_of, -1, sizeof(c->person_of));
    for (int o = 0; o < NORGS; o++) {
        c->resources[nres] = (plan_resource_t){org_names[o], org_names[o], 1};
        c->orgs[o] = (plan_org_t){nres++, -1, COACHING};
    }
    for (int t = 0; t < 2; t++) {
        c->resources[nres] = (plan_resource_t){"trainer", "Trainer", 0};
        c->person_of[nres] = shared ? NCOACHES + (k * 2 + t) % NTRAINERS : -1;
        c->trainers[t] = nres++;
    }
    for (int o = 0; o < NORGS; o++) {
        c->resources[nres] = (plan_resource_t){"coach", "Coach", 0};
        c->person_of[nres] = shared ? (k * 3 + o) % NCOACHES : -1;
        c->orgs[o].coach = nres++;
    }
    int cap = PERIODS + 8000;
    c->periods = malloc((size_t)cap * sizeof(plan_period_t));
    c->nperiods = 0;
    for (int p = 0; p < PERIODS; p++) {
        plan_day_t a = start + (plan_day_t)rnd(200);
        c->periods[c->nperiods++] =
            (plan_period_t){(int)rnd((uint32_t)nres), a, a + (plan_day_t)rnd(6), 0, 1, 0, "away"};
    }
    /* Bookings of the shared people in other clusters within this cluster's horizon. */
    for (int r = 0; r < nres && shared; r++) {
        const person_t *p = c->person_of[r] >= 0 ? &people[c->person_of[r]] : NULL;
        for (int i = 0; p != NULL && i < p->n && c->nperiods < cap; i++)
            if (p->day[i] >= start - 60 && p->day[i] <= start + 420)
                c->periods[c->nperiods++] = (plan_period_t){
                    r, p->day[i], p->day[i], p->slot[i], p->slot[i] + p->half_days[i] - 1, 1, NULL};
    }
    c->in = (plan_input_t){start,
                           start + 210,
                           21,
                           28,
                           0x1f,
                           curriculum,
                           (int)(sizeof(curriculum) / sizeof(curriculum[0])),
                           c->resources,
                           nres,
                           c->orgs,
                           NORGS,
                           c->trainers,
                           2,
                           NULL,
                           0,
                           c->periods,
                           c->nperiods,
                           NULL,
                           0,
                           1};
}

/* Records the plan's bookings of shared people. */
static void book(const cluster_input_t *c, const plan_result_t *r) {
    for (int i = 0; i < r->nsessions; i++) {
        const plan_session_t *s = &r->sessions[i];
        int who = s->kind == PLAN_TRAINING ? s->trainer : s->coach;
        if (who < 0 || c->person_of[who] < 0)
            continue;
        person_t *p = &people[c->person_of[who]];
        if (p->n < MAX_BOOKINGS) {
            p->day[p->n] = s->day;
            p->slot[p->n] = (uint8_t)s->slot;
            p->half_days[p->n++] = (uint8_t)s->half_days;
        }
    }
}

static int paper_cluster(void) {
    cluster_input_t c;
    double best = 1e9, worst = 0;
    int ok = 1;
    make_cluster(&c, 0, day_of(2009, 10, 1), 0);
    for (int run = 0; run < 20; run++) {
        plan_result_t r;
        double t0 = now_ms();
        plan_solve(&c.in, &r);
        double t = now_ms() - t0;
        best = t < best ? t : best;
        worst = t > worst ? t : worst;
        if (run == 0) {
            plan_violation_t *v = NULL;
            int nv = plan_validate(&c.in, r.sessions, r.nsessions, &v);
            free(v);
            printf("paper cluster: %s, %d sessions, %d coaching half-days unplaced, %d "
                   "violations\n",
                   r.feasible ? "planned" : "infeasible", r.nsessions, r.coaching_unplaced, nv);
            ok = r.feasible && nv == 0;
        }
        plan_result_free(&r);
    }
    printf("paper cluster (5 organisations, 28 coaching half-days each, 30 periods): "
           "best %.2f ms, worst %.2f ms (target < 50 ms)\n",
           best, worst);
    free(c.periods);
    return ok && worst < 50.0;
}

/* Plans n clusters over ten years, sharing the people; returns the total milliseconds. */
static double many(int n, int *feasible, int *unplaced, int *violations) {
    memset(people, 0, sizeof(people));
    *feasible = *unplaced = *violations = 0;
    double total = 0;
    for (int k = 0; k < n; k++) {
        cluster_input_t c;
        plan_day_t start = day_of(2010, 1, 4) + (plan_day_t)((int64_t)k * 3650 / n);
        make_cluster(&c, k, start, 1);
        plan_result_t r;
        double t0 = now_ms();
        plan_solve(&c.in, &r);
        total += now_ms() - t0;
        if (r.feasible) {
            (*feasible)++;
            *unplaced += r.coaching_unplaced;
            if (k % 50 == 0) {
                plan_violation_t *v = NULL;
                *violations += plan_validate(&c.in, r.sessions, r.nsessions, &v);
                free(v);
            }
            book(&c, &r);
        }
        plan_result_free(&r);
        free(c.periods);
    }
    return total;
}

int main(void) {
    int ok = paper_cluster();
    static const int sizes[] = {100, 300, 1000};
    for (int i = 0; i < 3; i++) {
        int feasible, unplaced, violations;
        double t = many(sizes[i], &feasible, &unplaced, &violations);
        printf("%4d clusters sharing %d coaches and %d trainers: %.0f ms (%.2f ms per cluster), "
               "%d planned, %d coaching half-days unplaced, %d violations in sampled plans%s\n",
               sizes[i], NCOACHES, NTRAINERS, t, t / sizes[i], feasible, unplaced, violations,
               sizes[i] == 1000 ? " (target < 10 s)" : "");
        ok &= violations == 0 && (sizes[i] != 1000 || t < 10000.0);
    }
    printf("%s\n", ok ? "all targets met" : "a target was missed");
    return ok ? 0 : 1;
}
