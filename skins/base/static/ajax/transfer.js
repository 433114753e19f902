// Import and Export for the organizer views (calendar.js, tasks.js, contacts.js), as the Standard
// import page offers them (docs/organizer.md): Import takes an .ics or .vcf file (chosen or dropped on
// the dialog) into a folder the user may add to and shows the server's report, how many items were added
// and updated and each refused item by its position in the file with the reason; Export downloads a
// folder. The server's work is the Standard import's own function (webmail/ajax/transfer.py) and the
// Standard export route: nothing is parsed here.

import { config, t } from "./i18n.js";
import { contextMenu } from "./layout.js";
import { folderOf } from "./sharing.js";

function make(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// POST the file; the report object, or throws an Error with the server's reason.
async function send(folder, file) {
  const body = new FormData();
  body.append("folder", folder);
  body.append("file", file, file.name);
  const response = await fetch(config.organizer_import, {
    method: "POST", body, credentials: "same-origin",
    headers: { "X-CSRFToken": config.csrf, Accept: "application/json" },
  });
  let answer = null;
  if ((response.headers.get("Content-Type") || "").includes("json")) answer = await response.json();
  if (response.ok && answer) return answer;
  throw new Error(answer?.error || `${response.status} ${response.statusText}`);
}

function reportOf(answer) {
  const box = make("div", { className: "ax-import-report", role: "status" });
  box.append(make("p", { text: t("import_report", {
    file: answer.file, folder: answer.folder, added: answer.added, updated: answer.updated, failed: answer.failed.length,
  }) }));
  if (answer.failed.length) {
    const rows = answer.failed.map((f) => make("tr", { className: "ax-import-failure" },
      make("td", { text: t("import_no", { n: f.position }) }), make("td", { text: f.reason })));
    box.append(make("table", { className: "ax-import-failures" },
      make("thead", {}, make("tr", {}, make("th", { text: t("import_item") }), make("th", { text: t("import_why") }))),
      make("tbody", {}, ...rows)));
  }
  return box;
}

// The import dialog over `folders` (JMAP collections the user may add to; `current` chosen first);
// `done()` runs after each import that stored something, so the view shows the new items.
export function openImport(folders, current, done) {
  const back = make("div", { className: "ax-dialog-back" });
  const form = make("form", { className: "ax-dialog ax-import", role: "dialog", "aria-modal": "true", "aria-label": t("import") });
  const picker = make("select", { name: "folder" });
  for (const c of folders) {
    const option = make("option", { value: folderOf(c.id) ?? "", text: c.name });
    if (c.id === current) option.selected = true;
    picker.append(option);
  }
  const file = make("input", { type: "file", name: "file", accept: ".ics,.vcf,text/calendar,text/vcard" });
  const drop = make("p", { className: "ax-import-drop", text: t("import_drop") });
  let dropped = null;
  const chosen = make("p", { className: "ax-import-chosen" });
  const error = make("p", { className: "ax-error", role: "alert" });
  const report = make("div");
  const ok = make("button", { type: "submit", className: "primary", text: t("import") });
  const close = make("button", { type: "button", text: t("close") });
  form.append(
    make("h2", { text: t("import") }),
    make("label", {}, make("span", { text: t("import_into") }), picker),
    make("label", {}, make("span", { text: t("import_file") }), file),
    drop, chosen, error, report, make("p", { className: "ax-actions" }, ok, close),
  );
  back.append(form);
  const opener = document.activeElement;
  const finish = () => { back.remove(); opener?.focus?.(); };
  close.addEventListener("click", finish);
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    finish();
  });
  // the file field shows the name of a file it chose; a dropped file's name shows under the drop area
  file.addEventListener("change", () => { dropped = null; chosen.textContent = ""; });
  form.addEventListener("dragover", (event) => { event.preventDefault(); form.classList.add("ax-drop-target"); });
  form.addEventListener("dragleave", () => form.classList.remove("ax-drop-target"));
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("ax-drop-target");
    const found = event.dataTransfer?.files?.[0];
    if (!found) return;
    dropped = found;
    file.value = "";
    chosen.textContent = found.name;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const upload = dropped ?? file.files[0];
    error.textContent = "";
    if (!upload) {
      error.textContent = t("import_choose_file");
      return;
    }
    ok.disabled = true;
    try {
      const answer = await send(picker.value, upload);
      report.replaceChildren(reportOf(answer));
      if (answer.added || answer.updated) done?.();
    } catch (refusal) {
      report.replaceChildren();
      error.textContent = refusal.message;
    } finally {
      ok.disabled = false;
    }
  });
  document.body.append(back);
  picker.focus();
}

// Download a folder (the Standard export route answers it as an attachment).
export function exportFolder(collection) {
  const link = make("a", { href: `${config.organizer_export}${folderOf(collection.id)}/export`, download: "" });
  document.body.append(link);
  link.click();
  link.remove();
}

// The Import and Export buttons of a view's bar: `collections()` the view's folders, `writable(c)`
// whether the user may add to one, `current()` the one shown (or null), `done()` after an import.
export function transferButtons({ collections, writable, current = () => null, done }) {
  const importButton = make("button", { type: "button", className: "ax-import-button", text: t("import") });
  importButton.addEventListener("click", () => openImport(collections().filter(writable), current(), done));
  const exportButton = make("button", { type: "button", className: "ax-export-button", text: t("export") });
  exportButton.addEventListener("click", (event) => {
    const shown = collections().find((c) => c.id === current());
    const all = collections();
    if (shown) exportFolder(shown);
    else if (all.length === 1) exportFolder(all[0]);
    else contextMenu(event, all.map((c) => [c.name, () => exportFolder(c)]));
  });
  const update = () => {
    importButton.hidden = !collections().some(writable);
    exportButton.hidden = !collections().length;
  };
  update();
  return { importButton, exportButton, update };
}
