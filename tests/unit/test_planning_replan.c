/* Re-planning as a coordinator expects it: sessions that nothing collides with stay; the 3–4 week
 * rhythm bends (and the plan says where) rather than moving every later training; coaching that a
 * coach booked stays unless something collides with it, and then moves with all its half-days;
 * explanations name the organisation whose absence prevents a plan, in the coordinator's words. */
#include <stdlib.h>

#include "planning_fixture.h"

static fx_t fx;

static void paper_cluster(fx_t *f) {
    memset(f, 0, sizeof(*f));
    fx_default_curriculum(f);
    int coach = fx_person(f, "Coach Carla");
    fx_trainer(f, "Trainer Tom");
    fx_org(f, "IfOnline", coach, 10);
    fx_org(f, "LAA", coach, 12);
}

/* Plans the paper cluster from 2009-10-05 and makes the plan the current one. */
static void planned_paper_cluster(void) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t first;
    cr_assert_eq(plan_solve(in, &first), PLAN_OK);
    cr_assert(first.feasible);
    fx_adopt(&fx, &first);
    plan_result_free(&first);
}

static int coaching_half_days(const plan_session_t *s, int n, int org) {
    int total = 0;
    for (int i = 0; i < n; i++)
        if (s[i].kind == PLAN_COACHING && s[i].org == org)
            total += s[i].half_days;
    return total;
}

static int has_warning(const plan_result_t *r, const char *text) {
    for (int i = 0; i < r->nwarnings; i++)
        if (strstr(r->warnings[i], text) != NULL)
            return 1;
    return 0;
}

Test(replan, a_three_day_absence_moves_only_the_training_it_hits) {
    planned_paper_cluster();
    /* LAA is away three days from the start of document management (module 5, mid-programme). */
    plan_day_t hit = 0;
    for (int i = 0; i < fx.ncurrent; i++)
        if (fx.current[i].kind == PLAN_TRAINING && fx.current[i].module == 5)
            hit = fx.current[i].day;
    char from[11], to[11];
    plan_day_format(hit, from);
    plan_day_format(hit + 2, to);
    fx_away(&fx, fx.orgs[1].resource, from, to, "ISO 9001 audit");
    fx.in.nperiods = fx.nperiods;
    plan_result_t r;
    cr_assert_eq(plan_solve(&fx.in, &r), PLAN_OK);
    cr_assert(r.feasible, "%s", r.explanation ? r.explanation : "");
    fx_assert_valid(&fx.in, &r);
    cr_assert_eq(r.ndropped, 0);
    for (int i = 0; i < r.nsessions; i++) {
        const plan_session_t *s = &r.sessions[i];
        if (s->kind != PLAN_TRAINING)
            continue;
        const plan_session_t *was = &fx.current[s->origin];
        if (s->module != 5)
            cr_assert(s->day == was->day && s->slot == was->slot,
                      "module %d moved from %d to %d though nothing collides with it", s->module,
                      was->day, s->day);
        else
            cr_assert(s->day < hit || s->day > hit + 2);
    }
    /* The plan says which preference it bent. */
    cr_assert(has_warning(&r, "Document management") &&
                  has_warning(&r, "than the 3 weeks between trainings the cluster prefers"),
              "%s", r.nwarnings > 0 ? r.warnings[0] : "no warning");
    plan_result_free(&r);
}

/* Does any session of the current plan take place on day d? */
static int busy_day(plan_day_t d) {
    for (int i = 0; i < fx.ncurrent; i++)
        if (fx.current[i].day == d)
            return 1;
    return 0;
}

Test(replan, keeps_a_coachs_own_bookings_and_moves_the_one_that_collides) {
    planned_paper_cluster();
    /* The coach books five whole days for LAA beyond its target, on free days between trainings,
     * and one more on a day that LAA then declares unavailable. */
    int laa = 1, coach = fx.orgs[laa].coach,
        before = coaching_half_days(fx.current, fx.ncurrent, laa);
    plan_day_t risk = 0;
    for (int i = 0; i < fx.ncurrent; i++)
        if (fx.current[i].kind == PLAN_TRAINING && fx.current[i].module == 3)
            risk = fx.current[i].day;
    static const char *const ids[] = {"own1", "own2", "own3", "own4", "own5", "own6"};
    plan_day_t d = risk;
    for (int k = 0; k < 6; k++) {
        while (plan_weekday(++d) >= 5 || busy_day(d))
            ;
        fx.current[fx.ncurrent++] = (plan_session_t){
            ids[k], PLAN_COACHING, 3, 0, laa, d, PLAN_MORNING, 2, -1, coach, PLAN_PLANNED, -1};
    }
    fx.in.ncurrent = fx.ncurrent;
    const plan_session_t *last = &fx.current[fx.ncurrent - 1];
    char day[11];
    plan_day_format(last->day, day);
    fx_away(&fx, fx.orgs[laa].resource, day, day, "board meeting");
    fx.in.nperiods = fx.nperiods;
    before += 12;
    plan_result_t r;
    cr_assert_eq(plan_solve(&fx.in, &r), PLAN_OK);
    cr_assert(r.feasible, "%s", r.explanation ? r.explanation : "");
    fx_assert_valid(&fx.in, &r);
    cr_assert_eq(r.ndropped, 0, "a booked session would be cancelled");
    cr_assert_geq(coaching_half_days(r.sessions, r.nsessions, laa), before);
    int kept = 0, moved = 0;
    for (int i = 0; i < r.nsessions; i++) {
        const plan_session_t *s = &r.sessions[i];
        if (s->origin < 0 || fx.current[s->origin].id == NULL ||
            strncmp(fx.current[s->origin].id, "own", 3) != 0)
            continue;
        const plan_session_t *was = &fx.current[s->origin];
        if (s->day == was->day && s->slot == was->slot) {
            kept++;
        } else {
            moved++;
            cr_assert_str_eq(was->id, "own6");
        }
    }
    cr_assert_eq(kept, 5);
    cr_assert_eq(moved, 1);
    plan_result_free(&r);
}

Test(replan, names_the_absence_that_prevents_a_plan_not_the_end_date) {
    paper_cluster(&fx);
    /* The programme just fits (10 trainings 3 weeks apart end on 2010-02-22); LAA away for six
     * weeks in November pushes everything after it past the end date. */
    fx_away(&fx, fx.orgs[1].resource, "2009-11-02", "2009-12-11", "restructuring");
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-02-26");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert_not(r.feasible);
    cr_assert(strstr(r.explanation, "LAA unavailable 2009-11-02\u20262009-12-11") != NULL, "%s",
              r.explanation);
    cr_assert_null(strstr(r.explanation, "target end date is"), "%s", r.explanation);
    for (int i = 0; i < r.nrelaxations; i++)
        cr_assert_null(strstr(r.relaxations[i].text, "cycle_weeks"), "%s", r.relaxations[i].text);
    plan_result_free(&r);
}
