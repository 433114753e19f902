// The settings pane, in the reader's pane: each identity's signature (Identity/set: the signature is the
// only property a user may change; the names and addresses are the administrator's) and the
// out-of-office reply (VacationResponse/set, the same Sieve entry the Standard settings page edits).
// Everything else links to the Standard settings pages.

import { config, t } from "./i18n.js";
import { instantOf, wallClock } from "./zone.js";

export class SettingsPane {
  constructor(root, jmap, { onClose, notify }) {
    this.root = root;
    this.jmap = jmap;
    this.onClose = onClose;
    this.notify = notify;
    this.open = false;
  }

  async show() {
    this.open = true;
    const pane = document.createElement("div");
    pane.className = "ax-settings";
    const heading = document.createElement("h2");
    heading.textContent = t("settings");
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = t("close");
    close.addEventListener("click", () => this.close());
    const top = document.createElement("div");
    top.className = "ax-toolbar";
    top.append(heading, close);
    pane.append(top);
    this.root.replaceChildren(pane);
    try {
      const found = await this.jmap.batch([
        ["Identity/get", { ids: null }, "identities"],
        ["VacationResponse/get", { ids: null }, "vacation"],
      ]);
      pane.append(this.signatures(found.identities.list), this.vacation(found.vacation.list[0]));
    } catch (error) {
      const note = document.createElement("p");
      note.className = "ax-error";
      note.setAttribute("role", "alert");
      note.textContent = t("failed", { reason: error.message });
      pane.append(note);
    }
    const more = document.createElement("p");
    const link = document.createElement("a");
    link.href = config.settings;
    link.textContent = t("more_settings");
    more.append(link);
    pane.append(more);
    pane.querySelector("textarea, input")?.focus();
  }

  close() {
    this.open = false;
    this.onClose();
  }

  // A form whose Save calls `save()`; a refusal or failure is shown under it, success in the status line.
  form(title, build, save) {
    const form = document.createElement("form");
    form.className = "ax-settings-form";
    const heading = document.createElement("h3");
    heading.textContent = title;
    form.append(heading, ...build());
    const error = document.createElement("p");
    error.className = "ax-error";
    error.setAttribute("role", "alert");
    const actions = document.createElement("p");
    actions.className = "ax-actions";
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "primary";
    button.textContent = t("save");
    actions.append(button);
    form.append(error, actions);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      button.disabled = true;
      try {
        await save();
        this.notify(t("settings_saved"));
      } catch (refusal) {
        error.textContent = refusal.message;
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  signatures(identities) {
    const boxes = new Map();
    return this.form(t("signatures"), () => identities.map((identity) => {
      const label = document.createElement("label");
      const caption = document.createElement("span");
      caption.textContent = identity.name ? `${identity.name} <${identity.email}>` : identity.email;
      const text = document.createElement("textarea");
      text.name = `signature-${identity.id}`;
      text.rows = 4;
      text.value = identity.textSignature || "";
      boxes.set(identity.id, text);
      label.append(caption, text);
      return label;
    }), async () => {
      const update = {};
      for (const identity of identities) {
        const value = boxes.get(identity.id).value;
        if (value !== (identity.textSignature || "")) update[identity.id] = { textSignature: value };
      }
      if (!Object.keys(update).length) return;
      refusedBy(await this.jmap.call("Identity/set", { update }), "notUpdated");
      for (const identity of identities) {
        if (update[identity.id]) identity.textSignature = update[identity.id].textSignature;
      }
    });
  }

  vacation(current) {
    const fields = {};
    const field = (name, type, label, value) => {
      const caption = document.createElement("label");
      const text = document.createElement("span");
      text.textContent = t(label);
      const input = document.createElement(type === "textarea" ? "textarea" : "input");
      if (type !== "textarea") input.type = type;
      else input.rows = 5;
      input.name = name;
      if (type === "checkbox") {
        input.checked = Boolean(value);
        caption.classList.add("ax-check");
      } else {
        input.value = value ?? "";
      }
      caption.append(text, input);
      fields[name] = input;
      return caption;
    };
    // the days on the account's calendar (its time zone, zone.js), as the Standard settings page shows them
    const day = (utc) => (utc ? localDay(wallClock(new Date(utc))) : "");
    const lastDay = (utc) => (utc ? localDay(wallClock(new Date(new Date(utc).getTime() - 1))) : "");
    return this.form(t("out_of_office"), () => [
      field("isEnabled", "checkbox", "vacation_on", current?.isEnabled),
      field("fromDate", "date", "vacation_from", day(current?.fromDate)),
      field("toDate", "date", "vacation_to", lastDay(current?.toDate)),
      field("subject", "text", "subject", current?.subject),
      field("textBody", "textarea", "vacation_text", current?.textBody),
    ], async () => {
      // whole days of the account's calendar: from the start of the first to the end of the last
      const start = fields.fromDate.value ? instantOf(new Date(`${fields.fromDate.value}T00:00:00`)) : null;
      let end = null;
      if (fields.toDate.value) {
        const after = new Date(`${fields.toDate.value}T00:00:00`);
        after.setDate(after.getDate() + 1);
        end = instantOf(after);
      }
      const patch = {
        isEnabled: fields.isEnabled.checked,
        fromDate: start ? start.toISOString().replace(/\.\d+Z$/, "Z") : null,
        toDate: end ? end.toISOString().replace(/\.\d+Z$/, "Z") : null,
        subject: fields.subject.value.trim() || null,
        textBody: fields.textBody.value || null,
      };
      const answer = await this.jmap.call("VacationResponse/set", { update: { singleton: patch } });
      refusedBy(answer, "notUpdated");
    });
  }
}

// The first SetError of a /set answer, thrown as the user reads it.
function refusedBy(answer, kind) {
  const refused = Object.values(answer[kind] || {})[0];
  if (!refused) return;
  const what = (refused.properties || []).map((p) => t(PROPERTY_LABELS[p] || p)).join(", ");
  const reason = refused.description || refused.type;
  throw new Error(what ? t("setting_refused", { field: what, reason }) : t("failed", { reason }));
}

const PROPERTY_LABELS = {
  textSignature: "signatures", fromDate: "vacation_from", toDate: "vacation_to", subject: "subject",
  textBody: "vacation_text",
};

function localDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
