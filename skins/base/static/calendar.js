// The calendar pages without reloads where it helps; every page works without this script.
// 1. The event form hides what does not apply: the times and time zone of an all-day event, the repeat
//    details when the event does not repeat, the weekdays unless it repeats weekly, and the whole repeat
//    part when only one occurrence of a series is changed.
// 2. The reminder list is fetched again every minute (the same page the server renders, parsed here).
"use strict";

function showIf(elements, visible) {
  for (const element of elements) element.hidden = !visible;
}

function eventForm(form) {
  const allDay = form.querySelector("#all_day");
  const repeat = form.querySelector("#repeat");
  const update = () => {
    const timed = !(allDay && allDay.checked);
    showIf(form.querySelectorAll(".timed, .timed-field"), timed);
    const rule = repeat ? repeat.value : "none";
    showIf(form.querySelectorAll(".repeat-detail"), rule !== "none" && rule !== "custom");
    showIf(form.querySelectorAll(".repeat-weekly"), rule === "weekly");
    const scope = form.querySelector("input[name=scope]:checked");
    showIf(form.querySelectorAll("#repeat-fields, .series-only"), !scope || scope.value !== "this");
  };
  form.addEventListener("change", update);
  update();
}

function refreshReminders(section) {
  const source = section.dataset.source;
  if (!source) return;
  window.setInterval(async () => {
    try {
      const reply = await fetch(source, { credentials: "same-origin" });
      if (!reply.ok) return;
      const page = new DOMParser().parseFromString(await reply.text(), "text/html");
      const fresh = page.querySelector("#cal-reminders");
      if (fresh) section.replaceChildren(...fresh.childNodes);
    } catch (error) {
      // offline for a moment: the next minute tries again
    }
  }, 60000);
}

const form = document.getElementById("event-form");
if (form) eventForm(form);
const reminders = document.getElementById("cal-reminders");
if (reminders) refreshReminders(reminders);
