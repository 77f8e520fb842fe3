/* The scheduler's JSON boundary (see plan_json.h). Organisations come first among the resources,
 * then people; ids are resolved by linear search (a cluster has a handful of each). */
#include "planning/plan_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num(const cJSON *o, const char *name, int fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valueint : fallback;
}

static int day_of(const cJSON *o, const char *name, plan_day_t *out) {
    return plan_day_parse(str(o, name), out);
}

static int slot_of(const char *s) {
    return s != NULL && strcmp(s, "afternoon") == 0 ? PLAN_AFTERNOON : PLAN_MORNING;
}

static int resource_of(const plan_doc_t *doc, const char *id) {
    for (int i = 0; id != NULL && i < doc->in.nresources; i++)
        if (strcmp(doc->resources[i].id, id) == 0)
            return i;
    return -1;
}

/* The module that holds part `*part` (0-based) of curriculum module `key`; *part becomes the
 * part within it. -1 when the curriculum has no such module. */
static int module_of(const plan_doc_t *doc, const char *key, int *part) {
    int first = -1;
    for (int i = 0; key != NULL && i < doc->in.nmodules; i++) {
        if (strcmp(doc->modules[i].key, key) != 0)
            continue;
        if (first < 0)
            first = i;
        int off = doc->part_offset[i];
        if (*part >= off && (*part < off + doc->modules[i].half_days || i + 1 == doc->in.nmodules ||
                             strcmp(doc->modules[i + 1].key, key) != 0)) {
            *part -= off;
            return i;
        }
    }
    return first;
}

/* The curriculum module's part (1-based) of part `part` of module m. */
static int part_number(const plan_doc_t *doc, int m, int part) {
    return part + 1 + (m >= 0 ? doc->part_offset[m] : 0);
}

static int org_of(const plan_doc_t *doc, const char *id) {
    int r = resource_of(doc, id);
    return r >= 0 && r < doc->in.norgs ? r : -1;
}

static void *alloc(size_t n, size_t size, int *failed) {
    void *p = calloc(n + 1, size);
    if (p == NULL)
        *failed = 1;
    return p;
}

static int parse_cluster(plan_doc_t *doc, const cJSON *c) {
    doc->cluster_id = str(c, "id");
    doc->cluster_name = str(c, "name");
    if (doc->cluster_id == NULL || day_of(c, "earliest", &doc->in.earliest) != 0 ||
        day_of(c, "target_end_date", &doc->target_end) != 0 || day_of(c, "today", &doc->today) != 0)
        return -1;
    doc->in.end = doc->target_end;
    doc->in.gap_min_days = num(c, "gap_min_days", 21);
    doc->in.gap_max_days = num(c, "gap_max_days", 28);
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(c, "weekdays")) {
        if (cJSON_IsNumber(w) && w->valueint >= 1 && w->valueint <= 7)
            doc->in.weekdays |= 1u << (w->valueint - 1);
    }
    return 0;
}

/* Reads the curriculum. A training whose half-days are separate becomes one module per half-day,
 * so that each is followed by its own coaching cycle. */
static int parse_modules(plan_doc_t *doc, const cJSON *list, int *failed) {
    size_t n = (size_t)cJSON_GetArraySize(list) * PLAN_MAX_HALF_DAYS;
    doc->modules = alloc(n, sizeof(plan_module_t), failed);
    doc->part_offset = alloc(n, sizeof(int), failed);
    const cJSON *m;
    cJSON_ArrayForEach(m, list) {
        if (doc->modules == NULL || doc->part_offset == NULL)
            return -1;
        const char *kind = str(m, "kind");
        plan_module_t x = {str(m, "key"), str(m, "title"),
                           kind != NULL && strcmp(kind, "gap_analysis") == 0 ? PLAN_GAP_ANALYSIS
                                                                             : PLAN_TRAINING,
                           num(m, "half_days", 1)};
        if (x.key == NULL || x.title == NULL || x.half_days < 1 || x.half_days > PLAN_MAX_HALF_DAYS)
            return -1;
        int separate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "separate_half_days")) &&
                       x.kind == PLAN_TRAINING;
        for (int k = 0; k < (separate ? x.half_days : 1); k++) {
            doc->part_offset[doc->in.nmodules] = k;
            doc->modules[doc->in.nmodules] = x;
            if (separate)
                doc->modules[doc->in.nmodules].half_days = 1;
            doc->in.nmodules++;
        }
    }
    return 0;
}

