// The calendar's free/busy grid: the Standard free/busy page (webmail/meeting_routes.py) in a dialog,
// over GET /ajax/calendar/freebusy (webmail/ajax/calendar_freebusy.py), which answers from the Standard
// grid's own service: the same rights (the owner granted "read free/busy", or the user reads one of
// their calendars), refusal texts ("... has not shared ...") and address limit. People are rows, the
// 24 hours of the day (or of each day of a week) columns, on the account's clock (user.timezone,
// zone.js); working hours are highlighted and the event being planned is marked. Each cell says busy,
// tentative, unavailable or free in words (hidden text and a tooltip), so colour is never the only
// sign; the exact busy times are listed under the grid, as the Standard page lists them.
//
// Opened from the bar (addresses typed here) or from the event dialog (its attendees and the user,
// the event's day and time). Keys inside the dialog: p / n the previous / next day (or week), Esc closes.

import { config, t } from "./i18n.js";
import { addDays, dateText, fromInputs, timeText } from "./calendar_dates.js";
import { ZONE, now } from "./zone.js";

const URL_BASE = `${config.read.replace(/read\/$/, "")}calendar/freebusy`;
const locale = document.documentElement.lang || undefined;
const longDay = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
const shortDay = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short" });
const pad = (n) => String(n).padStart(2, "0");

function element(tag, className = "", text = "") {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text) made.textContent = text;
  return made;
}

function labelled(parent, text, control, className = "") {
  const caption = element("label", className, text);
  caption.append(control);
  parent.append(caption);
  return control;
}

// Words a screen reader reads, which the eye gets from the cell's pattern and the key.
function hidden(text) {
  return element("span", "ax-visually-hidden", text);
}

