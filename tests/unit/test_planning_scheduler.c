/* The programme scheduler on hand-made cases: curriculum order and the 3–4 week gaps, earliest
 * completion, unavailability of one organisation and of all, holidays and weekdays, nobody
 * double-booked across clusters, pinned sessions, an infeasible programme explained with its
 * nearest relaxation, minimal-change re-planning, coaching spread and determinism. */
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

static int training_count(const plan_result_t *r) {
    int n = 0;
    for (int i = 0; i < r->nsessions; i++)
        n += r->sessions[i].kind == PLAN_TRAINING;
    return n;
}

Test(scheduler, plans_the_default_curriculum_in_order_with_three_to_four_week_gaps) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-01", "2010-04-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert(r.feasible, "no plan: %s", r.explanation ? r.explanation : "");
    fx_assert_valid(in, &r);
    /* initial training: a whole day and a half day; then 8 half-day modules and one whole day */
    cr_assert_eq(training_count(&r), 2 + 8 + 1);
    plan_day_t prev = 0;
    for (int m = 0; m < fx.nmodules; m++) {
        if (fx.modules[m].kind != PLAN_TRAINING)
            continue;
        const plan_session_t *s = fx_first(&r, m);
        cr_assert_not_null(s, "%s not planned", fx.modules[m].key);
        if (prev != 0)
            cr_assert(s->day - prev >= 21 && s->day - prev <= 28, "%s is %d days after the last",
                      fx.modules[m].key, s->day - prev);
        prev = s->day;
    }
    plan_result_free(&r);
}

Test(scheduler, completes_as_early_as_possible_when_nothing_is_in_the_way) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert(r.feasible);
    /* 2009-10-05 is a Monday: initial training then every 21 days. */
    cr_assert_eq(fx_first(&r, 0)->day, D("2009-10-05"));
    cr_assert_eq(fx_first(&r, 0)->half_days, 2);
    cr_assert_eq(fx_first(&r, 10)->day, D("2009-10-05") + 9 * 21);
    cr_assert_eq(r.completion, D("2009-10-05") + 9 * 21);
    plan_result_free(&r);
}

Test(scheduler, avoids_the_unavailability_of_one_organisation) {
    paper_cluster(&fx);
    /* The third thematic training would fall on 2009-12-07 (5 weeks + 2 x 3 weeks). */
    fx_away(&fx, fx.orgs[1].resource, "2009-12-01", "2009-12-11", "ISO 9001 audit");
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert(r.feasible);
    fx_assert_valid(in, &r);
    for (int i = 0; i < r.nsessions; i++)
        if (r.sessions[i].kind == PLAN_TRAINING)
            cr_assert(r.sessions[i].day < D("2009-12-01") || r.sessions[i].day > D("2009-12-11"));
    plan_result_free(&r);
}