static int parse_resources(plan_doc_t *doc, const cJSON *orgs, const cJSON *people, int *failed) {
    int norgs = cJSON_GetArraySize(orgs), npeople = cJSON_GetArraySize(people);
    doc->resources = alloc((size_t)(norgs + npeople), sizeof(plan_resource_t), failed);
    doc->orgs = alloc((size_t)norgs, sizeof(plan_org_t), failed);
    doc->enrolment_ids = alloc((size_t)norgs, sizeof(char *), failed);
    doc->estimate_missing = alloc((size_t)norgs, sizeof(int), failed);
    if (*failed)
        return -1;
    const cJSON *o;
    cJSON_ArrayForEach(o, orgs) {
        int i = doc->in.nresources++;
        doc->resources[i] = (plan_resource_t){str(o, "id"), str(o, "name"), 1};
        doc->enrolment_ids[i] = str(o, "enrolment_id");
        doc->estimate_missing[i] = !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "estimate"));
        doc->orgs[i] = (plan_org_t){i, -1, num(o, "coaching_half_days", 0)};
        doc->in.norgs++;
    }
    cJSON_ArrayForEach(o, people) {
        doc->resources[doc->in.nresources++] = (plan_resource_t){str(o, "id"), str(o, "name"), 0};
    }
    for (int i = 0; i < doc->in.nresources; i++)
        if (doc->resources[i].id == NULL || doc->resources[i].name == NULL)
            return -1;
    int k = 0;
    cJSON_ArrayForEach(o, orgs) {
        doc->orgs[k++].coach = resource_of(doc, str(o, "coach_user_id"));
    }
    return 0;
}

static void parse_periods(plan_doc_t *doc, const cJSON *list, int elsewhere, const char **ids) {
    const cJSON *p;
    cJSON_ArrayForEach(p, list) {
        plan_period_t x = {resource_of(doc, str(p, "resource_id")),
                           0,
                           0,
                           slot_of(str(p, "from_slot")),
                           slot_of(str(p, "to_slot")),
                           elsewhere,
                           str(p, "label")};
        if (x.resource < 0 || day_of(p, "from", &x.from) != 0 || day_of(p, "to", &x.to) != 0 ||
            x.to < x.from)
            continue;
        ids[doc->in.nperiods] = str(p, "id");
        doc->periods[doc->in.nperiods++] = x;
    }
}

static int status_of(const char *s) {
    if (s != NULL && strcmp(s, "confirmed") == 0)
        return PLAN_CONFIRMED;
    if (s != NULL && strcmp(s, "done") == 0)
        return PLAN_DONE;
    return PLAN_PLANNED;
}

static void parse_sessions(plan_doc_t *doc, const cJSON *list) {
    const cJSON *s;
    cJSON_ArrayForEach(s, list) {
        const char *kind = str(s, "kind");
        int part = num(s, "part", 1) - 1;
        int module = module_of(doc, str(s, "module_key"), &part);
        plan_session_t x = {str(s, "id"),
                            PLAN_TRAINING,
                            module,
                            part,
                            org_of(doc, str(s, "organisation_id")),
                            0,
                            slot_of(str(s, "slot")),
                            num(s, "half_days", 1),
                            resource_of(doc, str(s, "trainer_user_id")),
                            resource_of(doc, str(s, "coach_user_id")),
                            status_of(str(s, "status")),
                            -1};
        if (kind != NULL && strcmp(kind, "gap_analysis") == 0)
            x.kind = PLAN_GAP_ANALYSIS;
        else if (kind != NULL && strcmp(kind, "coaching") == 0)
            x.kind = PLAN_COACHING;
        if (x.kind == PLAN_TRAINING)
            x.org = -1;
        if (x.kind == PLAN_COACHING) {
            x.part = 0;
            if (x.module >= 0 && doc->modules[x.module].kind != PLAN_TRAINING)
                x.module = -1;
        } else if (x.module >= 0 && doc->modules[x.module].kind != x.kind) {
            x.module = -1; /* the curriculum no longer has it in this form: it will be dropped */
        }
        if (x.id == NULL || day_of(s, "date", &x.day) != 0 ||
            (x.kind != PLAN_TRAINING && x.org < 0) || x.part < 0 || x.part >= PLAN_MAX_PARTS ||
            x.half_days < 1 || x.half_days > 2)
            continue;
        doc->current[doc->in.ncurrent++] = x;
    }
}