// Open the dialog. `who`: addresses to look up at once (none: the form waits for them); `day`: a
// wall-clock Date on the account's clock; `proposed`: [start, end) of the event being planned, on the
// account's clock, marked on the grid.
export function openFreeBusy({ who = [], day = now(), proposed = null } = {}) {
  const back = element("div", "ax-dialog-back");
  const form = element("form", "ax-dialog ax-freebusy");
  form.setAttribute("role", "dialog");
  form.setAttribute("aria-modal", "true");
  form.setAttribute("aria-label", t("cal_freebusy"));
  const heading = element("h2", "", t("cal_freebusy"));
  const fields = element("div", "ax-fb-fields");
  const whoInput = document.createElement("input");
  whoInput.type = "text";
  whoInput.id = "ax-fb-who";
  whoInput.placeholder = t("cal_attendees_hint");
  whoInput.value = who.join(", ");
  const dayInput = document.createElement("input");
  dayInput.type = "date";
  dayInput.id = "ax-fb-date";
  dayInput.value = dateText(day);
  const span = document.createElement("select");
  span.id = "ax-fb-days";
  span.append(new Option(t("cal_day"), "1"), new Option(t("cal_week"), "7"));
  labelled(fields, t("cal_fb_who"), whoInput, "ax-fb-who");
  labelled(fields, t("cal_fb_date"), dayInput);
  labelled(fields, t("cal_fb_span"), span);
  const look = element("button", "primary", t("cal_fb_look_up"));
  look.type = "submit";
  fields.append(look);

  const nav = element("p", "ax-fb-nav");
  const earlier = element("button", "", `‹ ${t("cal_fb_earlier")}`);
  earlier.type = "button";
  earlier.setAttribute("aria-keyshortcuts", "p");
  const later = element("button", "", `${t("cal_fb_later")} ›`);
  later.type = "button";
  later.setAttribute("aria-keyshortcuts", "n");
  nav.append(earlier, later, element("span", "ax-hint", t("cal_fb_zone", { zone: ZONE })));
  nav.hidden = true;
  const error = element("p", "ax-error");
  error.setAttribute("role", "alert");
  const result = element("div", "ax-fb-result");
  result.setAttribute("aria-live", "polite");
  const actions = element("p", "ax-actions");
  const close = element("button", "", t("cal_close"));
  close.type = "button";
  actions.append(close);
  form.append(heading, fields, nav, error, result, actions);
  back.append(form);

  const opener = document.activeElement;
  const done = () => {
    back.remove();
    opener?.focus?.();
  };
  let asked = 0; // the newest lookup: an older answer arriving late is dropped
  const lookUp = async (focusGrid = false) => {
    const mine = ++asked;
    error.textContent = "";
    try {
      const query = new URLSearchParams({ who: whoInput.value, date: dayInput.value, days: span.value });
      const response = await fetch(`${URL_BASE}?${query}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(t("failed", { reason: `HTTP ${response.status}` }));
      const answer = await response.json();
      if (mine !== asked) return;
      nav.hidden = false;
      show(result, answer, proposed);
      if (focusGrid) result.querySelector(".ax-fb-scroll")?.focus();
    } catch (problem) {
      if (mine === asked) error.textContent = problem.message;
    }
  };
  const move = (sign) => {
    const shown = dayInput.value ? fromInputs(dayInput.value) : now();
    dayInput.value = dateText(addDays(shown, sign * Number(span.value)));
    lookUp(result.contains(document.activeElement)); // a key in the grid: the new grid keeps the focus
  };
  earlier.addEventListener("click", () => move(-1));
  later.addEventListener("click", () => move(1));
  close.addEventListener("click", done);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      done();
      return;
    }
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (nav.hidden || (event.key !== "n" && event.key !== "p")) return;
    event.preventDefault();
    move(event.key === "n" ? 1 : -1);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    lookUp();
  });
  document.body.append(back);
  if (who.length) lookUp(true);
  else whoInput.focus();
}

// The grid of one answer: a row per address (per address and day for a week), a column per hour.
function show(result, answer, proposed) {
  result.replaceChildren();
  if (answer.tooMany) result.append(element("p", "", t("cal_fb_too_many")));
  const first = fromInputs(answer.first);
  const week = answer.days > 1;
  const [workFrom, workTo] = answer.workHours;
  const working = (date, hour) => answer.workDays.includes(date.getDay() || 7) && hour >= workFrom && hour < workTo;
  const meets = (date, hour) => {
    if (!proposed) return false;
    const cell = new Date(date.getFullYear(), date.getMonth(), date.getDate(), hour);
    return cell < proposed[1] && new Date(+cell + 3600000) > proposed[0];
  };
  const dayTitle = week
    ? `${longDay.format(first)} – ${longDay.format(addDays(first, answer.days - 1))}`
    : longDay.format(first);
  if (proposed) {
    result.append(element("p", "ax-fb-event", t("cal_fb_event", {
      start: `${dateText(proposed[0])} ${timeText(proposed[0])}`,
      end: `${dateText(proposed[1])} ${timeText(proposed[1])}`,
    })));
  }

  const scroll = element("div", "ax-fb-scroll");
  scroll.setAttribute("role", "region");
  scroll.setAttribute("aria-label", t("cal_fb_grid", { day: dayTitle }));
  scroll.tabIndex = 0;
  const table = element("table", `ax-fb-grid${week ? " ax-fb-week" : ""}`);
  table.append(element("caption", "", t("cal_fb_grid", { day: dayTitle })));
  const head = element("tr");
  const columns = [element("col", "ax-fb-who-col")];
  head.append(Object.assign(element("th", "", t("cal_fb_who_col")), { scope: "col" }));
  if (week) {
    head.append(Object.assign(element("th", "ax-fb-day", t("cal_day")), { scope: "col" }));
    columns.push(element("col", "ax-fb-day-col"));
  }
  // a one-day grid marks the working hours and the event's hours in the heading too
  for (const hour of answer.hours) {
    const cell = Object.assign(element("th", "ax-fb-hour", pad(hour)), { scope: "col" });
    cell.append(hidden(":00"));
    cell.dataset.hour = String(hour);
    if (!week && working(first, hour)) cell.classList.add("ax-fb-work");
    if (!week && meets(first, hour)) {
      cell.classList.add("ax-fb-proposed");
      cell.append(hidden(` (${t("cal_fb_proposed")})`));
    }
    head.append(cell);
    columns.push(element("col"));
  }
  const colgroup = element("colgroup");
  colgroup.append(...columns);
  const thead = element("thead");
  thead.append(head);
  const tbody = element("tbody");
  const me = String(config.address || "").toLowerCase();
  for (const row of answer.rows) {
    const name = row.address === me ? t("cal_fb_you", { address: row.address }) : row.address;
    if (row.refusal) {
      const line = element("tr", "ax-fb-person ax-fb-refused");
      line.dataset.address = row.address;
      const who = Object.assign(element("th", "", name), { scope: "row" });
      const why = element("td", "ax-fb-refusal", row.refusal);
      why.colSpan = answer.hours.length + (week ? 1 : 0);
      line.append(who, why);
      tbody.append(line);
      continue;
    }
    row.cells.forEach(([dayIso, kinds], n) => {
      const date = fromInputs(dayIso);
      const line = element("tr", "ax-fb-person");
      line.dataset.address = row.address;
      line.dataset.day = dayIso;
      if (n === 0) {
        const who = Object.assign(element("th", "", name), { scope: "row" });
        who.rowSpan = row.cells.length;
        line.append(who);
      }
      if (week) line.append(element("td", "ax-fb-day", shortDay.format(date)));
      kinds.forEach((kind, index) => {
        const hour = answer.hours[index];
        const cell = element("td", `ax-fb-cell ${kind ? `ax-fb-${kind}` : "ax-fb-free"}`);
        cell.dataset.hour = String(hour);
        const words = [kind ? t(`cal_fb_${kind}`) : t("cal_fb_free")];
        if (!working(date, hour)) {
          cell.classList.add("ax-fb-off");
          if (!kind) words.push(t("cal_fb_outside"));
        }
        if (meets(date, hour)) {
          cell.classList.add("ax-fb-proposed");
          words.push(t("cal_fb_proposed"));
        }
        cell.title = `${pad(hour)}:00 ${words.join(", ")}`;
        cell.append(hidden(words.join(", ")));
        line.append(cell);
      });
      tbody.append(line);
    });
  }
  table.append(colgroup, thead, tbody);
  scroll.append(table);
  result.append(scroll, legend(Boolean(proposed)));

  // the exact busy times, as the Standard page lists them under its grid
  const listed = answer.rows.filter((row) => row.busy.length);
  if (listed.length) result.append(element("h3", "ax-fb-times-title", t("cal_fb_busy_times")));
  for (const row of listed) {
    const section = element("section", "ax-fb-periods");
    section.dataset.address = row.address;
    const title = element("h4", "", row.address);
    const list = element("ul");
    for (const [start, end, kind] of row.busy) {
      list.append(element("li", "ax-fb-period", `${start} – ${end} (${t(`cal_fb_${kind}`)})`));
    }
    section.append(title, list);
    result.append(section);
  }
}

// The key under the grid: each pattern with its words.
function legend(withProposed) {
  const list = element("ul", "ax-fb-legend");
  list.setAttribute("aria-label", t("cal_fb_key"));
  const entries = [
    ["ax-fb-busy", t("cal_fb_busy")],
    ["ax-fb-busy-tentative", t("cal_fb_busy-tentative")],
    ["ax-fb-busy-unavailable", t("cal_fb_busy-unavailable")],
    ["ax-fb-free", t("cal_fb_free")],
    ["ax-fb-free ax-fb-off", t("cal_fb_outside")],
  ];
  if (withProposed) entries.push(["ax-fb-free ax-fb-proposed", t("cal_fb_proposed")]);
  for (const [classes, words] of entries) {
    const item = element("li");
    const swatch = element("span", `ax-fb-swatch ${classes}`);
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, words);
    list.append(item);
  }
  return list;
}
