// The task form of the tasks view (tasks.js), with the Standard task form's fields: title, start and
// due (a day, or a day and a time on the account's clock, zone.js, as the calendar), priority (1 highest to 9 lowest), percent
// done, status, description, categories and "assign to a colleague" (the task's attendee, mailed the
// task by the server: Task/set with sendSchedulingMessages). taskPatch() turns the form into the
// JSCalendar Task properties that changed (draft-ietf-jmap-tasks).

import { t } from "./i18n.js";
import { dateText, fromLocal, timeText } from "./calendar_dates.js";
import { ZONE, toAccountClock } from "./zone.js";
export const STATUSES = ["needs-action", "in-process", "completed", "cancelled"];

function element(tag, props = {}) {
  return Object.assign(document.createElement(tag), props);
}

function row(form, label, ...inputs) {
  const caption = element("label", { textContent: label, htmlFor: inputs[0].id });
  const holder = element("span", { className: "ax-task-inputs" });
  holder.append(...inputs);
  form.append(caption, holder);
}

// A task's start or due as the account's wall clock (a Date), null when unset: a day alone as written, a
// time written in another zone (another client's) moved onto the account's clock.
export function taskTime(task, key) {
  const value = task?.[key];
  if (!value) return null;
  const wall = fromLocal(value);
  return task.showWithoutTime ? wall : toAccountClock(wall, task.timeZone);
}

// The one participant who is not the owner: whom the task is assigned to.
export function assigneeOf(task) {
  const people = Object.values(task?.participants || {});
  return people.find((p) => !p.roles?.owner)?.email ?? "";
}

// A form for `task` (null: a new one); `lists` are the TaskLists it may go to (new tasks only).
export function taskForm(task, { lists = [], list = null, readOnly = false, onSave, onCancel }) {
  const form = element("form", { className: "ax-task-form" });
  form.setAttribute("aria-label", task ? t("task_edit") : t("task_new"));
  const timed = task && !task.showWithoutTime;
  const split = (wall) => [wall ? dateText(wall) : "", wall && timed ? timeText(wall) : ""];
  const title = element("input", { type: "text", id: "ax-tf-title", value: task?.title ?? "", required: true, maxLength: 500 });
  row(form, t("task_title"), title);
  const dates = {};
  for (const [key, label] of [["start", t("task_start")], ["due", t("task_due")]]) {
    const [day, time] = split(taskTime(task, key));
    const dayInput = element("input", { type: "date", id: `ax-tf-${key}`, value: day });
    const timeInput = element("input", { type: "time", id: `ax-tf-${key}-time`, value: time });
    timeInput.setAttribute("aria-label", t("task_time", { field: label }));
    dates[key] = [dayInput, timeInput];
    row(form, label, dayInput, timeInput);
  }
  const priority = element("select", { id: "ax-tf-priority" });
  priority.append(new Option(t("task_priority_none"), "0"));
  for (let n = 1; n <= 9; n += 1) {
    const label = n === 1 ? t("task_priority_highest", { n }) : n === 9 ? t("task_priority_lowest", { n }) : String(n);
    priority.append(new Option(label, String(n)));
  }
  priority.value = String(task?.priority ?? 0);
  row(form, t("task_priority"), priority);
  const percent = element("input", { type: "number", id: "ax-tf-percent", min: 0, max: 100, step: 1, value: task?.percentComplete ?? "" });
  row(form, t("task_percent"), percent);
  const status = element("select", { id: "ax-tf-status" });
  for (const value of STATUSES) status.append(new Option(t(`task_status_${value.replace("-", "_")}`), value));
  status.value = task?.progress ?? "needs-action";
  row(form, t("task_status"), status);
  let where = null;
  if (!task && lists.length) {
    where = element("select", { id: "ax-tf-list" });
    where.append(...lists.map((l) => new Option(l.name, l.id, false, l.id === list)));
    row(form, t("task_list"), where);
  }
  const description = element("textarea", { id: "ax-tf-description", value: task?.description ?? "", rows: 5 });
  row(form, t("task_description"), description);
  const words = element("input", { type: "text", id: "ax-tf-keywords", value: Object.keys(task?.keywords || {}).join(", ") });
  row(form, t("task_categories"), words);
  const assignee = element("input", { type: "email", id: "ax-tf-assignee", value: assigneeOf(task) });
  row(form, t("task_assign"), assignee);
  const error = element("p", { className: "ax-error" });
  error.setAttribute("role", "alert");
  const actions = element("p", { className: "ax-actions" });
  if (!readOnly) actions.append(element("button", { type: "submit", className: "primary", textContent: t("cal_save") }));
  const cancel = element("button", { type: "button", textContent: readOnly ? t("task_close") : t("cancel") });
  cancel.addEventListener("click", () => onCancel());
  actions.append(cancel);
  form.append(error, actions);
  for (const control of form.querySelectorAll("input, select, textarea")) control.disabled = readOnly;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      title: title.value.trim(),
      priority: Number(priority.value),
      percentComplete: percent.value === "" ? null : Number(percent.value),
      progress: status.value,
      description: description.value,
      keywords: Object.fromEntries(words.value.split(",").map((w) => w.trim()).filter(Boolean).map((w) => [w, true])),
    };
    if (!Object.keys(body.keywords).length) body.keywords = null;
    const anyTime = Object.values(dates).some(([day, time]) => day.value && time.value);
    body.showWithoutTime = !anyTime;
    body.timeZone = anyTime ? ZONE : null;
    for (const [key, [day, time]] of Object.entries(dates)) {
      body[key] = day.value ? `${day.value}T${(anyTime && time.value) || "00:00"}:00` : null;
    }
    const who = assignee.value.trim();
    if (who !== assigneeOf(task)) {
      body.participants = who ? { a: { "@type": "Participant", email: who, roles: { attendee: true } } } : null;
    }
    if (where) body.taskListId = where.value;
    error.textContent = "";
    try {
      await onSave(body);
    } catch (refusal) {
      error.textContent = refusal.message;
    }
  });
  return form;
}
