// The Ajax interface's tasks (the top bar's Tasks view, views.js) over JMAP for Tasks
// (draft-ietf-jmap-tasks: TaskList/get, Task/query + Task/get in one request, Task/set): the tasks of
// one list, open ones by due date, with their priority, percent done and status; a checkbox marks one
// done (or open again), the bar adds one with an optional due day, "More fields" or a task's title opens
// the whole form (task_form.js: the Standard task form's fields), and each row can be deleted. A push
// naming Task or TaskList (main.js's "ax-push" event) reloads the list.

import { t } from "./i18n.js";
import { Jmap, JmapError } from "./jmap.js";
import { status } from "./layout.js";
import { dateText } from "./calendar_dates.js";
import { registerView } from "./views.js";
import { taskForm, taskTime } from "./task_form.js";
import { shareButton } from "./sharing.js";
import { transferButtons } from "./transfer.js";
import { queryAll } from "./query_all.js";

export const TASKS = "urn:ietf:params:jmap:tasks";
const root = document.querySelector(".ax-tasks");
const jmap = new Jmap();
jmap.using = [...jmap.using, TASKS];
const locale = document.documentElement.lang || undefined;
const ALL = "*"; // the picker's "All task lists", as the Standard task page lists every list at once
const state = { connected: false, loaded: false, lists: [], list: null, showDone: false, tasks: [], editing: false };
const FIELDS = ["id", "title", "start", "due", "timeZone", "showWithoutTime", "progress", "priority", "percentComplete",
  "description", "keywords", "participants", "taskListId"];

const form = document.createElement("form");
form.className = "ax-task-bar";
const picker = document.createElement("select");
picker.setAttribute("aria-label", t("task_list"));
const title = document.createElement("input");
title.type = "text";
title.id = "ax-task-title";
title.placeholder = t("task_new");
title.setAttribute("aria-label", t("task_new"));
const due = document.createElement("input");
due.type = "date";
due.id = "ax-task-due";
due.setAttribute("aria-label", t("task_due"));
const add = document.createElement("button");
add.type = "submit";
add.className = "primary";
add.textContent = t("task_add");
const more = document.createElement("button");
more.type = "button";
more.textContent = t("task_more");
const doneLabel = document.createElement("label");
const showDone = document.createElement("input");
showDone.type = "checkbox";
doneLabel.append(showDone, " ", t("task_show_done"));
const share = shareButton(() => state.lists.find((l) => l.id === state.list), () => load());
// Import (.ics into a task list) and Export (the list shown, or one picked): transfer.js
const transfer = transferButtons({
  collections: () => state.lists, writable: (l) => Boolean(l.myRights?.mayWriteAll),
  current: () => (state.list === ALL ? null : state.list), done: () => load(),
});
form.append(picker, share, title, due, add, more, doneLabel, transfer.importButton, transfer.exportButton);
for (const element of [title, due, add, more]) element.disabled = true; // until the lists are known
const rows = document.createElement("ul");
rows.className = "ax-task-rows";
const detail = document.createElement("section");
detail.className = "ax-task-detail";
detail.hidden = true;
root.append(form, detail, rows);

function failed(error) {
  status(t("failed", { reason: error.message || String(error) }));
}

function refused(answer, key) {
  const error = answer?.[key] && Object.values(answer[key])[0];
  if (error) throw new JmapError(error.type, error.description);
}

async function load() {
  try {
    if (!state.connected) {
      await jmap.connect();
      state.connected = true;
    }
    const lists = await jmap.call("TaskList/get", { ids: null });
    state.lists = lists.list;
    if (state.list === ALL ? state.lists.length < 2 : !state.lists.some((l) => l.id === state.list)) {
      state.list = (state.lists.find((l) => l.isDefault) ?? state.lists[0])?.id ?? null;
    }
    state.tasks = await queryAll(jmap, "Task", {
      ...(state.list === ALL ? {} : { inTaskLists: [state.list] }), ...(state.showDone ? {} : { completed: false }),
    }, FIELDS);
    state.loaded = true;
    render();
  } catch (error) {
    failed(error);
  }
}

// Where the bar's new tasks go: the list shown, or with all of them the default one.
function target() {
  return state.list === ALL ? (state.lists.find((l) => l.isDefault) ?? state.lists[0])?.id ?? null : state.list;
}

function mayWrite(list = target()) {
  return Boolean(state.lists.find((l) => l.id === list)?.myRights?.mayWriteAll);
}

