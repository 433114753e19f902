// A whole query result over JMAP, a page at a time: what the notes, journal and tasks views (notes.js,
// tasks.js) list. The server answers /query and /get in pages (RFC 8620 5.5 lets it cap a query's
// limit; maxObjectsInGet caps a /get), so a long list takes a request per page.

// Every object of `type` matching `filter` (at most `most`), in the query's order: /query and /get in
// one request per page, each page as long as the server's maxObjectsInGet (its /get takes no more).
export async function queryAll(jmap, type, filter, properties, most = 10000) {
  const size = jmap.session?.capabilities?.["urn:ietf:params:jmap:core"]?.maxObjectsInGet || 500;
  const found = [];
  for (let position = 0, total = Infinity; position < Math.min(total, most);) {
    const answer = await jmap.batch([
      [`${type}/query`, { filter, position, limit: size, calculateTotal: true }, "q"],
      [`${type}/get`, { "#ids": { resultOf: "q", name: `${type}/query`, path: "/ids" }, properties }, "g"],
    ]);
    if (!answer.q.ids.length) break;
    found.push(...answer.g.list); // one deleted meanwhile is simply not there
    position += answer.q.ids.length;
    total = answer.q.total;
  }
  return found;
}
