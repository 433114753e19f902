// The reader's meeting panel: what an invitation (iTIP REQUEST), an answer (REPLY) or a cancellation
// says, as the Standard reader's panel shows it, from the reader route's "meeting" object
// (webmail/ajax/meeting.py). Accept / Tentative / Decline post to /ajax/meeting/<folder>/<uid>, which
// answers through the Standard reader's service (the event goes into the calendar, the REPLY to the
// organizer). For an invitation the panel also looks in the user's own calendars over JMAP for
// Calendars for anything else at that time (the first occurrence of a repeating meeting).

import { config, t } from "./i18n.js";

export const CALENDARS = "urn:ietf:params:jmap:calendars";

export function meetingPanel(view, jmap, { notify }) {
  if (!view.meeting) return null;
  const section = document.createElement("section");
  section.className = "ax-meeting";
  section.setAttribute("aria-label", t("meeting"));
  draw(section, view.meeting, view.meeting_answer, jmap, notify);
  return section;
}

function draw(section, meeting, answerUrl, jmap, notify) {
  const title = document.createElement("h3");
  title.className = "ax-meeting-title";
  title.textContent = meeting.title || t("cal_no_title");
  const facts = document.createElement("dl");
  const fact = (label, value) => {
    if (!value) return;
    const name = document.createElement("dt");
    name.textContent = t(label);
    const text = document.createElement("dd");
    text.className = `ax-meeting-${label}`;
    text.textContent = value;
    facts.append(name, text);
  };
  fact("when", meeting.when + (meeting.repeats ? ` (${t("repeats")})` : ""));
  fact("where", meeting.location);
  fact("organizer", meeting.organizer);
  section.replaceChildren(title, facts);
  if (meeting.method === "REQUEST") {
    const people = document.createElement("ul");
    people.className = "ax-meeting-attendees";
    for (const person of meeting.attendees) {
      const item = document.createElement("li");
      item.textContent = `${person.name}: ${person.answer}`;
      people.append(item);
    }
    section.append(people);
    if (meeting.cancelled) section.append(line("meeting_was_cancelled", "ax-meeting-state"));
    else if (meeting.outdated) section.append(line("meeting_outdated", "ax-meeting-state"));
    if (meeting.answer) section.append(line("your_answer", "ax-meeting-answered", { answer: meeting.answer }));
    if (meeting.answerable) {
      section.append(conflicts(meeting, jmap));
      section.append(buttons(section, answerUrl, jmap, notify));
    }
  } else if (meeting.method === "REPLY") {
    for (const person of meeting.attendees) {
      section.append(line("answered", "ax-meeting-reply", { who: person.name, answer: person.answer }));
    }
  } else if (meeting.method === "CANCEL") {
    section.append(line("meeting_cancel", "ax-meeting-state"));
  }
}

function line(key, className, values = {}) {
  const text = document.createElement("p");
  text.className = className;
  text.textContent = t(key, values);
  return text;
}

function buttons(section, answerUrl, jmap, notify) {
  const bar = document.createElement("p");
  bar.className = "ax-meeting-buttons";
  for (const [answer, label] of [["ACCEPTED", "accept"], ["TENTATIVE", "tentative"], ["DECLINED", "decline"]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t(label);
    button.dataset.answer = answer;
    button.addEventListener("click", async () => {
      bar.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      const response = await fetch(answerUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": config.csrf, Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify({ answer }),
      });
      let body = {};
      try { body = await response.json(); } catch (_) { /* not JSON: the status says it */ }
      if (response.ok) {
        notify(body.notice);
        if (body.meeting) draw(section, body.meeting, answerUrl, jmap, notify);
        return;
      }
      bar.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      const error = line("failed", "ax-meeting-error", { reason: body.error || `HTTP ${response.status}` });
      section.querySelector(".ax-meeting-error")?.remove();
      section.append(error);
    });
    bar.append(button);
  }
  return bar;
}

// "Conflicts with ..." or "Nothing else ...": the busy events of the user's own calendars (those counted
// for availability) overlapping the meeting, leaving out the user's own copy of it (same UID).
function conflicts(meeting, jmap) {
  const text = document.createElement("p");
  text.className = "ax-meeting-conflicts";
  if (!meeting.starts || !meeting.ends) return text;
  if (!jmap.using.includes(CALENDARS)) jmap.using = [...jmap.using, CALENDARS];
  jmap.batch([
    ["Calendar/get", { ids: null, properties: ["id", "includeInAvailability"] }, "calendars"],
    ["CalendarEvent/query", {
      filter: { after: meeting.starts, before: meeting.ends },
      expandRecurrences: true,
    }, "query"],
    ["CalendarEvent/get", {
      "#ids": { resultOf: "query", name: "CalendarEvent/query", path: "/ids" },
      properties: ["uid", "title", "calendarIds", "freeBusyStatus"],
    }, "events"],
  ]).then((found) => {
    const own = new Set(found.calendars.list.filter((c) => c.includeInAvailability === "all").map((c) => c.id));
    const titles = [...new Set(found.events.list
      .filter((e) => e.uid !== meeting.uid && e.freeBusyStatus !== "free")
      .filter((e) => Object.keys(e.calendarIds || {}).some((id) => own.has(id)))
      .map((e) => e.title || t("cal_no_title")))];
    text.textContent = titles.length ? t("meeting_conflicts", { events: titles.join(", ") }) : t("meeting_free");
    text.classList.toggle("ax-meeting-busy", titles.length > 0);
  }).catch(() => { text.remove(); });
  return text;
}
