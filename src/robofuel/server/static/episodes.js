// The episode browser: the CLI's --where filter, sorting and paging, all kept in the URL (a link shares the view).
// Asks the API for one page (limit, offset, sort=[-]FIELD); an API that answers every episode without "total"
// is sorted and paged here instead.
"use strict";

(async () => {
  const { el } = rf;
  const params = new URL(location.href).searchParams;
  const state = {
    where: params.get("where") || "",
    sort: params.get("sort") || "start_ns",
    page: Math.max(0, parseInt(params.get("page") || "0", 10) || 0),
    size: Math.min(500, Math.max(10, parseInt(params.get("size") || "50", 10) || 50)),
  };
  const COLUMNS = [
    ["id", "episode"], ["recording_path", "recording"], ["operator", "operator"], ["task", "task"],
    ["duration_s", "duration"], ["verdict", "verdict"], ["findings", "findings"],
  ];
  const main = rf.page();
  const whereInput = el("input", { name: "where", id: "where", value: state.where, size: 60,
    placeholder: "verdict = needs_review and duration_s > 5" });
  const form = el("form", { class: "filter", id: "filter" },
    el("label", {}, "where ", whereInput), el("button", { type: "submit" }, "Filter"));
  const info = el("p", { class: "info", id: "count" });
  const table = el("table", { class: "episodes", id: "episodes" });
  const pager = el("nav", { class: "pager" });
  main.append(form, info, table, pager);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.where = whereInput.value.trim();
    state.page = 0;
    load();
  });

  const sortKey = (row, field) => (field === "findings" ? (Array.isArray(row.findings) ? row.findings.length : row.findings) : row[field]);

  function clientPage(rows) {
    const field = state.sort.replace(/^-/, ""), sign = state.sort.startsWith("-") ? -1 : 1;
    if (field !== "start_ns") {
      rows = [...rows].sort((a, b) => {
        const x = sortKey(a, field), y = sortKey(b, field);
        return sign * (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
      });
    } else if (sign < 0) rows = [...rows].reverse();
    return { rows: rows.slice(state.page * state.size, (state.page + 1) * state.size), total: rows.length };
  }

  async function load() {
    rf.setQuery({ where: state.where, sort: state.sort === "start_ns" ? null : state.sort,
      page: state.page || null, size: state.size === 50 ? null : state.size });
    const query = new URLSearchParams({ limit: state.size, offset: state.page * state.size, sort: state.sort });
    if (state.where) query.set("where", state.where);
    let doc;
    try {
      doc = await rf.api("/api/episodes?" + query);
    } catch (error) {
      info.textContent = "";
      table.replaceChildren();
      info.append(el("span", { class: "error", role: "alert", text: error.message }));
      return;
    }
    const { rows, total } = doc.total === undefined ? clientPage(doc.episodes) : { rows: doc.episodes, total: doc.total };
    render(rows, total);
  }

  function header() {
    return el("tr", {}, COLUMNS.map(([field, label]) => {
      const current = state.sort.replace(/^-/, "") === field;
      const arrow = current ? (state.sort.startsWith("-") ? " ▼" : " ▲") : "";
      return el("th", {}, el("button", { type: "button", class: "sort", "data-field": field, onclick: () => {
        state.sort = current && !state.sort.startsWith("-") ? "-" + field : field;
        state.page = 0;
        load();
      } }, label + arrow));
    }));
  }

  function render(rows, total) {
    const first = total ? state.page * state.size + 1 : 0;
    info.textContent = `${total} episodes` + (total ? ` (showing ${first}–${first + rows.length - 1})` : "");
    table.replaceChildren(el("thead", {}, header()), el("tbody", {}, rows.map((r) => el("tr", { "data-id": r.id },
      el("td", {}, el("a", { href: `/episodes/${encodeURIComponent(r.id)}` }, r.id)),
      el("td", { class: "path", title: r.recording_path, text: (r.recording_path || "").split("/").pop() }),
      el("td", { text: r.operator || "–" }), el("td", { text: r.task || "–" }),
      el("td", { class: "num", text: rf.secs(r.duration_s) }), el("td", {}, rf.verdict(r.verdict)),
      el("td", { class: "num", text: Array.isArray(r.findings) ? r.findings.length : r.findings }),
    ))));
    const pages = Math.max(1, Math.ceil(total / state.size));
    pager.replaceChildren(
      el("button", { type: "button", disabled: state.page === 0, onclick: () => { state.page -= 1; load(); } }, "‹ previous"),
      el("span", { text: ` page ${state.page + 1} of ${pages} ` }),
      el("button", { type: "button", disabled: state.page + 1 >= pages, onclick: () => { state.page += 1; load(); } }, "next ›"));
  }

  load();
})();
