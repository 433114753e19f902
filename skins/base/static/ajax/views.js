// The top bar's view switch (Mail | Calendar | Contacts | Tasks | Notes | Journal): one body class per view (ax-view-<name>), which
// ajax.css uses to show that view's part of the page and hide the mail panes; the address's hash
// (#calendar, #tasks) keeps the view over a reload. A module registers its view with what to do each
// time it is shown.

const shown = new Map();
const switches = [...document.querySelectorAll(".ax-views [data-view]")];

export function current() {
  return switches.find((s) => s.getAttribute("aria-pressed") === "true")?.dataset.view ?? "mail";
}

export function showView(name) {
  for (const s of switches) {
    s.setAttribute("aria-pressed", String(s.dataset.view === name));
    document.body.classList.toggle(`ax-view-${s.dataset.view}`, s.dataset.view === name && name !== "mail");
  }
  if (name === "mail") {
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  } else if (location.hash !== `#${name}`) {
    history.replaceState(null, "", `#${name}`);
  }
  shown.get(name)?.();
}

export function registerView(name, onShow) {
  shown.set(name, onShow);
  if (location.hash === `#${name}`) showView(name);
}

for (const s of switches) s.addEventListener("click", () => showView(s.dataset.view));

// Away from mail, the mail view's single-key shortcuts (keys.js: j, k, Delete...) must not act on its
// hidden list: they stop here, before the document's listener; a view's own keys listen on window too
// (calendar.js). contacts.js follows the buttons itself (bindViews) and holds the same keys back.
window.addEventListener("keydown", (event) => {
  if (current() === "mail" || event.key === "?" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest?.("input, textarea, select, [contenteditable=true]")) return;
  if (document.querySelector(".ax-dialog-back, .ax-help")) return;
  if (event.key.length === 1 || event.key === "Delete") event.stopPropagation(); // Enter, arrows: the view's own
}, true);
