// The settings pane, in the reader's pane, one tab for each Standard settings tab: each identity's
// signature over JMAP (Identity/set: the signature is the only property a user may change; the names and
// addresses are the administrator's), and the one for every address without its own (no Identity holds
// it: the Standard General tab's field, over the pane's route); General, Out of office, Rules, Senders, Temporary addresses,
// Password, Two-step sign-in, App passwords and Other mailboxes over the pane's routes that run the
// Standard tabs' own code (settings_general.js, settings_away.js, settings_rules.js, settings_signin.js,
// settings_remote.js). Out of office is not JMAP's VacationResponse: that has one text where the Standard
// page has two and no "once in N days", so the pane uses the page's code and keeps every field.

import { config, t } from "./i18n.js";
import { Refused, api } from "./settings_form.js";
import { aliasesTab, generalTab, passwordTab, sendersTab } from "./settings_general.js";
import { remoteTab } from "./settings_remote.js";
import { rulesTab } from "./settings_rules.js";
import { outOfOfficeTab } from "./settings_away.js";
import { appPasswordsTab, twoStepTab } from "./settings_signin.js";

// The tabs, in the Standard settings' order (with the signatures, which Standard has under General).
const TABS = [
  ["general", "st_general"], ["signatures", "signatures"], ["out_of_office", "out_of_office"],
  ["rules", "st_rules"], ["senders", "st_senders"], ["aliases", "st_aliases"], ["password", "st_password"],
  ["two_step", "st_two_step"], ["app_passwords", "st_app_passwords"], ["remote", "st_remote"],
];
const TAB_CONTENT = {
  general: generalTab, out_of_office: outOfOfficeTab, rules: rulesTab, senders: sendersTab, aliases: aliasesTab, password: passwordTab,
  two_step: twoStepTab, app_passwords: appPasswordsTab, remote: remoteTab,
};

export class SettingsPane {
  constructor(root, jmap, { onClose, notify }) {
    this.root = root;
    this.jmap = jmap;
    this.onClose = onClose;
    this.notify = notify;
    this.open = false;
  }

  // The pane with its tabs, showing `tab` (the last one shown, at first General).
  async show(tab = this.tab || "general") {
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
    const tabs = document.createElement("div");
    tabs.className = "ax-settings-tabs";
    tabs.setAttribute("role", "tablist");
    tabs.setAttribute("aria-label", t("settings"));
    this.body = document.createElement("div");
    this.body.className = "ax-settings-body";
    this.body.setAttribute("role", "tabpanel");
    this.tabs = new Map();
    for (const [name, label] of TABS) {
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "tab");
      button.textContent = t(label);
      button.addEventListener("click", () => this.select(name));
      tabs.append(button);
      this.tabs.set(name, button);
    }
    const more = document.createElement("p");
    const link = document.createElement("a");
    link.href = config.settings;
    link.textContent = t("more_settings");
    more.append(link);
    pane.append(top, tabs, this.body, more);
    this.root.replaceChildren(pane);
    await this.select(tab);
  }

  // Show one tab: its content comes from JMAP (signatures, out of office) or the pane's routes (the rest).
  async select(name) {
    this.tab = name;
    for (const [tab, button] of this.tabs) button.setAttribute("aria-selected", String(tab === name));
    this.body.setAttribute("aria-label", this.tabs.get(name).textContent);
    const shown = Symbol(name);
    this.shown = shown;
    this.body.replaceChildren();
    this.body.setAttribute("aria-busy", "true");
    const context = { notify: this.notify, open: (other) => this.select(other) };
    try {
      let parts;
      if (name === "signatures") {
        const [found, fallback] = await Promise.all([this.jmap.call("Identity/get", { ids: null }), api("signature")]);
        parts = [this.signatures(found.list, fallback.signature)];
      } else {
        parts = await TAB_CONTENT[name](context);
      }
      if (this.shown !== shown) return; // another tab was chosen meanwhile
      this.body.replaceChildren(...parts);
      this.body.setAttribute("aria-busy", "false");
    } catch (error) {
      if (this.shown !== shown) return;
      const note = document.createElement("p");
      note.className = "ax-error";
      note.setAttribute("role", "alert");
      note.textContent = t("failed", { reason: error.message });
      this.body.replaceChildren(note);
      this.body.setAttribute("aria-busy", "false");
    }
    this.body.querySelector("textarea, input, select")?.focus();
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

  // Each address's signature (an Identity's textSignature: its own, else the one for every address), then
  // the one for every address without its own ("*"), as the Standard General tab keeps it. That one is
  // saved first, so the addresses that take it show its new text once the identities are read again.
  signatures(identities, fallback) {
    const boxes = new Map();
    const box = (caption, name, value) => {
      const label = document.createElement("label");
      const span = document.createElement("span");
      span.textContent = caption;
      const text = document.createElement("textarea");
      text.name = name;
      text.rows = 4;
      text.value = value;
      label.append(span, text);
      return [label, text];
    };
    const [fallbackLabel, fallbackBox] = box(t("signature_default"), "signature-default", fallback);
    fallbackLabel.className = "ax-signature-default";
    return this.form(t("signatures"), () => [...identities.map((identity) => {
      const caption = identity.name ? `${identity.name} <${identity.email}>` : identity.email;
      const [label, text] = box(caption, `signature-${identity.id}`, identity.textSignature || "");
      boxes.set(identity.id, text);
      return label;
    }), fallbackLabel], async () => {
      if (fallbackBox.value !== fallback) {
        try {
          fallback = (await api("signature", { signature: fallbackBox.value })).signature;
        } catch (refusal) {
          const reason = refusal instanceof Refused ? Object.values(refusal.errors).flat().join(" ") : refusal.message;
          throw new Error(t("setting_refused", { field: t("signature_default"), reason }));
        }
        fallbackBox.value = fallback;
      }
      const update = {};
      for (const identity of identities) {
        const value = boxes.get(identity.id).value;
        if (value !== (identity.textSignature || "")) update[identity.id] = { textSignature: value };
      }
      if (Object.keys(update).length) refusedBy(await this.jmap.call("Identity/set", { update }), "notUpdated");
      const fresh = new Map((await this.jmap.call("Identity/get", { ids: null })).list.map((i) => [i.id, i]));
      for (const identity of identities) {
        identity.textSignature = fresh.get(identity.id)?.textSignature ?? identity.textSignature;
        boxes.get(identity.id).value = identity.textSignature || "";
      }
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
  textSignature: "signatures",
};
