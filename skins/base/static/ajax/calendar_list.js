// The calendar view's "Calendars…" dialog: make, rename, recolour and delete calendars over JMAP
// (Calendar/set, draft-ietf-jmap-calendars). What each row offers follows the calendar's myRights:
// renaming, recolouring and deleting need mayDelete (the folder's "x" right, as the server checks);
// a calendar the user may share has a Share button, which opens the sharing dialog (sharing.js).

import { ask } from "./dialog.js";
import { t } from "./i18n.js";
import { JmapError } from "./jmap.js";
import { status } from "./layout.js";
import { folderOf, mayShare, openSharing } from "./sharing.js";

const DEFAULT_COLOUR = "#2b4a6f";

function refused(answer, key) {
  const error = answer?.[key] && Object.values(answer[key])[0];
  if (error) throw new JmapError(error.type, error.description);
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
      item.append(share);
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
