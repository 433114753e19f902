// The Ajax interface's calendar (the top bar's Calendar view, views.js): a day, week, month or agenda
// (the next 30 days) view, as the Standard calendar has, of
// the account's calendars over JMAP (draft-ietf-jmap-calendars: Calendar/get, CalendarEvent/query with
// expandRecurrences, CalendarEvent/get in one request), on the account's clock (user.timezone, zone.js)
// as the Standard calendar shows it; each event in its calendar's colour. "Calendars…" makes, renames,
// recolours and deletes calendars (calendar_list.js); a checkbox per calendar shows or hides its
// events, the choice kept in this browser (the Standard calendar keeps its own in the session). Keys
// while it shows: t today, n / p next / previous, d / w / m / a day / week / month / agenda. An event opens in the event dialog (calendar_form.js); a click on an
// empty hour (week) or a day's number (month) starts a new event there.

import { config, t } from "./i18n.js";
import { Jmap } from "./jmap.js";
import { status } from "./layout.js";
import { AGENDA_DAYS, addDays, fromLocal, sameDay, startOfDay, step, viewSpan } from "./calendar_dates.js";
import { openEventForm, spanOf } from "./calendar_form.js";
import { openCalendarList } from "./calendar_list.js";
import { openFreeBusy } from "./calendar_freebusy.js";
import { instantOf, now, wallClock } from "./zone.js";
import { registerView } from "./views.js";
import { shareMenuButton } from "./sharing.js";
import { transferButtons } from "./transfer.js";

export const CALENDARS = "urn:ietf:params:jmap:calendars";
const VIEW_KEY = "fieldpost.ajax.calendar.view";
const VIEWS = ["day", "week", "month", "agenda"]; // the Standard calendar's (webmail/calendar/grid.py)
// the ids of the calendars this browser hides, per account (one browser may serve several)
// the Standard calendar's due reminders as JSON (webmail/ajax/calendar_reminders.py), under /ajax/
const REMINDERS_URL = `${config.read.replace(/read\/$/, "")}calendar/reminders`;
const REMINDER_EVERY = 60000; // refreshed each minute, as the Standard page's list
const HIDDEN_KEY = `fieldpost.ajax.calendar.hidden.${String(config.address || "").toLowerCase()}`;
const HOUR_PX = 40;
const PAGE = 500; // ids per CalendarEvent/query: what one /get takes (the session's maxObjectsInGet)
const MONTH_ROWS = 3; // events listed in a month cell before "n more"
const PROPERTIES = ["id", "baseEventId", "calendarIds", "title", "start", "timeZone", "duration", "showWithoutTime",
  "utcStart", "utcEnd", "recurrenceRules", "locations", "description", "participants", "alerts", "isOrigin"];

const root = document.querySelector(".ax-calendar");
const jmap = new Jmap();
jmap.using = [...jmap.using, CALENDARS];
const locale = document.documentElement.lang || undefined;

const state = {
  view: VIEWS.includes(localStorage.getItem(VIEW_KEY)) ? localStorage.getItem(VIEW_KEY) : "week",
  hidden: new Set(hiddenStored()),
  anchor: startOfDay(now()),
  calendars: [],
  events: [],
  connected: false,
  loading: 0,
  loaded: null, // the promise of the newest load()
  fresh: false, // state.events are the shown span's
};

function hiddenStored() {
  try {
    const ids = JSON.parse(localStorage.getItem(HIDDEN_KEY) || "[]");
    return Array.isArray(ids) ? ids.map(String) : [];
  } catch {
    return [];
  }
}

function button(label, action, extra = {}) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = t(label);
  element.dataset.action = action;
  for (const [name, value] of Object.entries(extra)) element.setAttribute(name, value);
  return element;
}