int plan_doc_from_json(cJSON *root, plan_doc_t *doc, char *err, size_t errlen) {
    int failed = 0;
    memset(doc, 0, sizeof(*doc));
    doc->root = root;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "input");
    doc->plan_version = str(root, "plan_version");
    if (!cJSON_IsObject(in) || doc->plan_version == NULL ||
        parse_cluster(doc, cJSON_GetObjectItemCaseSensitive(in, "cluster")) != 0 ||
        parse_modules(doc, cJSON_GetObjectItemCaseSensitive(in, "modules"), &failed) != 0 ||
        parse_resources(doc, cJSON_GetObjectItemCaseSensitive(in, "organisations"),
                        cJSON_GetObjectItemCaseSensitive(in, "people"), &failed) != 0) {
        snprintf(err, errlen, "%s", failed ? "out of memory" : "malformed planner input");
        return -1;
    }
    const cJSON *trainers = cJSON_GetObjectItemCaseSensitive(in, "trainers");
    const cJSON *holidays = cJSON_GetObjectItemCaseSensitive(in, "holidays");
    const cJSON *unavailable = cJSON_GetObjectItemCaseSensitive(in, "unavailability");
    const cJSON *elsewhere = cJSON_GetObjectItemCaseSensitive(in, "elsewhere");
    const cJSON *sessions = cJSON_GetObjectItemCaseSensitive(in, "sessions");
    int nperiods = cJSON_GetArraySize(unavailable) + cJSON_GetArraySize(elsewhere);
    doc->trainers = alloc((size_t)cJSON_GetArraySize(trainers), sizeof(int), &failed);
    doc->holidays = alloc((size_t)cJSON_GetArraySize(holidays), sizeof(plan_holiday_t), &failed);
    doc->periods = alloc((size_t)nperiods, sizeof(plan_period_t), &failed);
    doc->current = alloc((size_t)cJSON_GetArraySize(sessions), sizeof(plan_session_t), &failed);
    const char **ids = alloc((size_t)nperiods, sizeof(char *), &failed);
    if (failed) {
        free(ids);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const cJSON *x;
    cJSON_ArrayForEach(x, trainers) {
        int r = cJSON_IsString(x) ? resource_of(doc, x->valuestring) : -1;
        if (r >= doc->in.norgs)
            doc->trainers[doc->in.ntrainers++] = r;
    }
    cJSON_ArrayForEach(x, holidays) {
        plan_holiday_t h = {0, str(x, "name")};
        if (day_of(x, "day", &h.day) == 0)
            doc->holidays[doc->in.nholidays++] = h;
    }
    parse_periods(doc, unavailable, 0, ids);
    parse_periods(doc, elsewhere, 1, ids);
    parse_sessions(doc, sessions);
    doc->period_ids = ids;
    doc->in.modules = doc->modules;
    doc->in.resources = doc->resources;
    doc->in.orgs = doc->orgs;
    doc->in.trainers = doc->trainers;
    doc->in.holidays = doc->holidays;
    doc->in.periods = doc->periods;
    doc->in.current = doc->current;
    doc->in.explain = 1;
    return 0;
}

int plan_doc_parse(const char *text, plan_doc_t *doc, char *err, size_t errlen) {
    cJSON *root = text != NULL ? cJSON_Parse(text) : NULL;
    if (root == NULL) {
        memset(doc, 0, sizeof(*doc));
        snprintf(err, errlen, "the planner input is not JSON");
        return -1;
    }
    return plan_doc_from_json(root, doc, err, errlen);
}

void plan_doc_free(plan_doc_t *doc) {
    cJSON_Delete(doc->root);
    free(doc->modules);
    free(doc->part_offset);
    free(doc->resources);
    free(doc->orgs);
    free(doc->trainers);
    free(doc->holidays);
    free(doc->periods);
    free(doc->current);
    free(doc->enrolment_ids);
    free(doc->estimate_missing);
    free(doc->period_ids);
    memset(doc, 0, sizeof(*doc));
}

int plan_doc_find_session(const plan_doc_t *doc, const char *id) {
    for (int i = 0; id != NULL && i < doc->in.ncurrent; i++)
        if (strcmp(doc->current[i].id, id) == 0)
            return i;
    return -1;
}

/* The id of the unavailability behind period p (NULL for bookings elsewhere). */
static const char *period_id(const plan_doc_t *doc, int p) {
    return p >= 0 && p < doc->in.nperiods ? doc->period_ids[p] : NULL;
}

