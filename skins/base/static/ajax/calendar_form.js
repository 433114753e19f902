// The event dialog of the calendar view: shows an event, and creates, changes, moves or deletes one
// over JMAP (CalendarEvent/set, draft-ietf-jmap-calendars). Times are entered on the account's clock
// (its user.timezone, zone.js), as on the Standard pages; a repeat is the Standard form's (daily,
// weekly on chosen weekdays, monthly, yearly; every N; ending never, after N times or on a day), and a
// rule made elsewhere that the form cannot show is kept as it is unless changed here. An occurrence
// of a series opens with the choice "only this occurrence / the whole series", as the Standard form asks: one occurrence is
// changed as a recurrenceOverrides entry (its title, times, place and description), or deleted alone.
// A reminder is the Standard form's choice (a display alarm, which the server's reminder mails
// follow); attendees are invited by the server (sendSchedulingMessages) and their answers shown; an
// attendee answers someone else's invitation here (Accept / Tentative / Decline: a REPLY goes back).
// As on the Standard form, a timed event has its own time zone (`timeZone`), in which the form's times
// are typed and shown (the grid still shows the account's clock), and categories (`keywords`, the
// VEVENT's CATEGORIES), typed separated by commas. "Free/busy of the attendees" opens the free/busy
// grid (calendar_freebusy.js) for the user and the people typed, on the event's day, its time marked.

import { config, t } from "./i18n.js";
import { JmapError } from "./jmap.js";
import {
  DAY_MS, addDays, dateText, durationMs, durationText, fromInputs, fromLocal, localDateTime, timeText,
} from "./calendar_dates.js";
import { ZONE, toAccountClock, wallClock } from "./zone.js";
import { openFreeBusy } from "./calendar_freebusy.js";

// The Standard form's reminder choices, in minutes before the start (webmail/calendar/event_form.py).
const REMINDERS = [0, 5, 10, 15, 30, 60, 120, 1440, 2880, 10080];
// The Standard form's limits on categories (webmail/calendar/event_form.py).
const MAX_CATEGORIES = 20;
const MAX_CATEGORY = 64;
const ADDRESS = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+$/;

// [start, end) of an event object as wall-clock Dates on the account's clock: an all-day event from
// midnight to midnight, a floating one (no timeZone) at its wall-clock time, a zoned one at its instant.
export function spanOf(event) {
  if (event.showWithoutTime) {
    const start = fromLocal(event.start);
    return [start, addDays(start, Math.max(1, Math.round(durationMs(event.duration) / DAY_MS)))];
  }
  if (!event.timeZone) {
    const start = fromLocal(event.start);
    return [start, new Date(+start + durationMs(event.duration))];
  }
  return [wallClock(new Date(event.utcStart)), wallClock(new Date(event.utcEnd))];
}

// [start, end) of an event as the form shows it: a timed event on its own zone's clock (its start is
// that zone's LocalDateTime), others as spanOf.
function formSpan(event) {
  if (event.showWithoutTime || !event.timeZone) return spanOf(event);
  const start = fromLocal(event.start);
  return [start, new Date(+start + durationMs(event.duration))];
}

// The zones to choose from: the browser's list of IANA names, with UTC, the account's and the event's.
function zoneNames(current) {
  const names = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set([current, ZONE, "UTC", ...names])].filter(Boolean).sort();
}

// The keywords of the typed categories, as the Standard form reads them: split on commas, spaces
// squeezed, the same word twice (in any case) once; an Error past its limits.
export function keywordsOf(text) {
  const found = [];
  for (const part of text.split(",")) {
    const name = part.split(/\s+/).filter(Boolean).join(" ");
    if (name && !found.some((f) => f.toLowerCase() === name.toLowerCase())) found.push(name);
  }
  if (found.length > MAX_CATEGORIES || found.some((name) => name.length > MAX_CATEGORY)) {
    throw new Error(t("cal_categories_limits"));
  }
  return found.length ? Object.fromEntries(found.map((name) => [name, true])) : null;
}

