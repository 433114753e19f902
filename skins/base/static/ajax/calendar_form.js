// The event dialog of the calendar view: shows an event, and creates, changes or deletes one over
// JMAP (CalendarEvent/set, draft-ietf-jmap-calendars). Times are entered in the browser's time zone;
// a repeat is none, daily or weekly (a rule made elsewhere is kept as it is unless changed here).
// A recurring event is edited as a series; one occurrence can be deleted on its own.

import { t } from "./i18n.js";
import { JmapError } from "./jmap.js";
import {
  DAY_MS, addDays, dateText, durationMs, durationText, fromInputs, fromLocal, localDateTime, timeText,
} from "./calendar_dates.js";

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "Etc/UTC";

// [start, end) of an event object as local Dates: an all-day event from midnight to midnight, a
// floating one (no timeZone) at its wall-clock time wherever the browser is, a zoned one at its instant.
export function spanOf(event) {
  if (event.showWithoutTime) {
    const start = fromLocal(event.start);
    return [start, addDays(start, Math.max(1, Math.round(durationMs(event.duration) / DAY_MS)))];
  }
  if (!event.timeZone) {
    const start = fromLocal(event.start);
    return [start, new Date(+start + durationMs(event.duration))];
  }
  return [new Date(event.utcStart), new Date(event.utcEnd)];
}

function repeatOf(event) {
  const rules = event?.recurrenceRules;
  if (!rules || !rules.length) return "none";
  const [rule] = rules;
  const plain = rules.length === 1 && Object.keys(rule).every((k) => ["@type", "frequency"].includes(k));
  return plain && ["daily", "weekly"].includes(rule.frequency) ? rule.frequency : "kept";
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

function refusal(answer, key) {
  const error = answer?.[key] && Object.values(answer[key])[0];
  return error ? new JmapError(error.type, error.description) : null;
}

// Open the dialog. `series`: the stored event (null for a new one); `instance`: the occurrence clicked
// (for "delete this occurrence"); `start`, `end`, `allDay`: a new event's times. Resolves when closed.
export function openEventForm({ jmap, calendars, series = null, instance = null, start, end, allDay = false, onDone }) {
  const writable = calendars.filter((c) => c.myRights?.mayWriteAll);
  const calendarId = series ? Object.keys(series.calendarIds)[0] : (writable.find((c) => c.isDefault) ?? writable[0])?.id;
  const mayWrite = series ? Boolean(calendars.find((c) => c.id === calendarId)?.myRights?.mayWriteAll) : writable.length > 0;
  if (series) {
    [start, end] = spanOf(series);
    allDay = series.showWithoutTime;
    if (allDay) end = addDays(end, -1);
  }
  const back = document.createElement("div");
  back.className = "ax-dialog-back";
  const form = document.createElement("form");
  form.className = "ax-dialog ax-event-dialog";
  form.setAttribute("role", "dialog");
  form.setAttribute("aria-modal", "true");
  form.setAttribute("aria-label", t("cal_event"));
  const heading = document.createElement("h2");
  heading.textContent = series ? (series.title || t("cal_no_title")) : t("cal_new_event");
  const grid = document.createElement("div");
  grid.className = "ax-event-form";
  const title = field(grid, t("cal_title"), input("ax-ev-title", "text", series?.title ?? ""));
  const whole = input("ax-ev-allday", "checkbox");
  whole.checked = allDay;
  field(grid, t("cal_all_day"), whole);
  const startDay = field(grid, t("cal_starts"), input("ax-ev-start-day", "date", dateText(start)));
  const startTime = field(grid, "", input("ax-ev-start-time", "time", timeText(start)));
  const endDay = field(grid, t("cal_ends"), input("ax-ev-end-day", "date", dateText(end)));
  const endTime = field(grid, "", input("ax-ev-end-time", "time", timeText(end)));
  startTime.setAttribute("aria-label", t("cal_starts"));
  endTime.setAttribute("aria-label", t("cal_ends"));
  const repeats = [["none", t("cal_repeat_none")], ["daily", t("cal_repeat_daily")], ["weekly", t("cal_repeat_weekly")]];
  const was = repeatOf(series);
  if (was === "kept") repeats.push(["kept", t("cal_repeat_kept")]);
  const repeat = field(grid, t("cal_repeat"), select("ax-ev-repeat", repeats, was));
  const where = field(grid, t("cal_location"), input("ax-ev-location", "text", series?.locations ? Object.values(series.locations)[0]?.name ?? "" : ""));
  const place = field(grid, t("cal_calendar"), select("ax-ev-calendar", (series ? calendars : writable).map((c) => [c.id, c.name]), calendarId));
  place.disabled = Boolean(series);
  const about = field(grid, t("cal_description"), input("ax-ev-description", "textarea", series?.description ?? ""), true);
  const note = document.createElement("p");
  if (!mayWrite) note.textContent = series ? t("cal_read_only") : t("cal_no_calendar");
  else if (series && was !== "none") note.textContent = t("cal_series_note");
  const error = document.createElement("p");
  error.className = "ax-error";
  error.setAttribute("role", "alert");
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
  const syncTimes = () => {
    startTime.hidden = endTime.hidden = whole.checked;
  };
  whole.addEventListener("change", syncTimes);
  syncTimes();
  for (const element of grid.querySelectorAll("input, select, textarea")) if (!mayWrite) element.disabled = true;
  form.append(heading, grid, note, error, actions);
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
    if (mayWrite) {
      const save = button("cal_save", null, "submit");
      save.classList.add("primary");
    }
    if (series && mayWrite) {
      button("cal_delete", () => run(async () => {
        const answer = await jmap.call("CalendarEvent/set", { destroy: [series.id] });
        const refused = refusal(answer, "notDestroyed");
        if (refused) throw refused;
        return "deleted";
      }));
      if (instance && instance.id !== series.id) {
        button("cal_delete_one", () => run(async () => {
          const answer = await jmap.call("CalendarEvent/set", { destroy: [instance.id] });
          const refused = refusal(answer, "notDestroyed");
          if (refused) throw refused;
          return "deleted";
        }));
      }
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
        const values = {
          title: text,
          start: localDateTime(first),
          timeZone: whole.checked ? null : ZONE,
          showWithoutTime: whole.checked,
          duration: durationText(last - first, whole.checked),
          locations: where.value.trim() ? { 1: { "@type": "Location", name: where.value.trim() } } : null,
          description: about.value,
        };
        if (repeat.value !== "kept") {
          values.recurrenceRules = repeat.value === "none" ? null
            : [{ "@type": "RecurrenceRule", frequency: repeat.value }];
        }
        if (series) {
          const moved = first.getTime() !== spanOf(series)[0].getTime();
          if (repeat.value !== was || moved) values.recurrenceOverrides = null; // old exceptions no longer fit
          const answer = await jmap.call("CalendarEvent/set", { update: { [series.id]: values } });
          const refused = refusal(answer, "notUpdated");
          if (refused) throw refused;
        } else {
          const answer = await jmap.call("CalendarEvent/set", {
            create: { new: { "@type": "Event", calendarIds: { [place.value]: true }, ...values } },
          });
          const refused = refusal(answer, "notCreated");
          if (refused) throw refused;
        }
        return "saved";
      });
    });
    document.body.append(back);
    (mayWrite ? title : actions.querySelector("button")).focus();
  });
}
