// The settings pane's Rules tab: the Standard rules wizard's list (turn on/off, up, down, change,
// delete) and its form (name, all/any, the condition rows, the action and its folder or address, flag,
// stop, enabled), saved by the Standard wizard's own code (/ajax/settings/rules...: the same checks,
// the same WebMail Sieve script, so a rule made here shows on the Standard rules page).

import { t } from "./i18n.js";
import { SettingsForm, api, button, element, noticeOf } from "./settings_form.js";

const TARGET = { move: "folder", copy: "folder", forward: "address", redirect: "address" };

export async function rulesTab({ notify }) {
  const root = element("div", { class: "ax-rules" });
  let state = await api("rules");

  const change = async (number, what) => {
    try {
      state = await api(`rules/${number}/${what}`, { replace_edited: state.edited });
      notify(noticeOf(state, t("settings_saved")));
      list();
    } catch (error) {
      notify(t("failed", { reason: error.message }));
    }
  };

  const summary = (rule) => {
    const label = (kind, value) => (state.choices[kind].find(([v]) => v === value) || [value, value])[1];
    const conditions = rule.conditions.map((c) => `${label("field", c.field)} ${label("operator", c.operator)} “${c.value}”`);
    const target = rule.target ? ` ${rule.target}` : "";
    return `${conditions.join(rule.match_all ? " + " : " | ")} → ${label("action", rule.action)}${target}`;
  };

  const list = () => {
    const notes = [];
    if (state.edited) notes.push(element("p", { class: "ax-warning", role: "status", text: t("st_script_edited") }));
    if (state.active_script && !state.in_force) {
      notes.push(element("p", { class: "ax-warning", role: "status" }, t("st_other_script", { name: state.active_script }), " ",
        button(t("st_activate"), async () => {
          state = await api("filters/activate", {});
          list();
        })));
    }
    const rows = state.rules.map((rule, index) => {
      const number = index + 1;
      return element("tr", { class: rule.enabled ? "ax-rule" : "ax-rule ax-rule-off" },
        element("td", { text: String(number) }),
        element("td", { class: "ax-rule-name" }, element("strong", { text: rule.name }), element("br"),
          element("span", { class: "ax-hint", text: summary(rule) })),
        element("td", { text: rule.enabled ? t("st_on") : t("st_off") }),
        element("td", { class: "ax-row-actions" },
          button(t("st_up"), () => change(number, "up")),
          button(t("st_down"), () => change(number, "down")),
          button(rule.enabled ? t("st_turn_off") : t("st_turn_on"), () => change(number, "toggle")),
          button(t("st_edit"), () => edit(number)),
          button(t("delete"), () => change(number, "delete"))));
    });
    root.replaceChildren(...notes,
      element("p", {}, t("st_rules_intro"), " ", button(t("st_new_rule"), () => edit(0), "primary")),
      rows.length
        ? element("table", { class: "ax-table" },
          element("thead", {}, element("tr", {},
            element("th", { scope: "col", text: "#" }), element("th", { scope: "col", text: t("st_name") }),
            element("th", { scope: "col", text: t("st_status") }), element("th", { scope: "col", text: t("st_edit") }))),
          element("tbody", {}, ...rows))
        : element("p", { class: "ax-empty", text: t("st_no_rules") }));
  };

  // The wizard for rule `number` (1-based), or a new one (0).
  const edit = (number) => {
    const rule = number ? state.rules[number - 1] : null;
    const form = new SettingsForm(rule ? `${t("st_rule")} ${number}` : t("st_new_rule"));
    form.add("name", t("st_name"), { value: rule?.name });
    form.add("match_all", t("st_apply_when"), {
      choices: [["all", t("st_all")], ["any", t("st_any")]], value: rule && !rule.match_all ? "any" : "all",
    });
    const rows = element("fieldset", { class: "ax-conditions" }, element("legend", { text: t("st_conditions") }));
    form.body.append(rows);
    for (let n = 1; n <= state.condition_rows; n += 1) {
      const condition = rule?.conditions[n - 1];
      const line = element("div", { class: "ax-condition" });
      rows.append(line);
      form.add(`field_${n}`, `${t("st_field")} ${n}`, { choices: state.choices.field, value: condition?.field || "from", into: line });
      form.add(`operator_${n}`, `${t("st_comparison")} ${n}`, { choices: state.choices.operator, value: condition?.operator || "contains", into: line });
      form.add(`value_${n}`, `${t("st_text")} ${n}`, { value: condition?.value, into: line });
    }
    const action = form.add("action", t("st_then"), { choices: state.choices.action, value: rule?.action || "move" });
    form.add("folder", t("st_folder"), {
      choices: state.folders, value: TARGET[rule?.action] === "folder" ? rule.target : "INBOX", hint: t("st_folder_hint"),
    });
    form.add("address", t("st_address"), {
      type: "email", value: TARGET[rule?.action] === "address" ? rule.target : "", hint: t("st_address_hint"),
    });
    form.add("flag", t("st_also_flag"), { type: "checkbox", value: rule?.flag });
    form.add("stop", t("st_stop"), { type: "checkbox", value: rule?.stop });
    form.add("enabled", t("st_enabled"), { type: "checkbox", value: rule ? rule.enabled : true });
    if (state.edited) form.add("replace_edited", t("st_replace_edited"), { type: "checkbox" });
    const follow = () => {
      form.fields.get("folder").row.hidden = TARGET[action.value] !== "folder";
      form.fields.get("address").row.hidden = TARGET[action.value] !== "address";
    };
    action.addEventListener("change", follow);
    follow();
    form.actions.append(button(t("cancel"), list));
    form.onSubmit(async (values) => {
      if (TARGET[values.action] !== "folder") delete values.folder;
      if (TARGET[values.action] !== "address") delete values.address;
      state = await api(number ? `rules/${number}` : "rules/new", values);
      notify(noticeOf(state, t("settings_saved")));
      list();
    });
    root.replaceChildren(form.form);
    form.fields.get("name").input.focus();
  };

  list();
  return [root];
}