// The Standard form's repeat choice (webmail/calendar/recurrence.py): every N days, weeks (on chosen
// weekdays), months (on the start's day) or years, ending never, after a count or on a date. A rule with
// anything more (nth weekdays, month days, several rules...) is "kept": written back untouched.
const FREQUENCIES = ["daily", "weekly", "monthly", "yearly"];
const WEEKDAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"];
const RULE_PARTS = ["@type", "frequency", "interval", "byDay", "count", "until", "firstDayOfWeek"];
const MAX_INTERVAL = 999;
const MAX_COUNT = 5000;
const LAST_YEAR = 2200;

// The form's view of an event's rules: "none", "kept", or { frequency, interval, weekdays, ending,
// count, until } (until: the last day, YYYY-MM-DD, on the event's clock).
export function repeatOf(event) {
  const rules = event?.recurrenceRules;
  if (!rules || !rules.length) return "none";
  const [rule] = rules;
  if (rules.length !== 1 || !FREQUENCIES.includes(rule.frequency)) return "kept";
  if (Object.keys(rule).some((k) => !RULE_PARTS.includes(k))) return "kept";
  const days = rule.byDay || [];
  if (days.some((d) => d.nthOfPeriod || !WEEKDAYS.includes(d.day))) return "kept";
  if (days.length && rule.frequency !== "weekly") return "kept";
  const ending = rule.count ? "count" : rule.until ? "until" : "never";
  return {
    frequency: rule.frequency,
    interval: rule.interval || 1,
    weekdays: WEEKDAYS.filter((d) => days.some((n) => n.day === d)),
    ending,
    count: rule.count || null,
    until: ending === "until" ? String(rule.until).slice(0, 10) : null,
  };
}

// The draft's recurrenceRules for a repeat (null: none). UNTIL as the Standard form writes it: the end
// of the last day on the event's clock (an all-day event: the day).
export function rulesOf(repeat, allDay) {
  if (!repeat || repeat === "none") return null;
  const rule = { "@type": "RecurrenceRule", frequency: repeat.frequency };
  if (repeat.interval > 1) rule.interval = repeat.interval;
  if (repeat.frequency === "weekly" && repeat.weekdays.length) {
    rule.byDay = WEEKDAYS.filter((d) => repeat.weekdays.includes(d)).map((day) => ({ "@type": "NDay", day }));
  }
  if (repeat.ending === "count" && repeat.count) rule.count = repeat.count;
  else if (repeat.ending === "until" && repeat.until) rule.until = `${repeat.until}T${allDay ? "00:00:00" : "23:59:59"}`;
  return [rule];
}

// The reminder choice of an event's alerts: "" none, minutes before the start, or "kept" (alerts made
// elsewhere that the choice cannot show: kept unless changed).
function reminderOf(event) {
  const alerts = Object.values(event?.alerts || {});
  if (!alerts.length) return "";
  const [alert] = alerts;
  const trigger = alert.trigger || {};
  const found = /^-P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$|^PT0S$/.exec(trigger.offset || "");
  if (alerts.length === 1 && trigger["@type"] !== "AbsoluteTrigger" && trigger.relativeTo !== "end" && found) {
    const minutes = (Number(found[1] || 0) * 24 + Number(found[2] || 0)) * 60 + Number(found[3] || 0);
    if (REMINDERS.includes(minutes) && (alert.action || "display") === "display") return String(minutes);
  }
  return "kept";
}

function alertsOf(choice) {
  if (choice === "") return null;
  const minutes = Number(choice);
  const offset = minutes ? `-${durationText(minutes * 60000)}` : "PT0S";
  return { 1: { "@type": "Alert", trigger: { "@type": "OffsetTrigger", offset }, action: "display" } };
}

// The attendees of an event's participants (everyone but the owner, unless the owner also attends).
function attendeesOf(event) {
  return Object.values(event?.participants || {}).filter((p) => p.roles?.attendee && !p.roles?.owner);
}

function ownerOf(event) {
  return Object.values(event?.participants || {}).find((p) => p.roles?.owner) ?? null;
}