/* ---- answers ----------------------------------------------------------------------------------
 */

void plan_json_add_day(cJSON *obj, const char *name, plan_day_t d) {
    char text[11];
    plan_day_format(d, text);
    cJSON_AddStringToObject(obj, name, text);
}

static const char *const kind_names[] = {"training", "gap_analysis", "coaching"};
static const char *const status_names[] = {"planned", "confirmed", "done"};
static const char *const slot_names[] = {"morning", "afternoon"};

static void add_nullable(cJSON *obj, const char *name, const char *value) {
    if (value != NULL)
        cJSON_AddStringToObject(obj, name, value);
    else
        cJSON_AddNullToObject(obj, name);
}

static const char *resource_id(const plan_doc_t *doc, int r) {
    return r >= 0 && r < doc->in.nresources ? doc->resources[r].id : NULL;
}

static const char *org_id(const plan_doc_t *doc, int o) {
    return o >= 0 && o < doc->in.norgs ? doc->resources[doc->orgs[o].resource].id : NULL;
}

static const char *resource_name(const plan_doc_t *doc, int r) {
    return r >= 0 && r < doc->in.nresources ? doc->resources[r].name : NULL;
}

/* Who a change affects: the organisation (NULL for a training: everyone), the trainer, the coach.
 */
static void add_people(cJSON *o, const plan_doc_t *doc, const plan_session_t *s) {
    add_nullable(o, "organisation_name",
                 s->org >= 0 ? doc->resources[doc->orgs[s->org].resource].name : NULL);
    add_nullable(o, "trainer_name", resource_name(doc, s->trainer));
    add_nullable(o, "coach_name", resource_name(doc, s->coach));
}

static int moved(const plan_doc_t *doc, const plan_session_t *s) {
    const plan_session_t *c = s->origin >= 0 ? &doc->current[s->origin] : NULL;
    return c != NULL && (c->day != s->day || c->slot != s->slot || c->half_days != s->half_days);
}

static cJSON *session_json(const plan_doc_t *doc, const plan_session_t *s) {
    cJSON *o = cJSON_CreateObject();
    const plan_session_t *c = s->origin >= 0 ? &doc->current[s->origin] : NULL;
    add_nullable(o, "id", c != NULL ? c->id : NULL);
    cJSON_AddStringToObject(o, "kind", kind_names[s->kind]);
    add_nullable(o, "module_key", s->module >= 0 ? doc->modules[s->module].key : NULL);
    add_nullable(o, "title", s->module >= 0 ? doc->modules[s->module].title : NULL);
    if (s->kind != PLAN_COACHING)
        cJSON_AddNumberToObject(o, "part", part_number(doc, s->module, s->part));
    add_nullable(o, "organisation_id", org_id(doc, s->org));
    add_people(o, doc, s);
    plan_json_add_day(o, "date", s->day);
    cJSON_AddStringToObject(o, "slot", slot_names[s->slot]);
    cJSON_AddNumberToObject(o, "half_days", s->half_days);
    add_nullable(o, "trainer_user_id", resource_id(doc, s->trainer));
    add_nullable(o, "coach_user_id", resource_id(doc, s->coach));
    cJSON_AddStringToObject(o, "status", status_names[s->status]);
    cJSON_AddStringToObject(o, "change", c == NULL ? "new" : moved(doc, s) ? "moved" : "kept");
    if (c != NULL && moved(doc, s)) {
        cJSON *prev = cJSON_AddObjectToObject(o, "previous");
        plan_json_add_day(prev, "date", c->day);
        cJSON_AddStringToObject(prev, "slot", slot_names[c->slot]);
        cJSON_AddNumberToObject(prev, "half_days", c->half_days);
    }
    return o;
}

static const char *reason_kind(int kind) {
    static const char *const names[] = {"unavailable",  "busy_elsewhere", "booked",
                                        "holiday",      "weekday",        "end_date",
                                        "gap_analysis", "module_week",    "no_trainer"};
    return kind >= 0 && kind <= PLAN_R_NO_TRAINER ? names[kind] : "other";
}