const bar = document.createElement("div");
bar.className = "ax-cal-bar";
const heading = document.createElement("h2");
heading.setAttribute("aria-live", "polite");
const viewButtons = Object.fromEntries(
  VIEWS.map((view) => [view, button(`cal_${view}`, view, { "aria-keyshortcuts": view[0] })]),
);
const newButton = button("cal_new_event", "new");
newButton.className = "primary";
const manageButton = button("cal_manage", "calendars");
const freeBusyButton = button("cal_freebusy", "freebusy");
bar.append(
  button("cal_today", "today", { "aria-keyshortcuts": "t" }),
  button("cal_previous", "previous", { "aria-keyshortcuts": "p", "aria-label": t("cal_previous") }),
  button("cal_next", "next", { "aria-keyshortcuts": "n", "aria-label": t("cal_next") }),
  heading, ...Object.values(viewButtons), newButton, manageButton, freeBusyButton,
);
bar.querySelector("[data-action=previous]").textContent = "‹";
bar.querySelector("[data-action=next]").textContent = "›";
const body = document.createElement("div");
body.className = "ax-cal-body";
// "Show": a checkbox per calendar (the Standard calendar's choice of shown calendars)
const shownBox = document.createElement("fieldset");
shownBox.className = "ax-cal-shown";
const shareButton = shareMenuButton(() => state.calendars, () => load());
// Import (.ics into a calendar the user may write) and Export (a calendar as .ics): transfer.js
const transfer = transferButtons({
  collections: () => state.calendars, writable: (c) => Boolean(c.myRights?.mayWriteAll), done: () => load(),
});
bar.append(shareButton, transfer.importButton, transfer.exportButton);
// "Reminders": the alarms that have rung for events not over yet, in the shown calendars
const remindersBox = document.createElement("section");
remindersBox.className = "ax-cal-reminders";
remindersBox.setAttribute("aria-live", "polite");
const remindersHead = document.createElement("h3");
remindersHead.textContent = t("cal_reminders");
const remindersList = document.createElement("ul");
remindersBox.append(remindersHead, remindersList);
root.append(bar, shownBox, remindersBox, body);

const actions = {
  today: () => go(startOfDay(now())),
  previous: () => go(step(state.view, state.anchor, false)),
  next: () => go(step(state.view, state.anchor, true)),
  day: () => setView("day"),
  week: () => setView("week"),
  month: () => setView("month"),
  agenda: () => setView("agenda"),
  new: () => create().catch(failed),
  calendars: () => manage().catch(failed),
  freebusy: () => openFreeBusy(),
};
bar.addEventListener("click", (event) => {
  const action = event.target.closest("button")?.dataset.action;
  if (action && actions[action]) actions[action]();
});

function go(anchor) {
  state.anchor = anchor;
  load();
}

function setView(view) {
  state.view = view;
  localStorage.setItem(VIEW_KEY, view);
  load();
}

function failed(error) {
  status(t("failed", { reason: error.message || String(error) }));
}

function load() {
  reminders().catch(() => {}); // a failed refresh keeps the list shown; the next minute tries again
  state.loaded = fetchSpan();
  return state.loaded;
}

// One request: the calendars, the instances in the span, and their properties.
async function fetchSpan() {
  const [first, last] = viewSpan(state.view, state.anchor);
  const ticket = ++state.loading;
  state.fresh = false; // the events held are another span's until this load ends
  render(); // the frame at once; events follow
  try {
    if (!state.connected) {
      await jmap.connect();
      state.connected = true;
    }
    const filter = { after: instantOf(first).toISOString(), before: instantOf(last).toISOString() };
    const page = (position) => [
      ["CalendarEvent/query", { filter, expandRecurrences: true, position, limit: PAGE, calculateTotal: true }, "query"],
      ["CalendarEvent/get", {
        "#ids": { resultOf: "query", name: "CalendarEvent/query", path: "/ids" },
        properties: PROPERTIES,
      }, "events"],
    ];
    const found = await jmap.batch([["Calendar/get", { ids: null }, "calendars"], ...page(0)]);
    const events = [...found.events.list];
    // a page at a time (what /get takes): a crowded month takes more than one
    for (let done = found.query.ids.length; done && done < found.query.total; ) {
      const more = await jmap.batch(page(done));
      if (!more.query.ids.length) break;
      events.push(...more.events.list);
      done += more.query.ids.length;
    }
    if (ticket !== state.loading) return;
    state.calendars = found.calendars.list;
    showChoice();
    shareButton.update();
    transfer.update();
    state.events = events.map((event) => ({ event, span: spanOf(event) }));
    state.fresh = true;
    render();
  } catch (error) {
    failed(error);
  }
}

