// The programme of a cluster as one picture: its trainings and gap analyses, each organisation's
// coaching, the declared unavailability of the organisations and staff, public holidays, and the
// conflicts between them (a session in a half-day when somebody it needs is unavailable). Pure
// functions over API answers, plus the loader that fetches them.
import { get, listAll } from './api.js';
import { addDays, bySessionTime } from './ui.js';

const dayNumber = (iso) => Math.round(Date.parse(`${iso}T00:00:00Z`) / 86400000);
const half = (iso, slot) => dayNumber(iso) * 2 + (slot === 'afternoon' ? 1 : 0);

/** The half-days [first, last] a session occupies. */
export function sessionSpan(s) {
  const first = half(s.date, s.slot);
  return [first, first + Math.max(1, s.half_days || 1) - 1];
}

/** The half-days [first, last] an unavailability covers (both ends included). */
export function unavailabilitySpan(u) {
  return [half(u.start_date, u.start_slot || 'morning'), half(u.end_date, u.end_slot || 'afternoon')];
}

/** Who a session needs: organisation ids and user ids. */
export function partiesOf(s, admittedOrgs) {
  const orgs = s.kind === 'training' ? admittedOrgs : [s.organisation_id].filter(Boolean);
  const users = [s.trainer_user_id, s.coach_user_id].filter(Boolean);
  return { orgs, users };
}

/** For each session, the unavailability periods it collides with ([] when none). */
export function findConflicts(sessions, unavailability, admittedOrgs) {
  const byOrg = new Map();
  const byUser = new Map();
  for (const u of unavailability) {
    const map = u.user_id ? byUser : byOrg;
    const key = u.user_id || u.organisation_id;
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(u);
  }
  const out = new Map();
  for (const s of sessions) {
    if (s.status === 'cancelled') continue;
    const [a, b] = sessionSpan(s);
    const { orgs, users } = partiesOf(s, admittedOrgs);
    const hits = [];
    for (const [map, keys] of [[byOrg, orgs], [byUser, users]])
      for (const key of keys)
        for (const u of map.get(key) || []) {
          const [c, d] = unavailabilitySpan(u);
          if (a <= d && c <= b) hits.push(u);
        }
    if (hits.length) out.set(s.id, hits);
  }
  return out;
}

/** Normalises a training-session or coaching-session row to { id, kind, date, slot, … }. */
export function fromTraining(s) {
  return { ...s, date: s.session_date };
}
export function fromCoaching(s, orgName) {
  return { ...s, kind: 'coaching', date: s.session_date, title: s.topic, organisation_name: orgName };
}

/** Days [from, to] covered by some unavailability, with the names of who is unavailable. */
export function unavailableDays(unavailability, names) {
  const days = new Map();
  for (const u of unavailability) {
    for (let d = u.start_date; d <= u.end_date; d = addDays(d, 1)) {
      if (!days.has(d)) days.set(d, []);
      days.get(d).push({ who: names.get(u.user_id || u.organisation_id) || '', reason: u.reason, id: u.id });
    }
  }
  return days;
}

/** Loads everything the programme view shows for a cluster the caller coordinates. */
export async function loadProgramme(clusterId) {
  const [cluster, trainings, enrolments, staff] = await Promise.all([
    get(`/v1/clusters/${clusterId}`),
    listAll(`/v1/clusters/${clusterId}/training-sessions`),
    listAll(`/v1/clusters/${clusterId}/enrolments?status=admitted`),
    get(`/v1/clusters/${clusterId}/staff`),
  ]);
  const people = staff.items.filter((s) => s.role === 'trainer' || s.role === 'coach');
  const userIds = [...new Set(people.map((s) => s.user_id))];
  const [coaching, orgUnav, userUnav] = await Promise.all([
    Promise.all(enrolments.map((e) => listAll(`/v1/enrolments/${e.id}/coaching-sessions`))),
    Promise.all(enrolments.map((e) => get(`/v1/organisations/${e.organisation_id}/unavailability`))),
    Promise.all(userIds.map((u) => get(`/v1/users/${u}/unavailability`).catch(() => ({ items: [] })))),
  ]);
  const names = new Map();
  for (const e of enrolments) names.set(e.organisation_id, e.organisation_name);
  for (const s of people) names.set(s.user_id, s.display_name);
  const sessions = [
    ...trainings.map((s) => ({ ...fromTraining(s), organisation_name: s.organisation_id ? names.get(s.organisation_id) : null })),
    ...coaching.flatMap((list, i) => list.map((s) => fromCoaching(s, enrolments[i].organisation_name))),
  ].sort(bySessionTime('date'));
  const unavailability = [...orgUnav.flatMap((r) => r.items || []), ...userUnav.flatMap((r) => (r.items || []).filter((u) => u.user_id))];
  const lastSession = sessions.length ? sessions[sessions.length - 1].date : cluster.target_end_date;
  const to = lastSession > cluster.target_end_date ? lastSession : cluster.target_end_date;
  const holidays = await get(`/v1/holidays?country=${encodeURIComponent(cluster.country)}&from=${cluster.start_date}&to=${to}`).catch(() => ({ items: [] }));
  const admittedOrgs = enrolments.map((e) => e.organisation_id);
  return {
    cluster,
    enrolments,
    sessions,
    unavailability,
    names,
    holidays: new Map((holidays.items || []).map((d) => [d.day, d.name])),
    conflicts: findConflicts(sessions, unavailability, admittedOrgs),
    from: cluster.start_date,
    to,
  };
}
