// The calendar's free/busy lookup: the Standard free/busy page (webmail/meeting_routes.py) in a dialog,
// over GET /ajax/calendar/freebusy (webmail/ajax/calendar_reminders.py): the same rights (the owner
// granted "read free/busy", or the user reads one of their calendars), refusals and address limit, and
// the busy times listed per address on the account's clock, as the Standard page lists them.

import { config, t } from "./i18n.js";
import { dateText } from "./calendar_dates.js";
import { now } from "./zone.js";

const URL_BASE = `${config.read.replace(/read\/$/, "")}calendar/freebusy`;

function labelled(parent, text, control) {
  const caption = document.createElement("label");
  caption.textContent = text;
  caption.append(control);
  parent.append(caption);
  return control;
}

export function openFreeBusy() {
  const back = document.createElement("div");
  back.className = "ax-dialog-back";
  const form = document.createElement("form");
  form.className = "ax-dialog ax-freebusy";
  form.setAttribute("role", "dialog");
  form.setAttribute("aria-modal", "true");
  form.setAttribute("aria-label", t("cal_freebusy"));
  const heading = document.createElement("h2");
  heading.textContent = t("cal_freebusy");
  const who = document.createElement("input");
  who.type = "text";
  who.id = "ax-fb-who";
  who.placeholder = t("cal_attendees_hint");
  const day = document.createElement("input");
  day.type = "date";
  day.id = "ax-fb-date";
  day.value = dateText(now());
  const span = document.createElement("select");
  span.id = "ax-fb-days";
  span.append(new Option(t("cal_day"), "1"), new Option(t("cal_week"), "7"));
  form.append(heading);
  labelled(form, t("cal_fb_who"), who);
  labelled(form, t("cal_fb_date"), day);
  labelled(form, t("cal_fb_span"), span);
  const result = document.createElement("div");
  result.className = "ax-fb-result";
  result.setAttribute("aria-live", "polite");
  const error = document.createElement("p");
  error.className = "ax-error";
  error.setAttribute("role", "alert");
  const actions = document.createElement("p");
  actions.className = "ax-actions";
  const look = document.createElement("button");
  look.type = "submit";
  look.className = "primary";
  look.textContent = t("cal_fb_look_up");
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = t("cal_close");
  actions.append(look, close);
  form.append(error, actions, result);
  back.append(form);
  const opener = document.activeElement;
  const done = () => {
    back.remove();
    opener?.focus?.();
  };
  close.addEventListener("click", done);
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    done();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const query = new URLSearchParams({ who: who.value, date: day.value, days: span.value });
      const response = await fetch(`${URL_BASE}?${query}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(t("failed", { reason: `HTTP ${response.status}` }));
      show(result, await response.json());
    } catch (problem) {
      error.textContent = problem.message;
    }
  });
  document.body.append(back);
  who.focus();
}

function show(result, answer) {
  result.replaceChildren();
  if (answer.tooMany) {
    const note = document.createElement("p");
    note.textContent = t("cal_fb_too_many");
    result.append(note);
  }
  for (const row of answer.rows) {
    const section = document.createElement("section");
    section.className = "ax-fb-row";
    section.dataset.address = row.address;
    const title = document.createElement("h3");
    title.textContent = row.address;
    section.append(title);
    const list = document.createElement("ul");
    if (row.refusal) {
      const item = document.createElement("li");
      item.className = "ax-fb-refused";
      item.textContent = row.refusal;
      list.append(item);
    } else if (!row.busy.length) {
      const item = document.createElement("li");
      item.textContent = t("cal_fb_free");
      list.append(item);
    }
    for (const [start, end, kind] of row.busy) {
      const item = document.createElement("li");
      item.className = `ax-fb-busy busy-${kind}`;
      item.textContent = `${start} – ${end} (${kind})`;
      list.append(item);
    }
    section.append(list);
    result.append(section);
  }
}
