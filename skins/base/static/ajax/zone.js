// The account's time zone (its `user.timezone` setting, which the Standard pages use; the shell's
// config says it) for the calendar and the out-of-office days, whatever zone the browser is in.
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

const parts = new Intl.DateTimeFormat("en-US", {
  timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
  hour: "numeric", minute: "numeric", second: "numeric",
});

// The account zone's wall clock at `instant`, as a Date whose local fields show it.
export function wallClock(instant) {
  const found = {};
  for (const { type, value } of parts.formatToParts(instant)) found[type] = Number(value);
  return new Date(found.year, found.month - 1, found.day, found.hour % 24, found.minute, found.second);
}

// The real instant of a wall-clock Date in the account's zone (a time skipped by a clock change moves
// forward by the gap, as RFC 5545 3.3.5 reads one).
export function instantOf(wall) {
  const asUtc = Date.UTC(wall.getFullYear(), wall.getMonth(), wall.getDate(), wall.getHours(), wall.getMinutes(), wall.getSeconds());
  let guess = asUtc;
  for (let n = 0; n < 3; n++) {
    const shown = wallClock(new Date(guess));
    const shownUtc = Date.UTC(shown.getFullYear(), shown.getMonth(), shown.getDate(), shown.getHours(), shown.getMinutes(), shown.getSeconds());
    const next = guess + (asUtc - shownUtc);
    if (next === guess) break;
    guess = next;
  }
  return new Date(guess);
}

// Now, on the account's wall clock.
export function now() {
  return wallClock(new Date());
}