function title() {
  const [first, last] = viewSpan(state.view, state.anchor);
  if (state.view === "month") {
    return new Intl.DateTimeFormat(locale, { month: "long", year: "numeric" }).format(state.anchor);
  }
  if (state.view === "day") {
    return new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric" })
      .format(state.anchor);
  }
  const format = new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric" });
  return format.formatRange ? format.formatRange(first, addDays(last, -1)) : format.format(first);
}

function render() {
  heading.textContent = title();
  for (const [view, element] of Object.entries(viewButtons)) element.setAttribute("aria-pressed", String(state.view === view));
  const timed = state.view === "week" || state.view === "day";
  const grids = { day: () => weekGrid(1), week: () => weekGrid(7), month: monthGrid, agenda: agendaList };
  body.replaceChildren(grids[state.view]());
  if (timed && body.dataset.scrolled !== state.view) {
    body.scrollTop = 7 * HOUR_PX;
    body.dataset.scrolled = state.view;
  }
}

// The "Show" checkboxes, one per calendar in its colour; a change redraws at once and is remembered.
function showChoice() {
  const legend = document.createElement("legend");
  legend.textContent = t("cal_show");
  shownBox.replaceChildren(legend);
  for (const calendar of state.calendars) {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `ax-cal-shown-${calendar.id}`;
    box.checked = !state.hidden.has(calendar.id);
    const label = document.createElement("label");
    label.htmlFor = box.id;
    const swatch = document.createElement("span");
    swatch.className = "ax-swatch";
    if (calendar.color) swatch.style.background = calendar.color;
    label.append(swatch, calendar.name);
    box.addEventListener("change", () => {
      if (box.checked) state.hidden.delete(calendar.id);
      else state.hidden.add(calendar.id);
      localStorage.setItem(HIDDEN_KEY, JSON.stringify([...state.hidden]));
      render();
      reminders().catch(() => {});
    });
    const item = document.createElement("span");
    item.append(box, label);
    shownBox.append(item);
  }
}

// An event shows unless every calendar it is in is hidden.
function shown(item) {
  return Object.keys(item.event.calendarIds || {}).some((id) => !state.hidden.has(id));
}

function chip(item, label) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "ax-event";
  element.dataset.id = item.event.id;
  const colour = state.calendars.find((c) => item.event.calendarIds?.[c.id])?.color;
  if (colour) element.style.borderInlineStartColor = colour;
  element.textContent = label;
  element.title = label;
  element.addEventListener("click", (event) => {
    event.stopPropagation();
    show(item.event).catch(failed);
  });
  return element;
}

function timeLabel(date) {
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(date);
}

function eventsOn(day) {
  const next = addDays(day, 1);
  return state.events
    .filter(shown)
    .filter(({ span: [start, end] }) => start < next && (end > day || (+end === +start && start >= day)))
    .sort((a, b) => a.span[0] - b.span[0]);
}

// The hours grid of `count` days: the week, or the day view (one column).
function weekGrid(count) {
  const [first] = viewSpan(count === 1 ? "day" : "week", state.anchor);
  const grid = document.createElement("div");
  grid.className = count === 1 ? "ax-week ax-one-day" : "ax-week";
  const days = [...Array(count).keys()].map((n) => addDays(first, n));
  const today = now();
  const dayName = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "numeric" });
  grid.append(document.createElement("div"));
  for (const day of days) {
    const head = document.createElement("div");
    head.className = "ax-week-head" + (sameDay(day, today) ? " ax-today" : "");
    head.textContent = dayName.format(day);
    grid.append(head);
  }
  const allDayLabel = document.createElement("div");
  allDayLabel.className = "ax-hour";
  allDayLabel.textContent = t("cal_all_day");
  grid.append(allDayLabel);
  for (const day of days) {
    const strip = document.createElement("div");
    strip.className = "ax-allday";
    for (const item of eventsOn(day).filter((i) => i.event.showWithoutTime)) {
      strip.append(chip(item, item.event.title || t("cal_no_title")));
    }
    grid.append(strip);
  }
  const hours = document.createElement("div");
  hours.className = "ax-hours";
  for (let h = 0; h < 24; h++) {
    const label = document.createElement("div");
    label.className = "ax-hour";
    label.textContent = timeLabel(new Date(2000, 0, 1, h));
    hours.append(label);
  }
  grid.append(hours);
  for (const day of days) grid.append(dayColumn(day, sameDay(day, today)));
  return grid;
}

