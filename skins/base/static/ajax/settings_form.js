// What the settings tabs share: the calls to the pane's JSON routes (/ajax/settings/..., run by the
// Standard settings pages' own forms on the server: webmail/ajax/settings_routes.py) and a form whose
// refusals show beside the field they concern, as on the Standard pages.

import { config, t } from "./i18n.js";

// A refusal of the server: {field name: [message, ...]}, "" for the whole form.
export class Refused extends Error {
  constructor(errors) {
    super(Object.values(errors).flat().join(" "));
    this.errors = errors;
  }
}

// GET (no data) or POST (data: a JSON object) one of the pane's routes; the answer's object, or throws
// Refused (400 with field errors) or an Error saying what failed.
export async function api(what, data) {
  const headers = { Accept: "application/json" };
  const options = { headers, credentials: "same-origin" };
  if (data !== undefined) {
    options.method = "POST";
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = config.csrf;
    options.body = JSON.stringify(data);
  }
  const response = await fetch(config.settings_api + what, options);
  let answer = null;
  if ((response.headers.get("Content-Type") || "").includes("json")) answer = await response.json();
  if (response.ok && answer) return answer;
  if (answer?.errors) throw new Refused(answer.errors);
  const notice = answer?.notices?.find((n) => n.kind === "error");
  throw new Error(notice ? notice.text : `${response.status} ${response.statusText}`);
}

export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("aria-") || name === "role" || name === "for") node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function button(label, onClick, className = "") {
  const node = element("button", { type: "button", text: label, class: className });
  node.addEventListener("click", onClick);
  return node;
}

let serial = 0;

// A form of labelled fields: `add` makes one (text, password, number, textarea, select, checkbox) with a
// place for its error beside it; `onSubmit(handler)` calls handler(values) and shows what the server
// refused beside each field (or at the top for the whole form).
export class SettingsForm {
  constructor(title, submitLabel = t("save")) {
    this.fields = new Map();
    this.form = element("form", { class: "ax-settings-form", noValidate: true });
    if (title) this.form.append(element("h3", { text: title }));
    this.body = element("div", { class: "ax-fields" });
    this.top = element("p", { class: "ax-error", role: "alert" });
    this.submit = element("button", { type: "submit", class: "primary", text: submitLabel });
    this.actions = element("p", { class: "ax-actions" }, this.submit);
    this.form.append(this.body, this.top, this.actions);
  }

  add(name, label, { type = "text", value = "", choices = null, rows = 3, hint = "", into = null } = {}) {
    const id = `ax-set-${++serial}`;
    let input;
    if (choices) {
      input = element("select");
      for (const choice of choices) {
        const [optionValue, optionLabel] = Array.isArray(choice) ? choice : [choice, choice];
        input.append(element("option", { value: optionValue, text: optionLabel }));
      }
      input.value = value ?? "";
    } else if (type === "textarea") {
      input = element("textarea", { rows, value: value ?? "" });
    } else {
      input = element("input", { type });
      if (type === "checkbox") input.checked = Boolean(value);
      else input.value = value ?? "";
    }
    input.name = name;
    input.id = id;
    const error = element("span", { class: "ax-field-error", id: `${id}-error` });
    input.setAttribute("aria-describedby", `${id}-error`);
    const caption = element("label", { for: id, text: label });
    const row = element("div", { class: type === "checkbox" ? "ax-field ax-check" : "ax-field" });
    if (type === "checkbox") row.append(input, caption, error);
    else row.append(caption, input, error);
    if (hint) row.append(element("span", { class: "ax-hint", text: hint }));
    (into || this.body).append(row);
    this.fields.set(name, { input, error, row });
    return input;
  }

  values() {
    const found = {};
    for (const [name, { input }] of this.fields) {
      found[name] = input.type === "checkbox" ? input.checked : input.value;
    }
    return found;
  }

  clear() {
    this.top.textContent = "";
    for (const { input, error } of this.fields.values()) {
      error.textContent = "";
      input.removeAttribute("aria-invalid");
    }
  }

  show(errors) {
    for (const [name, messages] of Object.entries(errors)) {
      const field = this.fields.get(name);
      if (field && !field.row.hidden) {
        field.error.textContent = messages.join(" ");
        field.input.setAttribute("aria-invalid", "true");
      } else {
        this.top.append(`${this.top.textContent ? " " : ""}${messages.join(" ")}`);
      }
    }
    this.form.querySelector("[aria-invalid=true]")?.focus();
  }

  onSubmit(handler) {
    this.form.addEventListener("submit", async (event) => {
      event.preventDefault();
      this.clear();
      this.submit.disabled = true;
      try {
        await handler(this.values());
      } catch (refusal) {
        if (refusal instanceof Refused) this.show(refusal.errors);
        else this.top.textContent = t("failed", { reason: refusal.message });
      } finally {
        this.submit.disabled = false;
      }
    });
    return this.form;
  }
}

// The first notice a route answered (the Standard page's flash), else `fallback`.
export function noticeOf(answer, fallback) {
  return answer.notices?.find((n) => n.kind !== "error")?.text || fallback;
}

// A UTC date-time as the browser shows dates (its zone and language).
export function when(utc) {
  return utc ? new Date(utc).toLocaleString(document.documentElement.lang || undefined) : "";
}

export function size(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}
