// Date arithmetic of the calendar view, in the browser's local time: the span a day, week, month or
// agenda view shows, stepping by a view, and JSCalendar's LocalDateTime and Duration texts (RFC 8984 1.4).

export const DAY_MS = 86400000;

export function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

export function addDays(date, days) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days, date.getHours(), date.getMinutes());
}

// Weeks start on Monday (ISO 8601), as the Standard calendar's do.
export function startOfWeek(date) {
  const day = startOfDay(date);
  return addDays(day, -((day.getDay() + 6) % 7));
}

// The agenda's length in days, the Standard calendar's (webmail/calendar/grid.py AGENDA_DAYS).
export const AGENDA_DAYS = 30;

// [first day, day after the last] a view shows around `anchor`: a day, a week, the whole weeks of a
// month, or the agenda's days from `anchor` on.
export function viewSpan(view, anchor) {
  if (view === "day") return [startOfDay(anchor), addDays(startOfDay(anchor), 1)];
  if (view === "agenda") return [startOfDay(anchor), addDays(startOfDay(anchor), AGENDA_DAYS)];
  if (view === "week") {
    const first = startOfWeek(anchor);
    return [first, addDays(first, 7)];
  }
  const first = startOfWeek(new Date(anchor.getFullYear(), anchor.getMonth(), 1));
  const last = new Date(anchor.getFullYear(), anchor.getMonth() + 1, 1);
  const weeks = Math.ceil((startOfDay(last) - first) / (7 * DAY_MS) - 1e-9);
  return [first, addDays(first, Math.max(weeks, 4) * 7)];
}

export function step(view, anchor, forward) {
  const sign = forward ? 1 : -1;
  if (view === "day") return addDays(anchor, sign);
  if (view === "agenda") return addDays(anchor, AGENDA_DAYS * sign);
  if (view === "week") return addDays(anchor, 7 * sign);
  return new Date(anchor.getFullYear(), anchor.getMonth() + sign, 1);
}

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

const pad = (n) => String(n).padStart(2, "0");

// "2026-12-07" of a local date (what <input type=date> takes).
export function dateText(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function timeText(date) {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// A JSCalendar LocalDateTime of a local wall-clock time.
export function localDateTime(date) {
  return `${dateText(date)}T${timeText(date)}:00`;
}

// A local Date of an <input type=date> value and an optional "HH:MM".
export function fromInputs(day, time = "00:00") {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  return new Date(y, m - 1, d, hh || 0, mm || 0);
}

// A Date of a LocalDateTime read as local time (an all-day event's day).
export function fromLocal(text) {
  const [day, time] = text.split("T");
  return fromInputs(day, time.slice(0, 5));
}

// JSCalendar Duration of milliseconds, e.g. "PT1H30M", "P2D".
export function durationText(ms, allDay = false) {
  if (allDay) return `P${Math.max(1, Math.round(ms / DAY_MS))}D`;
  const minutes = Math.max(0, Math.round(ms / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  let out = "P" + (days ? `${days}D` : "");
  if (hours || rest) out += "T" + (hours ? `${hours}H` : "") + (rest ? `${rest}M` : "");
  return out === "P" ? "PT0S" : out;
}

// Milliseconds of a JSCalendar Duration (weeks, days, hours, minutes, seconds).
export function durationMs(text) {
  const found = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text || "");
  if (!found) return 0;
  const [w, d, h, m, s] = found.slice(1).map((x) => Number(x || 0));
  return ((((w * 7 + d) * 24 + h) * 60 + m) * 60 + s) * 1000;
}
