// Parses an iCalendar file with ical.js (an independent RFC 5545 parser) and prints what it found
// as JSON, for the planning integration tests:  node ical_check.mjs FILE
// Exits 1 when the file does not parse or breaks a rule the feeds promise (VERSION, PRODID, a
// VTIMEZONE for the TZID of every event, UID / DTSTAMP / SEQUENCE on every event).
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';

const text = readFileSync(process.argv[2], 'utf8');
const fail = (message) => {
  console.error(`ical_check: ${message}`);
  process.exit(1);
};
let root;
try {
  root = new ICAL.Component(ICAL.parse(text));
} catch (e) {
  fail(`does not parse: ${e.message}`);
}
if (root.name !== 'vcalendar') fail('not a VCALENDAR');
if (root.getFirstPropertyValue('version') !== '2.0') fail('VERSION is not 2.0');
if (!root.getFirstPropertyValue('prodid')) fail('no PRODID');
const zones = root.getAllSubcomponents('vtimezone').map((z) => z.getFirstPropertyValue('tzid'));
for (const z of root.getAllSubcomponents('vtimezone')) {
  ICAL.TimezoneService.register(new ICAL.Timezone(z));
}
const events = root.getAllSubcomponents('vevent').map((v) => {
  const e = new ICAL.Event(v);
  const start = v.getFirstProperty('dtstart');
  const tzid = start.getParameter('tzid');
  if (!zones.includes(tzid)) fail(`event ${e.uid} uses TZID ${tzid} without a VTIMEZONE`);
  if (!e.uid || !v.getFirstPropertyValue('dtstamp')) fail('an event lacks UID or DTSTAMP');
  if (v.getFirstPropertyValue('sequence') === null) fail(`event ${e.uid} lacks SEQUENCE`);
  return {
    uid: e.uid,
    sequence: e.sequence,
    status: v.getFirstPropertyValue('status'),
    summary: e.summary,
    description: e.description,
    location: e.location,
    tzid,
    start: e.startDate.toString(),
    end: e.endDate.toString(),
    start_utc: e.startDate.toJSDate().toISOString(),
  };
});
console.log(JSON.stringify({ name: root.getFirstPropertyValue('x-wr-calname'), zones, events }));