static cJSON *explanation_json(const plan_doc_t *doc, const plan_result_t *r) {
    static const char *const relax_kinds[] = {"gap_max", "weekday", "gap_min", "end_date",
                                              "unavailability"};
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message", r->explanation != NULL ? r->explanation : "");
    add_nullable(e, "module_key",
                 r->failed_module >= 0 ? doc->modules[r->failed_module].key : NULL);
    plan_json_add_day(e, "window_from", r->window_from);
    plan_json_add_day(e, "window_to", r->window_to);
    cJSON *list = cJSON_AddArrayToObject(e, "constraints");
    for (int i = 0; i < r->nreasons; i++) {
        const plan_reason_t *x = &r->reasons[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", reason_kind(x->kind));
        cJSON_AddStringToObject(o, "text", x->text);
        add_nullable(o, "resource_id", resource_id(doc, x->resource));
        add_nullable(o, "unavailability_id",
                     x->kind == PLAN_R_UNAVAILABLE ? period_id(doc, x->period) : NULL);
        plan_json_add_day(o, "from", x->from);
        plan_json_add_day(o, "to", x->to);
        cJSON_AddItemToArray(list, o);
    }
    list = cJSON_AddArrayToObject(e, "relaxations");
    for (int i = 0; i < r->nrelaxations; i++) {
        const plan_relaxation_t *x = &r->relaxations[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", relax_kinds[x->kind]);
        cJSON_AddStringToObject(o, "text", x->text);
        if (x->kind == PLAN_X_END_DATE)
            plan_json_add_day(o, "value", x->value);
        else if (x->kind == PLAN_X_UNAVAILABILITY)
            add_nullable(o, "value", period_id(doc, x->value));
        else
            cJSON_AddNumberToObject(o, "value",
                                    x->kind == PLAN_X_WEEKDAY ? x->value + 1 : x->value);
        cJSON_AddItemToArray(list, o);
    }
    return e;
}

static void add_summary(cJSON *o, const plan_result_t *r) {
    cJSON *s = cJSON_AddObjectToObject(o, "summary");
    cJSON_AddNumberToObject(s, "sessions", r->nsessions);
    cJSON_AddNumberToObject(s, "created", r->created);
    cJSON_AddNumberToObject(s, "moved", r->moved);
    cJSON_AddNumberToObject(s, "kept", r->kept);
    cJSON_AddNumberToObject(s, "cancelled", r->ndropped);
    cJSON_AddNumberToObject(s, "coaching_planned", r->coaching_planned);
    cJSON_AddNumberToObject(s, "coaching_unplaced", r->coaching_unplaced);
}

cJSON *plan_preview_json(const plan_doc_t *doc, const plan_result_t *r, int full,
                         int changes_only) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "cluster_id", doc->cluster_id);
    cJSON_AddStringToObject(o, "plan_version", doc->plan_version);
    cJSON_AddBoolToObject(o, "feasible", r->feasible);
    plan_json_add_day(o, "planned_from", doc->in.earliest);
    if (r->feasible)
        plan_json_add_day(o, "completion_date", r->completion);
    else
        cJSON_AddNullToObject(o, "completion_date");
    add_summary(o, r);
    cJSON *list = cJSON_AddArrayToObject(o, "sessions");
    for (int i = 0; i < r->nsessions; i++) {
        const plan_session_t *s = &r->sessions[i];
        int changed = s->origin < 0 || moved(doc, s);
        if ((full || s->kind == PLAN_TRAINING) && (changed || (full && !changes_only)))
            cJSON_AddItemToArray(list, session_json(doc, s));
    }
    list = cJSON_AddArrayToObject(o, "cancelled");
    for (int i = 0; i < r->ndropped; i++) {
        const plan_session_t *c = &doc->current[r->dropped[i]];
        if (!full && c->kind != PLAN_TRAINING)
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", c->id);
        cJSON_AddStringToObject(x, "kind", kind_names[c->kind]);
        add_nullable(x, "module_key", c->module >= 0 ? doc->modules[c->module].key : NULL);
        add_nullable(x, "title", c->module >= 0 ? doc->modules[c->module].title : NULL);
        add_people(x, doc, c);
        plan_json_add_day(x, "date", c->day);
        cJSON_AddStringToObject(x, "slot", slot_names[c->slot]);
        cJSON_AddNumberToObject(x, "half_days", c->half_days);
        cJSON_AddItemToArray(list, x);
    }
    if (r->feasible)
        cJSON_AddNullToObject(o, "explanation");
    else if (full)
        cJSON_AddItemToObject(o, "explanation", explanation_json(doc, r));
    else
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "explanation"), "message",
                                "no re-plan keeps every rule; the coordinator sees what collides");
    list = cJSON_AddArrayToObject(o, "warnings");
    for (int i = 0; full && i < r->nwarnings; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(r->warnings[i]));
    for (int o2 = 0; full && o2 < doc->in.norgs; o2++)
        if (doc->estimate_missing[o2] && doc->orgs[o2].coach >= 0) {
            char text[300];
            snprintf(
                text, sizeof(text),
                "%s has no coaching estimate from its gap analysis yet: no coaching is planned",
                doc->resources[doc->orgs[o2].resource].name);
            cJSON_AddItemToArray(list, cJSON_CreateString(text));
        }
    return o;
}