function render() {
  const every = state.lists.length > 1 ? [new Option(t("task_all_lists"), ALL, false, state.list === ALL)] : [];
  picker.replaceChildren(...every, ...state.lists.map((l) => new Option(l.name, l.id, false, l.id === state.list)));
  share.update();
  transfer.update();
  for (const element of [title, due, add, more]) element.disabled = !mayWrite();
  const when = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric" });
  const whenTimed = new Intl.DateTimeFormat(locale, {
    day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit",
  });
  rows.replaceChildren(...state.tasks.map((task) => {
    const row = document.createElement("li");
    row.className = "ax-task";
    row.dataset.id = task.id;
    const done = task.progress === "completed" || task.progress === "cancelled";
    row.classList.toggle("ax-task-done", done);
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = done;
    box.disabled = !mayWrite(task.taskListId);
    box.setAttribute("aria-label", task.title || t("cal_no_title"));
    box.addEventListener("change", () => change(task.id, { progress: box.checked ? "completed" : "needs-action" }));
    const name = document.createElement("button");
    name.type = "button";
    name.className = "ax-task-title";
    name.textContent = task.title || t("cal_no_title");
    name.addEventListener("click", () => open(task));
    const facts = document.createElement("span");
    facts.className = "ax-task-facts";
    if (task.priority) facts.append(badge("ax-task-priority", t("task_priority_n", { n: task.priority })));
    if (task.percentComplete !== null && task.percentComplete !== undefined) {
      facts.append(badge("ax-task-percent", `${task.percentComplete}%`));
    }
    if (task.progress === "in-process" || task.progress === "cancelled") {
      facts.append(badge("ax-task-status", t(`task_status_${task.progress.replace("-", "_")}`)));
    }
    if (state.list === ALL) facts.append(badge("ax-task-list", state.lists.find((l) => l.id === task.taskListId)?.name ?? ""));
    const date = document.createElement("span");
    date.className = "ax-when";
    const dueAt = taskTime(task, "due"); // on the account's clock (zone.js), its time when it has one
    date.textContent = dueAt ? (task.showWithoutTime ? when : whenTimed).format(dueAt) : "";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = t("cal_delete");
    remove.disabled = !mayWrite(task.taskListId);
    remove.addEventListener("click", () => destroy(task.id));
    row.append(box, name, facts, date, remove);
    return row;
  }));
  if (!state.tasks.length) {
    const empty = document.createElement("li");
    empty.className = "ax-placeholder";
    empty.textContent = t("task_none");
    rows.append(empty);
  }
}

function badge(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

// The whole form, for `task` or (null) a new one; saving mails an assignee (sendSchedulingMessages).
function open(task) {
  const lists = state.lists.filter((l) => l.myRights?.mayWriteAll);
  const readOnly = task !== null && !mayWrite(task.taskListId);
  const close = () => { state.editing = false; detail.hidden = true; detail.replaceChildren(); };
  detail.replaceChildren(taskForm(task, {
    lists, list: target(), readOnly, onCancel: close,
    onSave: async (body) => {
      const call = task ? { update: { [task.id]: body } } : { create: { new: { "@type": "Task", ...body } } };
      refused(await jmap.call("Task/set", { ...call, sendSchedulingMessages: true }), task ? "notUpdated" : "notCreated");
      status(t("task_saved"));
      close();
      await load();
    },
  }));
  state.editing = true;
  detail.hidden = false;
  detail.querySelector("input")?.focus();
}

async function change(id, patch) {
  try {
    refused(await jmap.call("Task/set", { update: { [id]: patch } }), "notUpdated");
    status(t("task_saved"));
  } catch (error) {
    failed(error);
  }
  await load();
}

async function destroy(id) {
  try {
    refused(await jmap.call("Task/set", { destroy: [id] }), "notDestroyed");
    status(t("task_deleted"));
  } catch (error) {
    failed(error);
  }
  await load();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = title.value.trim();
  if (!text || !target()) return;
  const task = { "@type": "Task", taskListId: target(), title: text };
  if (due.value) Object.assign(task, { due: `${due.value}T00:00:00`, showWithoutTime: true });
  try {
    refused(await jmap.call("Task/set", { create: { new: task } }), "notCreated");
    title.value = "";
    due.value = "";
    status(t("task_saved"));
  } catch (error) {
    failed(error);
  }
  await load();
});
picker.addEventListener("change", () => { state.list = picker.value; load(); });
more.addEventListener("click", () => open(null));
window.addEventListener("ax-push", (event) => {
  const types = event.detail || {};
  if (state.loaded && (types.Task || types.TaskList)) load();
});
showDone.addEventListener("change", () => { state.showDone = showDone.checked; load(); });
due.min = dateText(new Date(2000, 0, 1));

registerView("tasks", load);
