// The account's time zone (its `user.timezone` setting, which the Standard pages use; the shell's
// config says it) for the calendar, the tasks' times and the out-of-office days, whatever zone the
// browser is in.
//
// Why "wall-clock Dates": the calendar's grid arithmetic (calendar_dates.js) works on Date objects'
// local fields. A time in the account's zone is held as a Date whose local fields are that zone's wall
// clock (wallClock); it turns back into a real instant only at the edges, for a query's UTC bounds or
// a UTC date (instantOf). A LocalDateTime written with timeZone ZONE needs no conversion at all.

import { config } from "./i18n.js";

function known(name) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const ZONE = config.timezone && known(config.timezone)
  ? config.timezone
  : Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const formats = new Map();

function partsIn(zone) {
  if (!formats.has(zone)) {
    formats.set(zone, new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    }));
  }
  return formats.get(zone);
}

// The wall clock of `zone` (the account's by default) at `instant`, as a Date whose local fields show it.
export function wallClock(instant, zone = ZONE) {
  const found = {};
  for (const { type, value } of partsIn(zone).formatToParts(instant)) found[type] = Number(value);
  return new Date(found.year, found.month - 1, found.day, found.hour % 24, found.minute, found.second);
}

// The real instant of a wall-clock Date in `zone` (the account's by default; a time skipped by a clock
// change moves forward by the gap, as RFC 5545 3.3.5 reads one).
export function instantOf(wall, zone = ZONE) {
  const asUtc = Date.UTC(wall.getFullYear(), wall.getMonth(), wall.getDate(), wall.getHours(), wall.getMinutes(), wall.getSeconds());
  let guess = asUtc;
  for (let n = 0; n < 3; n++) {
    const shown = wallClock(new Date(guess), zone);
    const shownUtc = Date.UTC(shown.getFullYear(), shown.getMonth(), shown.getDate(), shown.getHours(), shown.getMinutes(), shown.getSeconds());
    const next = guess + (asUtc - shownUtc);
    if (next === guess) break;
    guess = next;
  }
  return new Date(guess);
}

// A wall-clock Date of `zone` (a task's or an event's own timeZone, written by another client) as the
// account's wall clock: the same instant, shown on the account's clock. An unknown zone is left as is.
export function toAccountClock(wall, zone) {
  if (!zone || zone === ZONE || !known(zone)) return wall;
  return wallClock(instantOf(wall, zone));
}

// Now, on the account's wall clock.
export function now() {
  return wallClock(new Date());
}
