// Keyboard shortcuts and their help overlay ("?"). Keys typed into a field are left to the field.

import { t } from "./i18n.js";

export const SHORTCUTS = [
  ["j", "key_next"], ["k", "key_previous"], ["Enter", "key_open"], ["r", "key_reply"],
  ["a", "key_reply_all"], ["f", "key_forward"], ["Delete", "key_delete"], ["c", "key_compose"],
  ["Shift+J / Shift+K, Shift+↓ / Shift+↑", "key_extend"], ["x, Space", "key_toggle"],
  ["u", "key_unread"], ["s", "key_flag"], ["v", "key_move"], ["ContextMenu, Shift+F10", "key_menu"],
  ["/", "key_search"], ["?", "key_help"], ["Escape", "key_escape"],
];

// The other views' own keys, as their handlers read them (calendar.js and notes.js, which serves Notes and
// Journal alike): shown in the same overlay, under their view's name.
export const VIEW_SHORTCUTS = [
  ["help_calendar", [
    ["t", "key_cal_today"], ["n / p", "key_cal_step"], ["d", "key_cal_day"], ["w", "key_cal_week"],
    ["m", "key_cal_month"], ["a", "key_cal_agenda"],
  ]],
  ["help_notes", [
    ["j / k, ↓ / ↑", "key_note_step"], ["n", "key_note_new"], ["/", "key_note_search"],
    ["Delete", "key_note_delete"],
  ]],
];

export function bindKeys(actions) {
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.closest?.("input, textarea, select, [contenteditable=true]");
    if (event.key === "Escape") {
      if (closeHelp()) return;
      if (target.matches?.("input[type=search]")) {
        target.blur();
        return;
      }
      actions.escape?.();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const menuKey = event.key === "ContextMenu" || (event.key === "F10" && event.shiftKey);
    // over a folder or a button the browser's own menu event is theirs (folder_admin.js)
    if (menuKey && target !== document.body) return;
    const action = menuKey ? "menu" : {
      j: "next", k: "previous", J: "extendNext", K: "extendPrevious", x: "toggle", u: "unread", s: "flag",
      v: "move", r: "reply", a: "replyAll", f: "forward", c: "compose", "/": "search",
      "?": "help", Delete: "delete", Enter: "open",
    }[event.key];
    if (!action || !actions[action]) return;
    if (action === "open" && target.closest?.("button, a")) return;
    event.preventDefault();
    actions[action]();
  });
}

export function showHelp() {
  if (closeHelp()) return;
  const dialog = document.createElement("div");
  dialog.className = "ax-help";
  dialog.setAttribute("role", "dialog");
  dialog.setAttribute("aria-modal", "true");
  dialog.setAttribute("aria-label", t("shortcuts"));
  const heading = document.createElement("h2");
  heading.textContent = t("shortcuts");
  const sections = document.createElement("div");
  sections.className = "ax-help-sections";
  for (const [title, keys] of [["help_mail", SHORTCUTS], ...VIEW_SHORTCUTS]) {
    const section = document.createElement("section");
    const name = document.createElement("h3");
    name.textContent = t(title);
    section.setAttribute("aria-label", t(title));
    section.append(name, keyList(keys));
    sections.append(section);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = t("close");
  close.addEventListener("click", closeHelp);
  dialog.append(heading, sections, close);
  document.body.append(dialog);
  close.focus();
}

function keyList(keys) {
  const list = document.createElement("dl");
  for (const [key, label] of keys) {
    const name = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    name.append(kbd);
    const text = document.createElement("dd");
    text.textContent = t(label);
    list.append(name, text);
  }
  return list;
}

export function closeHelp() {
  const open = document.querySelector(".ax-help");
  if (!open) return false;
  open.remove();
  return true;
}
