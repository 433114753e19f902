// Advanced search, beside the top bar's quick box: the Standard list's search fields (from, to,
// subject, body, a date range, with attachments, unread, flagged) as one Email/query FilterCondition,
// which list.js adds to the folder's own. The dates are days of the browser's calendar: "since" from the
// start of that day, "before" up to the start of that day (not included), as in the Standard list.

import { t } from "./i18n.js";

const TEXT_FIELDS = ["from", "to", "subject", "body"];

export class SearchPanel {
  constructor(form, { onSearch }) {
    this.onSearch = onSearch;
    this.toggle = document.createElement("button");
    this.toggle.type = "button";
    this.toggle.className = "ax-more";
    this.toggle.textContent = t("advanced_search");
    this.toggle.setAttribute("aria-expanded", "false");
    this.toggle.setAttribute("aria-controls", "ax-advanced");
    this.toggle.addEventListener("click", () => (this.panel.hidden ? this.show() : this.hide()));
    form.append(this.toggle);
    this.panel = this.build();
    document.body.append(this.panel);
    this.active = {};
  }

  build() {
    const panel = document.createElement("form");
    panel.id = "ax-advanced";
    panel.className = "ax-advanced";
    panel.hidden = true;
    panel.setAttribute("role", "search");
    panel.setAttribute("aria-label", t("advanced_search"));
    this.inputs = {};
    const field = (name, type, label) => {
      const caption = document.createElement("label");
      const text = document.createElement("span");
      text.textContent = t(label);
      const input = document.createElement("input");
      input.type = type;
      input.name = name;
      if (type === "text") input.maxLength = 200;
      caption.append(text, input);
      if (type === "checkbox") caption.classList.add("ax-check");
      panel.append(caption);
      this.inputs[name] = input;
    };
    for (const name of TEXT_FIELDS) field(name, "text", name === "body" ? "search_body" : name);
    field("since", "date", "search_since");
    field("before", "date", "search_before");
    field("attach", "checkbox", "search_attach");
    field("unseen", "checkbox", "search_unseen");
    field("flagged", "checkbox", "search_flagged");
    const actions = document.createElement("p");
    actions.className = "ax-actions";
    const go = document.createElement("button");
    go.type = "submit";
    go.className = "primary";
    go.textContent = t("search");
    const clear = document.createElement("button");
    clear.type = "button";
    clear.textContent = t("clear_search");
    clear.addEventListener("click", () => {
      panel.reset();
      this.apply();
    });
    actions.append(go, clear);
    panel.append(actions);
    panel.addEventListener("submit", (event) => {
      event.preventDefault();
      this.apply();
      this.hide();
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      this.hide();
    });
    return panel;
  }

  show() {
    this.panel.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    this.inputs.from.focus();
  }

  hide() {
    this.panel.hidden = true;
    this.toggle.setAttribute("aria-expanded", "false");
    this.toggle.focus();
  }

  apply() {
    const filter = {};
    for (const name of TEXT_FIELDS) {
      const value = this.inputs[name].value.trim();
      if (value) filter[name] = value;
    }
    const day = (value) => (value ? new Date(`${value}T00:00:00`).toISOString() : null);
    if (day(this.inputs.since.value)) filter.after = day(this.inputs.since.value);
    if (day(this.inputs.before.value)) filter.before = day(this.inputs.before.value);
    if (this.inputs.attach.checked) filter.hasAttachment = true;
    if (this.inputs.unseen.checked) filter.notKeyword = "$seen";
    if (this.inputs.flagged.checked) filter.hasKeyword = "$flagged";
    this.active = filter;
    this.toggle.classList.toggle("ax-on", Object.keys(filter).length > 0);
    this.onSearch();
  }

  // The FilterCondition of the fields filled in ({} when none).
  criteria() {
    return this.active;
  }
}