// One day of the week view: its timed events placed by time, side by side where they overlap.
function dayColumn(day, isToday) {
  const column = document.createElement("div");
  column.className = "ax-day" + (isToday ? " ax-today" : "");
  column.dataset.day = day.toISOString();
  const next = addDays(day, 1);
  const lanes = [];
  const placed = [];
  for (const item of eventsOn(day).filter((i) => !i.event.showWithoutTime)) {
    const start = item.span[0] < day ? day : item.span[0];
    const end = item.span[1] > next ? next : item.span[1];
    let lane = lanes.findIndex((busyUntil) => busyUntil <= start);
    if (lane < 0) lane = lanes.push(0) - 1;
    lanes[lane] = end;
    placed.push({ item, start, end, lane });
  }
  for (const { item, start, end, lane } of placed) {
    const element = chip(item, `${timeLabel(item.span[0])} ${item.event.title || t("cal_no_title")}`);
    const top = ((start - day) / 3600000) * HOUR_PX;
    element.style.top = `${top}px`;
    element.style.height = `${Math.max(((end - start) / 3600000) * HOUR_PX - 2, 18)}px`;
    element.style.left = `${(lane * 100) / lanes.length}%`;
    element.style.width = `${100 / lanes.length}%`;
    column.append(element);
  }
  column.addEventListener("click", (event) => {
    if (event.target !== column) return;
    const hour = Math.floor(event.offsetY / HOUR_PX);
    const start = new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour);
    create(start).catch(failed);
  });
  return column;
}

function monthGrid() {
  const [first, last] = viewSpan("month", state.anchor);
  const grid = document.createElement("div");
  grid.className = "ax-month";
  const weekday = new Intl.DateTimeFormat(locale, { weekday: "short" });
  for (let n = 0; n < 7; n++) {
    const head = document.createElement("div");
    head.className = "ax-month-head";
    head.textContent = weekday.format(addDays(first, n));
    grid.append(head);
  }
  const today = now();
  for (let day = first; day < last; day = addDays(day, 1)) {
    const cell = document.createElement("div");
    cell.className = "ax-cell";
    if (day.getMonth() !== state.anchor.getMonth()) cell.classList.add("ax-other");
    if (sameDay(day, today)) cell.classList.add("ax-today");
    cell.dataset.day = day.toISOString();
    const date = document.createElement("button");
    date.type = "button";
    date.className = "ax-date ax-link";
    date.textContent = String(day.getDate());
    const start = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 9);
    date.addEventListener("click", () => create(start).catch(failed));
    cell.append(date);
    const found = eventsOn(day);
    for (const item of found.slice(0, MONTH_ROWS)) {
      const label = item.event.showWithoutTime ? item.event.title : `${timeLabel(item.span[0])} ${item.event.title}`;
      cell.append(chip(item, label || t("cal_no_title")));
    }
    if (found.length > MONTH_ROWS) {
      const more = document.createElement("button");
      more.type = "button";
      more.className = "ax-more";
      more.textContent = t("cal_more", { count: found.length - MONTH_ROWS });
      const shown = day;
      more.addEventListener("click", () => { state.anchor = shown; setView("week"); });
      cell.append(more);
    }
    grid.append(cell);
  }
  return grid;
}