// The participants to write for the addresses typed: those already invited keep their objects (their
// answers), new ones are invited; the owner stays (the server makes the user the owner of a new meeting).
function participantsFor(event, addresses) {
  if (!addresses.length) return null;
  const known = new Map(attendeesOf(event).map((p) => [p.email.toLowerCase(), p]));
  const out = {};
  const owner = Object.entries(event?.participants || {}).find(([, p]) => p.roles?.owner);
  if (owner) out[owner[0]] = owner[1];
  addresses.forEach((address, n) => {
    out[`a${n + 1}`] = known.get(address.toLowerCase()) ?? {
      "@type": "Participant", email: address, sendTo: { imip: `mailto:${address}` },
      roles: { attendee: true }, participationStatus: "needs-action",
    };
  });
  return out;
}

function splitAddresses(text) {
  const found = [];
  for (const part of text.split(/[,;\n]+/)) {
    const address = part.trim().replace(/^.*<([^>]*)>.*$/, "$1");
    if (!address) continue;
    if (!ADDRESS.test(address)) throw new Error(t("cal_bad_address", { address: address.slice(0, 80) }));
    if (!found.some((a) => a.toLowerCase() === address.toLowerCase())) found.push(address);
  }
  return found;
}

function field(form, label, input, wide = false) {
  const caption = document.createElement("label");
  caption.textContent = label;
  caption.htmlFor = input.id;
  if (wide) {
    caption.className = "ax-wide";
    input.classList.add("ax-wide");
  }
  form.append(caption, input);
  return input;
}

function input(id, type, value = "") {
  const element = document.createElement(type === "textarea" ? "textarea" : "input");
  if (type !== "textarea") element.type = type;
  element.id = id;
  element.name = id;
  element.value = value;
  return element;
}

function select(id, options, value) {
  const element = document.createElement("select");
  element.id = id;
  element.name = id;
  for (const [key, label] of options) element.append(new Option(label, key, false, key === value));
  return element;
}

function line(parent, ...children) {
  const element = document.createElement("p");
  element.className = "ax-wide ax-repeat-detail";
  element.append(...children);
  parent.append(element);
  return element;
}

function labelled(control, text) {
  const caption = document.createElement("label");
  caption.htmlFor = control.id;
  caption.textContent = text;
  return caption;
}

function words(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

// The repeat details under the choice, as on the Standard form: "Every N", "On" weekdays (weekly),
// "Ends never / after N times / on a day"; shown only for a repeat the form makes.
function repeatFields(grid, was) {
  const interval = input("ax-ev-interval", "number", String(was?.interval ?? 1));
  interval.min = "1";
  interval.max = String(MAX_INTERVAL);
  interval.className = "ax-narrow";
  const every = line(grid, labelled(interval, t("cal_repeat_every")), " ", interval, " ", words(t("cal_repeat_every_hint")));
  const dayName = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { weekday: "short" });
  const weekdays = {};
  const on = line(grid, words(t("cal_repeat_on")));
  WEEKDAYS.forEach((day, n) => {
    const box = input(`ax-ev-weekday-${day}`, "checkbox", day);
    box.checked = Boolean(was?.weekdays.includes(day));
    weekdays[day] = box;
    on.append(" ", box, labelled(box, dayName.format(new Date(2024, 0, 1 + n)))); // 1 Jan 2024: a Monday
  });
  const endings = {};
  const count = input("ax-ev-count", "number", was?.count ? String(was.count) : "");
  count.min = "1";
  count.max = String(MAX_COUNT);
  count.className = "ax-narrow";
  count.setAttribute("aria-label", t("cal_repeat_count"));
  const until = input("ax-ev-until", "date", was?.until ?? "");
  until.setAttribute("aria-label", t("cal_repeat_until"));
  const ends = line(grid, words(t("cal_ends")));
  for (const [value, label, after] of [["never", "cal_repeat_never", []], ["count", "cal_repeat_after", [" ", count, " ", words(t("cal_repeat_times"))]], ["until", "cal_repeat_on_day", [" ", until]]]) {
    const radio = input(`ax-ev-ends-${value}`, "radio", value);
    radio.name = "ax-ev-ends";
    radio.checked = (was?.ending ?? "never") === value;
    endings[value] = radio;
    ends.append(" ", radio, labelled(radio, t(label)), ...after);
  }
  count.addEventListener("input", () => { endings.count.checked = true; });
  until.addEventListener("input", () => { endings.until.checked = true; });
  return {
    rows: { every, on, ends },
    controls: [interval, count, until, ...Object.values(weekdays), ...Object.values(endings)],
    // the repeat the fields say for `frequency`, or an Error with the Standard form's words
    read(frequency, startDay) {
      const every = Number(interval.value || "1");
      if (!Number.isInteger(every) || every < 1 || every > MAX_INTERVAL) throw new Error(t("cal_repeat_bad_interval"));
      const ending = Object.keys(endings).find((k) => endings[k].checked) ?? "never";
      let times = null;
      if (ending === "count") {
        times = Number(count.value);
        if (!count.value || !Number.isInteger(times) || times < 1 || times > MAX_COUNT) throw new Error(t("cal_repeat_bad_count"));
      }
      if (ending === "until") {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(until.value)) throw new Error(t("cal_repeat_bad_until"));
        if (Number(until.value.slice(0, 4)) > LAST_YEAR) throw new Error(t("cal_repeat_late_until"));
        if (until.value < startDay) throw new Error(t("cal_repeat_until_before"));
      }
      return {
        frequency,
        interval: every,
        weekdays: frequency === "weekly" ? WEEKDAYS.filter((d) => weekdays[d].checked) : [],
        ending,
        count: times,
        until: ending === "until" ? until.value : null,
      };
    },
  };
}