/* A session to create or move, as api_plan_apply reads it. */
static cJSON *write_json(const plan_doc_t *doc, const plan_session_t *s, const char *id) {
    cJSON *o = cJSON_CreateObject();
    if (id != NULL)
        cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "kind", kind_names[s->kind]);
    cJSON_AddStringToObject(o, "module_key", doc->modules[s->module].key);
    cJSON_AddNumberToObject(o, "part", part_number(doc, s->module, s->part));
    add_nullable(o, "organisation_id", org_id(doc, s->org));
    plan_json_add_day(o, "date", s->day);
    cJSON_AddStringToObject(o, "slot", slot_names[s->slot]);
    cJSON_AddNumberToObject(o, "half_days", s->half_days);
    add_nullable(o, "trainer_user_id", resource_id(doc, s->trainer));
    add_nullable(o, "coach_user_id", resource_id(doc, s->coach));
    return o;
}

static cJSON *coaching_json(const plan_doc_t *doc, const plan_session_t *s) {
    cJSON *o = cJSON_CreateObject();
    char topic[1024];
    if (s->module >= 0)
        snprintf(topic, sizeof(topic), "Coaching after: %s", doc->modules[s->module].title);
    else
        snprintf(topic, sizeof(topic), "Coaching");
    /* The ledger takes at most 200 characters; never cut a UTF-8 character in two. */
    size_t chars = 0, i = 0;
    for (; topic[i] != '\0'; i++)
        if (((unsigned char)topic[i] & 0xC0) != 0x80 && ++chars > 200)
            break;
    topic[i] = '\0';
    cJSON_AddStringToObject(o, "enrolment_id", doc->enrolment_ids[s->org]);
    add_nullable(o, "coach_user_id", resource_id(doc, s->coach));
    plan_json_add_day(o, "date", s->day);
    cJSON_AddStringToObject(o, "slot", slot_names[s->slot]);
    cJSON_AddNumberToObject(o, "half_days", s->half_days);
    cJSON_AddStringToObject(o, "topic", topic);
    add_nullable(o, "module_key", s->module >= 0 ? doc->modules[s->module].key : NULL);
    return o;
}

cJSON *plan_changes_json(const plan_doc_t *doc, const plan_result_t *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON *cancel = cJSON_AddArrayToObject(o, "cancel");
    cJSON *coaching_cancel = cJSON_AddArrayToObject(o, "coaching_cancel");
    cJSON *sessions = cJSON_AddArrayToObject(o, "sessions");
    cJSON *coaching = cJSON_AddArrayToObject(o, "coaching");
    for (int i = 0; i < r->ndropped; i++) {
        const plan_session_t *c = &doc->current[r->dropped[i]];
        cJSON_AddItemToArray(c->kind == PLAN_COACHING ? coaching_cancel : cancel,
                             cJSON_CreateString(c->id));
    }
    for (int i = 0; i < r->nsessions; i++) {
        const plan_session_t *s = &r->sessions[i];
        const plan_session_t *c = s->origin >= 0 ? &doc->current[s->origin] : NULL;
        if (c != NULL && plan_session_pinned(&doc->in, c))
            continue;
        if (s->kind == PLAN_COACHING) {
            if (c != NULL && !moved(doc, s))
                continue;
            if (c != NULL)
                cJSON_AddItemToArray(coaching_cancel, cJSON_CreateString(c->id));
            cJSON_AddItemToArray(coaching, coaching_json(doc, s));
        } else if (c == NULL) {
            cJSON_AddItemToArray(sessions, write_json(doc, s, NULL));
        } else if (moved(doc, s) || c->trainer != s->trainer || c->coach != s->coach) {
            cJSON_AddItemToArray(sessions, write_json(doc, s, c->id));
        }
    }
    return o;
}
