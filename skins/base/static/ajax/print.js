// Printing the selected messages, as the Standard list's Print button does for its checked boxes: the
// Standard print view (``/mail/folder/<id>/print?uid=…``, webmail/message_routes.py) opens in a new tab,
// one page for the messages of each folder, where the browser's print dialog takes it from there. That
// route prints at most MAX_PRINTED messages, so more are cut here and the user is told.

import { config, t } from "./i18n.js";
import { folderAndUid } from "./jmap.js";

export const MAX_PRINTED = 50;

export function printMessages(ids, notify = () => {}) {
  const byFolder = new Map();
  for (const id of ids.slice(0, MAX_PRINTED)) {
    const place = folderAndUid(id);
    if (!place) continue;
    if (!byFolder.has(place[0])) byFolder.set(place[0], []);
    byFolder.get(place[0]).push(place[1]);
  }
  for (const [folder, uids] of byFolder) {
    const query = new URLSearchParams(uids.map((uid) => ["uid", uid]));
    window.open(`${config.print.replace("{folder}", folder)}?${query}`, "_blank", "noopener");
  }
  if (ids.length > MAX_PRINTED) notify(t("print_limit", { count: MAX_PRINTED }));
}
