// The calendar view's "Calendars…" dialog: make, rename, recolour and delete calendars over JMAP
// (Calendar/set, draft-ietf-jmap-calendars). What each row offers follows the calendar's myRights:
// renaming, recolouring and deleting need mayDelete (the folder's "x" right, as the server checks);
// a calendar the user may share has a Share button, which opens the sharing dialog (sharing.js), and a
// Link button: the calendar's secret read-only .ics / webcal link, shown (made on first use) or made
// anew (the old one stops working) by the Standard link page's code (POST /ajax/calendar/<id>/link).

import { ask } from "./dialog.js";
import { config, t } from "./i18n.js";
import { JmapError } from "./jmap.js";
import { status } from "./layout.js";
import { folderOf, mayShare, openSharing } from "./sharing.js";

const DEFAULT_COLOUR = "#2b4a6f";

function refused(answer, key) {
  const error = answer?.[key] && Object.values(answer[key])[0];
  if (error) throw new JmapError(error.type, error.description);
}

// POST the link action ("show" or "renew") of a calendar; its { url, webcal, message } or an Error.
async function feedLink(calendarId, action) {
  const response = await fetch(`/ajax/calendar/${folderOf(calendarId)}/link`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf, Accept: "application/json" },
    body: JSON.stringify({ action }),
  });
  let answer = null;
  try {
    answer = await response.json();
  } catch (_) { /* an HTML error page: the CSRF check, a proxy */ }
  if (!response.ok || !answer?.url) throw new Error(answer?.error || response.statusText);
  return answer;
}

// The link panel under a calendar's row: the explanation, the addresses once shown, and the buttons.
function linkPanel(calendar) {
  const panel = document.createElement("div");
  panel.className = "ax-calendar-link";
  const about = document.createElement("p");
  about.textContent = t("cal_link_about");
  const note = document.createElement("p");
  note.setAttribute("role", "status");
  const addresses = document.createElement("div");
  const buttons = document.createElement("p");
  const show = document.createElement("button");
  show.type = "button";
  show.textContent = t("cal_link_show");
  show.dataset.action = "link-show";
  const renew = document.createElement("button");
  renew.type = "button";
  renew.textContent = t("cal_link_renew");
  renew.dataset.action = "link-renew";
  buttons.append(show, " ", renew);
  const field = (label, value, className) => {
    const caption = document.createElement("label");
    caption.textContent = label;
    const box = document.createElement("input");
    box.type = "text";
    box.readOnly = true;
    box.value = value;
    box.className = className;
    caption.append(" ", box);
    return caption;
  };
  const run = async (action) => {
    note.textContent = "";
    note.classList.remove("ax-error");
    try {
      const answer = await feedLink(calendar.id, action);
      const subscribe = document.createElement("a");
      subscribe.href = answer.webcal;
      subscribe.textContent = t("cal_link_subscribe");
      addresses.replaceChildren(
        field(t("cal_link_url"), answer.url, "ax-link-url"),
        field(t("cal_link_webcal"), answer.webcal, "ax-link-webcal"),
        subscribe,
      );
      show.hidden = true;
      note.textContent = answer.message;
    } catch (problem) {
      note.classList.add("ax-error");
      note.textContent = problem.message;
    }
  };
  show.addEventListener("click", () => run("show"));
  renew.addEventListener("click", () => run("renew"));
  panel.append(about, addresses, note, buttons);
  return panel;
}

function colourInput(value, label) {
  const element = document.createElement("input");
  element.type = "color";
  element.value = /^#[0-9a-f]{6}/i.test(value || "") ? value.slice(0, 7) : DEFAULT_COLOUR;
  element.setAttribute("aria-label", label);
  return element;
}