// The agenda: the days of the span that have something, each with its events (as the Standard
// agenda lists them); a day's heading opens that day.
function agendaList() {
  const [first] = viewSpan("agenda", state.anchor);
  const list = document.createElement("div");
  list.className = "ax-agenda";
  const dayName = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long" });
  const today = now();
  for (let n = 0; n < AGENDA_DAYS; n++) {
    const day = addDays(first, n);
    const found = eventsOn(day);
    if (!found.length) continue;
    const section = document.createElement("section");
    section.className = "ax-agenda-day" + (sameDay(day, today) ? " ax-today" : "");
    section.dataset.day = day.toISOString();
    const head = document.createElement("h3");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "ax-link";
    open.textContent = dayName.format(day);
    open.addEventListener("click", () => { state.anchor = day; setView("day"); });
    head.append(open);
    section.append(head);
    for (const item of found) {
      const label = item.event.showWithoutTime ? `${t("cal_all_day")} ${item.event.title || t("cal_no_title")}`
        : `${timeLabel(item.span[0])} ${item.event.title || t("cal_no_title")}`;
      section.append(chip(item, label));
    }
    list.append(section);
  }
  if (!list.children.length && state.fresh) {
    const empty = document.createElement("p");
    empty.className = "ax-empty";
    empty.textContent = t("cal_agenda_empty", { count: AGENDA_DAYS });
    list.append(empty);
  }
  return list;
}

// The due reminders (the Standard list): each event's title, day and time on the account's clock, place.
async function reminders() {
  const hidden = [...state.hidden].map(encodeURIComponent).join(",");
  const response = await fetch(`${REMINDERS_URL}?hidden=${hidden}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(String(response.status));
  const found = (await response.json()).reminders;
  const day = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short" });
  remindersList.replaceChildren(...found.map((r) => {
    const item = document.createElement("li");
    const start = r.allDay ? fromLocal(`${r.start}T00:00:00`) : wallClock(new Date(r.start));
    const when = r.allDay ? day.format(start) : `${day.format(start)} ${timeLabel(start)}`;
    item.textContent = `${r.title || t("cal_no_title")} — ${when}${r.location ? ` — ${r.location}` : ""}`;
    return item;
  }));
  if (!found.length) {
    const empty = document.createElement("li");
    empty.className = "ax-empty";
    empty.textContent = t("cal_nothing_due");
    remindersList.append(empty);
  }
}

setInterval(() => {
  if (document.body.classList.contains("ax-view-calendar") && !document.hidden) reminders().catch(() => {});
}, REMINDER_EVERY);

function done(outcome) {
  status(t({ deleted: "cal_deleted", answered: "cal_answered" }[outcome] ?? "cal_saved"));
  load();
}

async function create(start = null) {
  await state.loaded; // the calendars it may go in
  const hour = now().getHours() + 1;
  const first = start ?? new Date(state.anchor.getFullYear(), state.anchor.getMonth(), state.anchor.getDate(), hour);
  openEventForm({
    jmap, calendars: state.calendars, start: first, end: new Date(+first + 3600000), onDone: done,
  });
}

// An event clicked: the series it belongs to and the occurrence itself, fetched whole, in the dialog.
async function show(event) {
  const id = event.baseEventId || event.id;
  const answer = await jmap.call("CalendarEvent/get", { ids: [...new Set([id, event.id])] });
  const series = answer.list.find((e) => e.id === id);
  const instance = answer.list.find((e) => e.id === event.id) ?? event;
  if (!series) return load();
  openEventForm({ jmap, calendars: state.calendars, series, instance, onDone: done });
}

async function manage() {
  await state.loaded;
  await openCalendarList({ jmap, calendars: state.calendars, onChange: load });
}

// The calendar's keys, before the mail view's (keys.js) see them: while the calendar shows, the mail
// shortcuts would act on the hidden list.
window.addEventListener("keydown", (event) => {
  if (!document.body.classList.contains("ax-view-calendar")) return;
  if (document.querySelector(".ax-dialog-back, .ax-help")) return;
  if (event.target.closest?.("input, textarea, select, [contenteditable=true]")) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const action = { t: "today", n: "next", p: "previous", d: "day", w: "week", m: "month", a: "agenda" }[event.key];
  if (!action) return; // views.js holds the mail view's keys back
  event.stopPropagation();
  event.preventDefault();
  actions[action]();
}, true);

// Back to the tab: what other clients (CalDAV, the Standard calendar, a phone) changed meanwhile.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && document.body.classList.contains("ax-view-calendar")) load();
});

registerView("calendar", load);
