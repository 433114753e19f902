// The list's order, as the Standard list's column headings give it: date written, arrival, sender,
// subject or size, newest (largest, Z-A) or oldest (smallest, A-Z) first; kept in this browser. Each is
// an Email/query sort property the server keeps an index for.

import { t } from "./i18n.js";

const SORT_KEY = "fieldpost.ajax.sort";
const PROPERTIES = [
  ["receivedAt", "sort_arrival"], ["sentAt", "sort_date"], ["from", "sort_from"], ["subject", "sort_subject"],
  ["size", "sort_size"],
];

export class SortBar {
  constructor(listSection, { onChange }) {
    const saved = JSON.parse(localStorage.getItem(SORT_KEY) || "{}");
    this.property = PROPERTIES.some(([p]) => p === saved.property) ? saved.property : "receivedAt";
    this.ascending = saved.ascending === true;
    const bar = document.createElement("div");
    bar.className = "ax-sortbar";
    const label = document.createElement("label");
    label.textContent = `${t("sort_by")} `;
    const select = document.createElement("select");
    select.name = "sort";
    for (const [property, key] of PROPERTIES) {
      const option = document.createElement("option");
      option.value = property;
      option.textContent = t(key);
      select.append(option);
    }
    select.value = this.property;
    label.append(select);
    const order = document.createElement("button");
    order.type = "button";
    order.className = "ax-order";
    const show = () => {
      order.textContent = this.ascending ? "↑" : "↓";
      const key = this.ascending ? "order_ascending" : "order_descending";
      order.title = t(key); // the order now; the button's name says what it does
      order.setAttribute("aria-label", `${t("reverse_order")} (${t(key)})`);
    };
    show();
    const changed = () => {
      localStorage.setItem(SORT_KEY, JSON.stringify({ property: this.property, ascending: this.ascending }));
      onChange();
    };
    select.addEventListener("change", () => {
      this.property = select.value;
      changed();
    });
    order.addEventListener("click", () => {
      this.ascending = !this.ascending;
      show();
      changed();
    });
    bar.append(label, order);
    listSection.prepend(bar);
  }

  // The Email/query sort (the server breaks ties by its own index order).
  sort() {
    return [{ property: this.property, isAscending: this.ascending }];
  }
}