// Open the dialog over `calendars` (Calendar/get's list); `onChange` reloads the calendar view after
// each change. Resolves when closed.
export function openCalendarList({ jmap, calendars, onChange }) {
  const back = document.createElement("div");
  back.className = "ax-dialog-back";
  const form = document.createElement("form");
  form.className = "ax-dialog ax-calendars-dialog";
  form.setAttribute("role", "dialog");
  form.setAttribute("aria-modal", "true");
  form.setAttribute("aria-label", t("cal_calendars"));
  const heading = document.createElement("h2");
  heading.textContent = t("cal_calendars");
  const list = document.createElement("ul");
  list.className = "ax-calendar-list";
  const error = document.createElement("p");
  error.className = "ax-error";
  error.setAttribute("role", "alert");
  let current = calendars;

  const call = async (args, key, message) => {
    error.textContent = "";
    try {
      refused(await jmap.call("Calendar/set", args), key);
      status(t(message));
      const answer = await jmap.call("Calendar/get", { ids: null });
      current = answer.list;
      render();
      onChange?.();
      return true;
    } catch (problem) {
      error.textContent = problem.message;
      return false;
    }
  };

  function row(calendar) {
    const item = document.createElement("li");
    item.dataset.id = calendar.id;
    item.dataset.name = calendar.name;
    const rights = calendar.myRights || {};
    const colour = colourInput(calendar.color, t("cal_colour"));
    const name = document.createElement("input");
    name.type = "text";
    name.value = calendar.name;
    name.setAttribute("aria-label", t("cal_name"));
    item.append(colour, name);
    if (rights.mayDelete) {
      const save = document.createElement("button");
      save.type = "button";
      save.textContent = t("cal_save");
      save.addEventListener("click", () => {
        const patch = {};
        if (name.value.trim() !== calendar.name) patch.name = name.value.trim();
        if (colour.value !== (calendar.color || "").slice(0, 7).toLowerCase()) patch.color = colour.value;
        if (Object.keys(patch).length) call({ update: { [calendar.id]: patch } }, "notUpdated", "cal_calendar_saved");
      });
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "ax-danger";
      remove.textContent = t("cal_delete_calendar");
      remove.addEventListener("click", async () => {
        await ask({
          title: t("cal_confirm_delete", { name: calendar.name }),
          confirm: "cal_delete_calendar",
          danger: true,
          submit: async () => {
            refused(await jmap.call("Calendar/set", { destroy: [calendar.id], onDestroyRemoveEvents: true }), "notDestroyed");
          },
        }).then(async (done) => {
          if (!done) return;
          status(t("cal_calendar_deleted"));
          current = (await jmap.call("Calendar/get", { ids: null })).list;
          render();
          onChange?.();
        }).catch((problem) => { error.textContent = problem.message; });
      });
      item.append(save, remove);
    } else {
      name.readOnly = true;
      colour.disabled = true;
      name.title = t("cal_calendar_read_only");
    }
    if (mayShare(calendar)) {
      const share = document.createElement("button");
      share.type = "button";
      share.textContent = t("cal_share");
      share.dataset.action = "share";
      share.addEventListener("click", () => openSharing(folderOf(calendar.id), { onClose: () => onChange?.() }));
      const link = document.createElement("button");
      link.type = "button";
      link.textContent = t("cal_link");
      link.dataset.action = "link";
      link.setAttribute("aria-expanded", "false");
      let panel = null;
      link.addEventListener("click", () => {
        if (panel) {
          panel.remove();
          panel = null;
        } else {
          panel = linkPanel(calendar);
          item.append(panel);
        }
        link.setAttribute("aria-expanded", String(Boolean(panel)));
      });
      item.append(share, link);
    }
    return item;
  }

  function render() {
    list.replaceChildren(...current.map(row));
  }

  // a new calendar: its name and colour
  const adding = document.createElement("p");
  adding.className = "ax-calendar-new";
  const newName = document.createElement("input");
  newName.type = "text";
  newName.id = "ax-cal-new-name";
  newName.placeholder = t("cal_new_calendar");
  newName.setAttribute("aria-label", t("cal_new_calendar"));
  const newColour = colourInput(DEFAULT_COLOUR, t("cal_colour"));
  const add = document.createElement("button");
  add.type = "submit";
  add.className = "primary";
  add.textContent = t("cal_add");
  adding.append(newName, newColour, add);

  const actions = document.createElement("p");
  actions.className = "ax-actions";
  const closeButton = document.createElement("button");
  closeButton.type = "button";
  closeButton.textContent = t("cal_close");
  actions.append(closeButton);
  form.append(heading, list, adding, error, actions);
  back.append(form);
  render();
  const opener = document.activeElement;

  return new Promise((resolve) => {
    const close = () => {
      back.remove();
      opener?.focus?.();
      resolve();
    };
    closeButton.addEventListener("click", close);
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || document.querySelectorAll(".ax-dialog-back").length > 1) return;
      event.stopPropagation();
      close();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = newName.value.trim();
      if (!name) return;
      const made = await call({ create: { new: { name, color: newColour.value } } }, "notCreated", "cal_calendar_saved");
      if (made) newName.value = "";
    });
    document.body.append(back);
    newName.focus();
  });
}
