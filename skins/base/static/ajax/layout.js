// Pane widths (resizable splitters, remembered in this browser), the context menu and the status line.

import { t } from "./i18n.js";

const WIDTHS_KEY = "fieldpost.ajax.widths";
const MIN_WIDTH = 120;

export function splitters(panes) {
  const saved = JSON.parse(localStorage.getItem(WIDTHS_KEY) || "{}");
  const apply = () => {
    if (saved.folders) panes.style.setProperty("--folders-width", `${saved.folders}px`);
    if (saved.list) panes.style.setProperty("--list-width", `${saved.list}px`);
  };
  apply();
  for (const bar of panes.querySelectorAll("[data-splitter]")) {
    const name = bar.dataset.splitter;
    const pane = bar.previousElementSibling;
    const resize = (width) => {
      saved[name] = Math.max(MIN_WIDTH, Math.round(width));
      apply();
      localStorage.setItem(WIDTHS_KEY, JSON.stringify(saved));
    };
    bar.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      bar.setPointerCapture(event.pointerId);
      const start = event.clientX;
      const width = pane.getBoundingClientRect().width;
      const rtl = document.documentElement.dir === "rtl" ? -1 : 1;
      const move = (e) => resize(width + rtl * (e.clientX - start));
      const up = () => {
        bar.removeEventListener("pointermove", move);
        bar.removeEventListener("pointerup", up);
      };
      bar.addEventListener("pointermove", move);
      bar.addEventListener("pointerup", up);
    });
    bar.addEventListener("keydown", (event) => {
      const step = { ArrowLeft: -16, ArrowRight: 16 }[event.key];
      if (!step) return;
      event.preventDefault();
      resize(pane.getBoundingClientRect().width + step);
    });
  }
}

// A menu at the pointer: items are [label key, handler] or [label key, [[text, handler], ...]].
// It works by keyboard too (a menu opened by a key must be usable without the mouse): the arrows,
// Home and End move between its entries, Enter or Space takes one, Escape or Tab closes it; focus then
// goes back where it was (`returnTo`, else the element focused when it opened). `focus` names the
// group (label key) whose first entry gets the focus, e.g. "move_to" for the "v" key.
export function contextMenu(event, items, { returnTo = null, focus = null } = {}) {
  closeMenu();
  const back = returnTo || document.activeElement;
  const menu = document.createElement("ul");
  menu.className = "ax-menu";
  menu.setAttribute("role", "menu");
  const restore = () => { if (back && back !== document.body && back.isConnected) back.focus(); };
  const entry = (text, handler, parent) => {
    const item = document.createElement("li");
    item.setAttribute("role", "none");
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "menuitem");
    button.tabIndex = -1;
    button.textContent = text;
    button.addEventListener("click", () => {
      closeMenu();
      restore(); // before the handler, which may move the focus on (the composer)
      handler();
    });
    item.append(button);
    parent.append(item);
  };
  for (const [label, action] of items) {
    if (Array.isArray(action)) {
      const item = document.createElement("li");
      item.setAttribute("role", "none");
      item.dataset.group = label;
      const caption = document.createElement("span");
      caption.id = `ax-menu-${label}`;
      caption.textContent = t(label);
      const sub = document.createElement("ul");
      sub.setAttribute("role", "group");
      sub.setAttribute("aria-labelledby", caption.id);
      for (const [text, handler] of action) entry(text, handler, sub);
      item.append(caption, sub);
      menu.append(item);
    } else {
      entry(t(label), action, menu);
    }
  }
  menu.addEventListener("keydown", (e) => {
    const buttons = [...menu.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    const to = {
      ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1,
    }[e.key];
    e.stopPropagation(); // the page's shortcuts (keys.js) wait while the menu is open
    if (to !== undefined) {
      e.preventDefault();
      buttons[(to + buttons.length) % buttons.length]?.focus();
    } else if (e.key === "Escape" || e.key === "Tab") {
      e.preventDefault();
      closeMenu();
      restore();
    }
  });
  document.body.append(menu);
  const box = menu.getBoundingClientRect();
  menu.style.left = `${Math.max(0, Math.min(event.clientX, innerWidth - box.width - 4))}px`;
  menu.style.top = `${Math.max(0, Math.min(event.clientY, innerHeight - box.height - 4))}px`;
  const first = (focus && menu.querySelector(`[data-group="${focus}"] button`)) || menu.querySelector("button");
  first?.focus();
  first?.scrollIntoView({ block: "nearest" });
  setTimeout(() => document.addEventListener("click", closeMenu, { once: true }));
}

export function closeMenu() {
  document.querySelectorAll(".ax-menu").forEach((menu) => menu.remove());
}

let statusTimer = null;

export function status(text) {
  const line = document.querySelector(".ax-status");
  line.textContent = text;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { line.textContent = ""; }, 8000);
}