Test(scheduler, explains_why_nothing_fits_when_every_organisation_is_away) {
    paper_cluster(&fx);
    fx_away(&fx, fx.orgs[0].resource, "2009-10-01", "2010-04-30", "closed");
    fx_away(&fx, fx.orgs[1].resource, "2009-10-01", "2010-04-30", "closed");
    plan_input_t *in = fx_input(&fx, "2009-10-01", "2010-04-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert_not(r.feasible);
    cr_assert_not_null(r.explanation);
    cr_assert(strstr(r.explanation, "Initial training cannot be placed") != NULL, "%s",
              r.explanation);
    cr_assert(strstr(r.explanation, "IfOnline unavailable") != NULL, "%s", r.explanation);
    cr_assert(strstr(r.explanation, "LAA unavailable") != NULL, "%s", r.explanation);
    plan_result_free(&r);
}

Test(scheduler, skips_public_holidays_and_disallowed_weekdays) {
    paper_cluster(&fx);
    fx_holiday(&fx, "2010-04-05", "Easter Monday");
    plan_input_t *in = fx_input(&fx, "2010-04-05", "2011-01-31");
    in->weekdays = (1u << 0) | (1u << 3); /* Mondays and Thursdays */
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert(r.feasible, "%s", r.explanation ? r.explanation : "");
    fx_assert_valid(in, &r);
    cr_assert_neq(fx_first(&r, 0)->day, D("2010-04-05"));
    for (int i = 0; i < r.nsessions; i++) {
        int wd = plan_weekday(r.sessions[i].day);
        cr_assert(wd == 0 || wd == 3, "a session on weekday %d", wd);
        cr_assert_neq(r.sessions[i].day, D("2010-04-05"));
    }
    plan_result_free(&r);
}

Test(scheduler, never_double_books_a_trainer_or_coach_busy_in_another_cluster) {
    paper_cluster(&fx);
    int trainer = fx.trainers[0], coach = fx.orgs[0].coach;
    /* The trainer teaches another cluster every Monday and the coach coaches on Tuesdays. */
    for (plan_day_t d = D("2009-10-05"); d < D("2010-07-01"); d += 7) {
        fx_elsewhere(&fx, trainer, d, PLAN_MORNING);
        fx_elsewhere(&fx, trainer, d, PLAN_AFTERNOON);
        fx_elsewhere(&fx, coach, d + 1, PLAN_MORNING);
        fx_elsewhere(&fx, coach, d + 1, PLAN_AFTERNOON);
    }
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-07-31");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert(r.feasible);
    fx_assert_valid(in, &r);
    for (int i = 0; i < r.nsessions; i++) {
        const plan_session_t *s = &r.sessions[i];
        if (s->kind == PLAN_TRAINING)
            cr_assert_neq(plan_weekday(s->day), 0);
        else
            cr_assert_neq(plan_weekday(s->day), 1);
    }
    plan_result_free(&r);
}

Test(scheduler, uses_a_second_trainer_when_the_first_is_away) {
    paper_cluster(&fx);
    int second = fx_trainer(&fx, "Trainer Tina");
    fx_away(&fx, fx.trainers[0], "2009-10-01", "2010-06-30", "sabbatical");
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert(r.feasible);
    fx_assert_valid(in, &r);
    cr_assert_eq(fx_first(&r, 0)->trainer, second);
    cr_assert_eq(fx_first(&r, 0)->day, D("2009-10-05"));
    plan_result_free(&r);
}

Test(scheduler, leaves_confirmed_done_and_past_sessions_where_they_are) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t first;
    cr_assert_eq(plan_solve(in, &first), PLAN_OK);
    fx_adopt(&fx, &first);
    plan_result_free(&first);
    /* Confirm the risk assessment training on an odd Wednesday 24 days after its predecessor. */
    int ra = -1;
    for (int i = 0; i < fx.ncurrent; i++)
        if (fx.current[i].kind == PLAN_TRAINING && fx.current[i].module == 3)
            ra = i;
    cr_assert_geq(ra, 0);
    plan_day_t pinned_day = fx.current[ra].day + 2;
    fx.current[ra].day = pinned_day;
    fx.current[ra].status = PLAN_CONFIRMED;
    fx.current[0].status = PLAN_DONE;
    plan_result_t r;
    cr_assert_eq(plan_solve(&fx.in, &r), PLAN_OK);
    cr_assert(r.feasible);
    fx_assert_valid(&fx.in, &r);
    const plan_session_t *s = fx_first(&r, 3);
    cr_assert_eq(s->day, pinned_day);
    cr_assert_eq(s->origin, ra);
    cr_assert_eq(fx_first(&r, 0)->day, fx.current[0].day);
    plan_result_free(&r);
}

