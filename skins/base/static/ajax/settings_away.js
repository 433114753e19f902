// The settings pane's Out of office tab: the Standard out-of-office page's fields (on or off, first and
// last day, subject, a text for senders of one's own organisation and one for everyone else, answer each
// sender at most once in N days), saved by that page's own code (/ajax/settings/out-of-office:
// webmail/ajax/settings_routes.py), so both interfaces write the same Sieve entry with every field and
// neither loses what the other set. The days are days of the account's calendar (its time zone, as the
// Standard page shows them): the server answers and takes them as YYYY-MM-DD, so nothing here converts.

import { t } from "./i18n.js";
import { SettingsForm, api, button, element } from "./settings_form.js";

export async function outOfOfficeTab({ notify }) {
  const root = element("div", { class: "ax-away" });
  let state = await api("out-of-office");

  const build = () => {
    const notes = [];
    if (state.edited) notes.push(element("p", { class: "ax-warning", role: "status", text: t("st_script_edited") }));
    if (state.active_script && !state.in_force) {
      notes.push(element("p", { class: "ax-warning", role: "status" }, t("st_other_script", { name: state.active_script }), " ",
        button(t("st_activate"), async () => {
          await api("filters/activate", {});
          state = await api("out-of-office");
          build();
        })));
    }
    const v = state.values;
    const form = new SettingsForm(t("out_of_office"));
    form.add("enabled", t("vacation_on"), { type: "checkbox", value: v.enabled });
    form.add("start", t("vacation_from"), { type: "date", value: v.start, hint: t("vacation_start_hint") });
    form.add("end", t("vacation_to"), { type: "date", value: v.end, hint: t("vacation_end_hint") });
    form.add("subject", t("subject"), { value: v.subject, hint: t("vacation_subject_hint") });
    form.add("internal_text", t("vacation_internal"), { type: "textarea", rows: 5, value: v.internal_text,
      hint: t("vacation_internal_hint") });
    form.add("external_text", t("vacation_external"), { type: "textarea", rows: 5, value: v.external_text,
      hint: t("vacation_external_hint") });
    const days = form.add("days", t("vacation_days"), { type: "number", value: v.days });
    days.min = state.min_days;
    days.max = state.max_days;
    if (state.edited) form.add("replace_edited", t("st_replace_edited"), { type: "checkbox" });
    form.onSubmit(async (values) => {
      state = await api("out-of-office", values);
      notify(t("settings_saved"));
      build();
    });
    root.replaceChildren(...notes, form.form);
  };
  build();
  return [root];
}