function refusal(answer, key) {
  const error = answer?.[key] && Object.values(answer[key])[0];
  return error ? new JmapError(error.type, error.description) : null;
}

function checked(answer, key) {
  const refused = refusal(answer, key);
  if (refused) throw refused;
  return answer;
}

// Open the dialog. `series`: the stored event (null for a new one); `instance`: the occurrence clicked
// (its own values, for "only this occurrence"); `start`, `end`, `allDay`: a new event's times.
// Resolves when closed.
export function openEventForm({ jmap, calendars, series = null, instance = null, start, end, allDay = false, onDone }) {
  const writable = calendars.filter((c) => c.myRights?.mayWriteAll);
  const calendarId = series ? Object.keys(series.calendarIds)[0] : (writable.find((c) => c.isDefault) ?? writable[0])?.id;
  const mayWrite = series ? Boolean(calendars.find((c) => c.id === calendarId)?.myRights?.mayWriteAll) : writable.length > 0;
  const occurrence = Boolean(series && instance && instance.id !== series.id && instance.baseEventId);
  const owner = ownerOf(series);
  const organizing = !owner || series?.isOrigin !== false;
  const back = document.createElement("div");
  back.className = "ax-dialog-back";
  const form = document.createElement("form");
  form.className = "ax-dialog ax-event-dialog";
  form.setAttribute("role", "dialog");
  form.setAttribute("aria-modal", "true");
  form.setAttribute("aria-label", t("cal_event"));
  const heading = document.createElement("h2");
  heading.textContent = series ? (series.title || t("cal_no_title")) : t("cal_new_event");

  // "only this occurrence / the whole series" (the Standard form's choice), this occurrence first
  const scope = document.createElement("fieldset");
  scope.className = "ax-scope";
  const scopeRadios = {};
  if (occurrence && mayWrite) {
    const legend = document.createElement("legend");
    legend.textContent = t("cal_scope");
    scope.append(legend);
    for (const [value, label] of [["this", "cal_scope_this"], ["all", "cal_scope_all"]]) {
      const radio = input(`ax-ev-scope-${value}`, "radio", value);
      radio.name = "ax-ev-scope";
      radio.checked = value === "this";
      const caption = document.createElement("label");
      caption.htmlFor = radio.id;
      caption.textContent = t(label);
      scope.append(radio, caption);
      scopeRadios[value] = radio;
    }
  }

  const grid = document.createElement("div");
  grid.className = "ax-event-form";
  const title = field(grid, t("cal_title"), input("ax-ev-title", "text"));
  const whole = input("ax-ev-allday", "checkbox");
  field(grid, t("cal_all_day"), whole);
  const startDay = field(grid, t("cal_starts"), input("ax-ev-start-day", "date"));
  const startTime = field(grid, "", input("ax-ev-start-time", "time"));
  const endDay = field(grid, t("cal_ends"), input("ax-ev-end-day", "date"));
  const endTime = field(grid, "", input("ax-ev-end-time", "time"));
  startTime.setAttribute("aria-label", t("cal_starts"));
  endTime.setAttribute("aria-label", t("cal_ends"));
  const repeats = [["none", t("cal_repeat_none")], ...FREQUENCIES.map((f) => [f, t(`cal_repeat_${f}`)])];
  const was = repeatOf(series);
  if (was === "kept") repeats.push(["kept", t("cal_repeat_kept")]);
  const repeat = field(grid, t("cal_repeat"), select("ax-ev-repeat", repeats, typeof was === "string" ? was : was.frequency));
  const rules = repeatFields(grid, typeof was === "string" ? null : was);
  const ownZone = series && !series.showWithoutTime && series.timeZone ? series.timeZone : ZONE;
  const zone = field(grid, t("cal_time_zone"), select("ax-ev-zone", zoneNames(ownZone).map((z) => [z, z]), ownZone));
  const where = field(grid, t("cal_location"), input("ax-ev-location", "text"));
  const places = series ? writable.some((c) => c.id === calendarId) ? writable : calendars.filter((c) => c.id === calendarId) : writable;
  const place = field(grid, t("cal_calendar"), select("ax-ev-calendar", places.map((c) => [c.id, c.name]), calendarId));
  const reminders = [["", t("cal_reminder_none")], ...REMINDERS.map((m) => [String(m), t(`cal_reminder_${m}`)])];
  const wasReminder = reminderOf(series);
  if (wasReminder === "kept") reminders.push(["kept", t("cal_repeat_kept")]);
  const reminder = field(grid, t("cal_reminder"), select("ax-ev-reminder", reminders, wasReminder));
  const typed = attendeesOf(series).map((p) => p.email).join(", ");
  const invite = field(grid, t("cal_attendees"), input("ax-ev-attendees", "text", typed), true);
  invite.placeholder = t("cal_attendees_hint");
  invite.setAttribute("aria-description", t("cal_attendees_hint"));
  // the attendees' free/busy grid on the event's day, its hours marked (calendar_freebusy.js)
  const freeBusy = document.createElement("button");
  freeBusy.type = "button";
  freeBusy.className = "ax-fb-button";
  freeBusy.textContent = t("cal_fb_attendees");
  line(grid, freeBusy).classList.add("ax-fb-open");
  const categories = field(grid, t("cal_categories"), input("ax-ev-categories", "text"), true);
  categories.placeholder = t("cal_categories_hint");
  const about = field(grid, t("cal_description"), input("ax-ev-description", "textarea"), true);

  // the attendees' answers, as the organizer's copy holds them (the server files their replies there)
  const answers = document.createElement("ul");
  answers.className = "ax-answers";
  answers.setAttribute("aria-label", t("cal_attendees"));
  if (owner) {
    const item = document.createElement("li");
    item.textContent = `${owner.name || owner.email} — ${t("cal_organizer")}`;
    answers.append(item);
  }
  for (const person of attendeesOf(series)) {
    const item = document.createElement("li");
    item.dataset.email = person.email;
    item.dataset.status = person.participationStatus || "needs-action";
    item.textContent = `${person.name ? `${person.name} <${person.email}>` : person.email} — ${t(`cal_answer_${item.dataset.status}`)}`;
    answers.append(item);
  }

  const note = document.createElement("p");
  const notes = [];
  if (!mayWrite) notes.push(series ? t("cal_read_only") : t("cal_no_calendar"));
  else if (series && !organizing) notes.push(t("cal_not_organizer", { address: owner.email }));
  note.textContent = notes.join(" ");
  const seriesNote = document.createElement("p");
  const error = document.createElement("p");
  error.className = "ax-error";
  error.setAttribute("role", "alert");
  freeBusy.addEventListener("click", () => {
    error.textContent = "";
    let people;
    try {
      people = splitAddresses(invite.value);
    } catch (problem) {
      error.textContent = problem.message;
      return;
    }
    // the user first, then the organizer of someone else's meeting, then the attendees typed
    const who = [];
    for (const address of [config.address, owner?.email, ...people]) {
      if (address && !who.some((a) => a.toLowerCase() === address.toLowerCase())) who.push(address);
    }
    // the form's times are on the event's own zone's clock; the grid shows the account's
    let proposed = null;
    if (!whole.checked && startDay.value && endDay.value) {
      const first = toAccountClock(fromInputs(startDay.value, startTime.value), zone.value);
      const last = toAccountClock(fromInputs(endDay.value, endTime.value), zone.value);
      if (last > first) proposed = [first, last];
    }
    const day = proposed ? proposed[0] : startDay.value ? fromInputs(startDay.value) : start;
    openFreeBusy({ who, day, proposed });
  });
  const actions = document.createElement("p");
  actions.className = "ax-actions";
  const button = (label, handler, kind = "button") => {
    const element = document.createElement("button");
    element.type = kind;
    element.textContent = t(label);
    if (handler) element.addEventListener("click", handler);
    actions.append(element);
    return element;
  };

  // read-only, an occurrence shows its own values; writable, what the choice says
  const oneOnly = () => occurrence && (scopeRadios.this ? scopeRadios.this.checked : true);
  // The fields of what the choice edits: the occurrence's own values, or the series'.
  const fill = () => {
    const shown = oneOnly() ? instance : series;
    let [first, last] = shown ? formSpan(shown) : [start, end];
    const day = shown ? shown.showWithoutTime : allDay;
    if (day && shown) last = addDays(last, -1);
    title.value = shown?.title ?? "";
    whole.checked = day;
    startDay.value = dateText(first);
    startTime.value = timeText(first);
    endDay.value = dateText(last);
    endTime.value = timeText(last);
    where.value = shown?.locations ? Object.values(shown.locations)[0]?.name ?? "" : "";
    about.value = shown?.description ?? "";
    categories.value = Object.keys(series?.keywords || {}).join(", ");
    const one = oneOnly();
    for (const element of [whole, zone, categories, repeat, place, reminder, invite, ...rules.controls]) element.disabled = !mayWrite || one;
    if (!organizing) invite.disabled = true;
    seriesNote.textContent = mayWrite && series && was !== "none" && !one ? t("cal_series_note") : "";
    syncTimes();
  };
  const syncTimes = () => {
    startTime.hidden = endTime.hidden = whole.checked;
    zone.hidden = whole.checked;
    if (zone.labels?.[0]) zone.labels[0].hidden = whole.checked;
  };
  whole.addEventListener("change", syncTimes);
  const syncRepeat = () => {
    const made = FREQUENCIES.includes(repeat.value);
    rules.rows.every.hidden = rules.rows.ends.hidden = !made;
    rules.rows.on.hidden = repeat.value !== "weekly";
  };
  repeat.addEventListener("change", syncRepeat);
  syncRepeat();
  for (const radio of Object.values(scopeRadios)) radio.addEventListener("change", fill);
  for (const element of grid.querySelectorAll("input, select, textarea")) if (!mayWrite) element.disabled = true;
  fill();
  if (occurrence && mayWrite) form.append(heading, scope, grid, answers, note, seriesNote, error, actions);
  else form.append(heading, grid, answers, note, seriesNote, error, actions);
  if (!answers.children.length) answers.hidden = true;
  back.append(form);
  const opener = document.activeElement;

  return new Promise((resolve) => {
    const close = (changed) => {
      back.remove();
      opener?.focus?.();
      if (changed) onDone?.(changed);
      resolve(changed);
    };
    const run = async (work) => {
      for (const b of actions.querySelectorAll("button")) b.disabled = true;
      try {
        close(await work());
      } catch (problem) {
        error.textContent = problem.message;
        for (const b of actions.querySelectorAll("button")) b.disabled = false;
      }
    };
    const meeting = Boolean(series?.participants);
    if (mayWrite) {
      const save = button("cal_save", null, "submit");
      save.classList.add("primary");
    }
    // the user's own place among the attendees of someone else's meeting: their answer
    const own = organizing ? null : Object.entries(series?.participants || {})
      .find(([, p]) => p.roles?.attendee && p.email?.toLowerCase() === String(config.address).toLowerCase());
    if (own && mayWrite) {
      for (const [status, label] of [["accepted", "cal_accept"], ["tentative", "cal_tentative"], ["declined", "cal_decline"]]) {
        const answer = button(label, () => run(async () => {
          checked(await jmap.call("CalendarEvent/set", {
            update: { [series.id]: { [`participants/${own[0]}/participationStatus`]: status } },
            sendSchedulingMessages: true,
          }), "notUpdated");
          return "answered";
        }));
        answer.dataset.answer = status;
        answer.setAttribute("aria-pressed", String(own[1].participationStatus === status));
      }
    }
    if (series && mayWrite) {
      if (occurrence) {
        button("cal_delete_one", () => run(async () => {
          checked(await jmap.call("CalendarEvent/set", { destroy: [instance.id], sendSchedulingMessages: meeting }), "notDestroyed");
          return "deleted";
        }));
      }
      button(occurrence ? "cal_delete_series" : "cal_delete", () => run(async () => {
        checked(await jmap.call("CalendarEvent/set", { destroy: [series.id], sendSchedulingMessages: meeting }), "notDestroyed");
        return "deleted";
      }));
    }
    button("cal_cancel", () => close(null));
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      close(null);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!mayWrite) return;
      run(async () => {
        const text = title.value.trim();
        if (!text) throw new Error(t("cal_title_needed"));
        const first = fromInputs(startDay.value, whole.checked ? "00:00" : startTime.value);
        const last = whole.checked ? addDays(fromInputs(endDay.value), 1) : fromInputs(endDay.value, endTime.value);
        if (!(last > first) || Number.isNaN(first.getTime())) throw new Error(t("cal_end_before_start"));
        const location = where.value.trim() ? { 1: { "@type": "Location", name: where.value.trim() } } : null;
        if (oneOnly()) {
          // an override of this occurrence: its start in the series' own zone (the draft's rule), in
          // which the form shows it
          const patch = {
            title: text,
            description: about.value,
            locations: location,
            start: localDateTime(first),
            duration: durationText(last - first, series.showWithoutTime),
          };
          checked(await jmap.call("CalendarEvent/set", {
            update: { [instance.id]: patch }, sendSchedulingMessages: meeting,
          }), "notUpdated");
          return "saved";
        }
        const addresses = organizing ? splitAddresses(invite.value) : null;
        const values = {
          title: text,
          start: localDateTime(first),
          timeZone: whole.checked ? null : zone.value,
          showWithoutTime: whole.checked,
          duration: durationText(last - first, whole.checked),
          locations: location,
          description: about.value,
          keywords: keywordsOf(categories.value),
        };
        const chosen = FREQUENCIES.includes(repeat.value) ? rules.read(repeat.value, startDay.value) : repeat.value;
        const ruleText = (r) => JSON.stringify(rulesOf(r, whole.checked));
        if (chosen !== "kept") values.recurrenceRules = rulesOf(chosen, whole.checked);
        if (reminder.value !== "kept") values.alerts = alertsOf(reminder.value);
        if (addresses) values.participants = participantsFor(series, addresses);
        const send = Boolean(values.participants || series?.participants);
        if (series) {
          const moved = first.getTime() !== formSpan(series)[0].getTime() || Boolean(series.timeZone && values.timeZone && values.timeZone !== series.timeZone);
          const ruleChanged = chosen !== "kept" && (was === "kept" || ruleText(chosen) !== ruleText(was));
          if (ruleChanged || moved) values.recurrenceOverrides = null; // old exceptions no longer fit
          if (addresses && JSON.stringify(values.participants) === JSON.stringify(series.participants ?? null)) {
            delete values.participants;
          }
          if (place.value !== calendarId) values.calendarIds = { [place.value]: true }; // a move
          checked(await jmap.call("CalendarEvent/set", {
            update: { [series.id]: values }, sendSchedulingMessages: send,
          }), "notUpdated");
        } else {
          checked(await jmap.call("CalendarEvent/set", {
            create: { new: { "@type": "Event", calendarIds: { [place.value]: true }, ...values } },
            sendSchedulingMessages: send,
          }), "notCreated");
        }
        return "saved";
      });
    });
    document.body.append(back);
    (mayWrite ? title : actions.querySelector("button")).focus();
  });
}