Test(scheduler, explains_an_impossible_window_and_proposes_a_longer_gap) {
    paper_cluster(&fx);
    /* The initial training is done (2009-10-05/06). Both organisations are away for six weeks
     * from 2009-10-20: scope can only come 2 weeks later (10-19), and risk assessment has no day
     * even 5 weeks after that, the longest gap the cluster's 3 weeks can bend to. */
    fx.current[fx.ncurrent++] =
        (plan_session_t){"it1", PLAN_TRAINING,  0,  0,         -1, D("2009-10-05"), PLAN_MORNING,
                         2,     fx.trainers[0], -1, PLAN_DONE, -1};
    fx.current[fx.ncurrent++] =
        (plan_session_t){"it2", PLAN_TRAINING,  0,  1,         -1, D("2009-10-06"), PLAN_MORNING,
                         1,     fx.trainers[0], -1, PLAN_DONE, -1};
    fx_away(&fx, fx.orgs[0].resource, "2009-10-20", "2009-11-30", "year-end closing");
    fx_away(&fx, fx.orgs[1].resource, "2009-10-20", "2009-11-30", "ISO 9001 audit");
    plan_input_t *in = fx_input(&fx, "2009-10-07", "2010-06-30");
    in->gap_min_days = in->gap_max_days = 21;
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert_not(r.feasible);
    cr_assert_not_null(r.explanation);
    cr_assert(strstr(r.explanation, "Risk assessment cannot be placed between 2009-11-02 and "
                                    "2009-11-23: IfOnline unavailable 10-20\u202611-30, LAA "
                                    "unavailable 10-20\u202611-30") != NULL,
              "%s", r.explanation);
    cr_assert_eq(r.failed_module, 3);
    cr_assert_eq(r.nreasons, 3, "%s", r.explanation); /* and the weekends */
    cr_assert_gt(r.nrelaxations, 0);
    cr_assert(strstr(r.explanation, "Nearest relaxation: allow up to 5 weeks between trainings") !=
                  NULL,
              "%s", r.explanation);
    cr_assert_eq(r.relaxations[0].kind, PLAN_X_GAP_MAX, "%s", r.relaxations[0].text);
    cr_assert_eq(r.relaxations[0].value, 5);
    /* And the relaxation works. */
    plan_input_t relaxed = *in;
    relaxed.gap_max_days = 35;
    plan_result_t ok;
    cr_assert_eq(plan_solve(&relaxed, &ok), PLAN_OK);
    cr_assert(ok.feasible);
    fx_assert_valid(&relaxed, &ok);
    plan_result_free(&ok);
    plan_result_free(&r);
}

Test(scheduler, says_when_the_cluster_has_no_trainer) {
    paper_cluster(&fx);
    fx.ntrainers = 0;
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert_not(r.feasible);
    cr_assert(strstr(r.explanation, "no trainer") != NULL, "%s", r.explanation);
    plan_result_free(&r);
}

/* Plans, adopts the plan, then makes LAA unavailable on the day of module `hit`; returns the
 * number of trainings the re-plan moves and checks that no training before it moved. */
static int replan_after_hit(int hit, plan_result_t *r) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t first;
    cr_assert_eq(plan_solve(in, &first), PLAN_OK);
    fx_adopt(&fx, &first);
    plan_day_t hit_day = fx_first(&first, hit)->day;
    char day[11];
    plan_day_format(hit_day, day);
    fx_away(&fx, fx.orgs[1].resource, day, day, "board meeting");
    fx.in.nperiods = fx.nperiods;
    plan_result_free(&first);
    cr_assert_eq(plan_solve(&fx.in, r), PLAN_OK);
    cr_assert(r->feasible);
    fx_assert_valid(&fx.in, r);
    int moved = 0;
    for (int i = 0; i < r->nsessions; i++) {
        const plan_session_t *s = &r->sessions[i];
        cr_assert_geq(s->origin, 0, "a session was created instead of kept or moved");
        const plan_session_t *was = &fx.current[s->origin];
        if (s->kind != PLAN_TRAINING || (s->day == was->day && s->slot == was->slot))
            continue;
        moved++;
        cr_assert_geq(was->day, hit_day, "a training before the hit one moved");
    }
    cr_assert_eq(r->ndropped, 0);
    return moved;
}

Test(scheduler, replans_with_minimal_change_when_new_unavailability_hits_a_session) {
    plan_result_t r;
    /* The last training moves alone. */
    cr_assert_eq(replan_after_hit(10, &r), 1);
    plan_result_free(&r);
    /* Trainings are exactly 3 weeks apart: document management (module 5) moves alone, one
     * cycle bending a little, rather than with the five after it. */
    cr_assert_eq(replan_after_hit(5, &r), 1);
    plan_result_free(&r);
}

Test(scheduler, spreads_coaching_evenly_over_the_cycles_within_the_target) {
    paper_cluster(&fx);
    fx.orgs[0].coaching_half_days = 28;
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    cr_assert(r.feasible);
    fx_assert_valid(in, &r);
    int per_cycle[16] = {0}, total = 0;
    for (int i = 0; i < r.nsessions; i++) {
        const plan_session_t *s = &r.sessions[i];
        if (s->kind != PLAN_COACHING || s->org != 0)
            continue;
        total++;
        cr_assert(s->module >= 2 && s->module < 16);
        per_cycle[s->module]++;
        /* Coaching happens after the training that opens its cycle. */
        cr_assert_gt(s->day, fx_first(&r, s->module)->day);
    }
    cr_assert_eq(total, 28);
    for (int m = 2; m < fx.nmodules; m++)
        cr_assert(per_cycle[m] >= 3 && per_cycle[m] <= 4, "cycle after %s has %d",
                  fx.modules[m].key, per_cycle[m]);
    plan_result_free(&r);
}

Test(scheduler, the_same_input_gives_the_same_plan) {
    paper_cluster(&fx);
    fx_away(&fx, fx.orgs[0].resource, "2009-11-20", "2009-12-04", NULL);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t a, b;
    cr_assert_eq(plan_solve(in, &a), PLAN_OK);
    cr_assert_eq(plan_solve(in, &b), PLAN_OK);
    cr_assert_eq(a.nsessions, b.nsessions);
    for (int i = 0; i < a.nsessions; i++) {
        cr_assert_eq(a.sessions[i].day, b.sessions[i].day);
        cr_assert_eq(a.sessions[i].slot, b.sessions[i].slot);
        cr_assert_eq(a.sessions[i].kind, b.sessions[i].kind);
        cr_assert_eq(a.sessions[i].trainer, b.sessions[i].trainer);
    }
    plan_result_free(&a);
    plan_result_free(&b);
}

Test(scheduler, refuses_malformed_input) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    in->orgs = fx.orgs;
    fx.orgs[0].resource = 999;
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_EINVAL);
    plan_result_free(&r);
}

Test(scheduler, refuses_a_horizon_longer_than_it_plans) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2025-06-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_ESPAN);
    plan_result_free(&r);
}

Test(validator, reports_double_booking_and_a_broken_gap) {
    paper_cluster(&fx);
    plan_input_t *in = fx_input(&fx, "2009-10-05", "2010-06-30");
    plan_result_t r;
    cr_assert_eq(plan_solve(in, &r), PLAN_OK);
    /* Put a coaching session on the day of the initial training. */
    for (int i = 0; i < r.nsessions; i++)
        if (r.sessions[i].kind == PLAN_COACHING) {
            r.sessions[i].day = fx_first(&r, 0)->day;
            r.sessions[i].slot = PLAN_MORNING;
            break;
        }
    plan_violation_t *v = NULL;
    int n = plan_validate(in, r.sessions, r.nsessions, &v);
    cr_assert_gt(n, 0);
    int found = 0;
    for (int i = 0; i < n; i++)
        found |= strstr(v[i].text, "double-booked") != NULL;
    cr_assert(found, "%s", v[0].text);
    free(v);
    plan_result_free(&r);
}
