// The review queue: episodes (and low-confidence annotations) waiting for a person. Accept or reject a whole
// episode here with a reason; open it to judge a span. Reads GET /api/review/queue; a server without it is asked
// for the episodes whose verdict is needs_review.
"use strict";

(async () => {
  const { el } = rf;
  const main = document.getElementById("app");
  const mayReview = ["reviewer", "manager", "admin"].includes(main.dataset.role);
  let items;
  try {
    items = (await rf.api("/api/review/queue")).items;
  } catch (error) {
    if (error.status !== 404 && error.status !== 405) return rf.fail(error);
    const doc = await rf.api("/api/episodes?where=" + encodeURIComponent("verdict = needs_review")).catch(rf.fail);
    if (!doc) return;
    items = doc.episodes.map((e) => ({ episode: e.id, kind: "episode", reason: "verdict needs_review", duration_s: e.duration_s }));
  }
  rf.page();
  const rows = items.map((item) => {
    const id = typeof item.episode === "string" ? item.episode : item.episode?.id;
    const reason = el("input", { class: "reason", size: 30, placeholder: "reason", "aria-label": "reason" });
    const status = el("span", { class: "status", role: "status" });
    const decide = (decision) => async () => {
      try {
        const kept = await rf.api(`/api/episodes/${encodeURIComponent(id)}/reviews`, {
          method: "POST", body: { decision, start_s: null, end_s: null, reason: reason.value.trim() } });
        status.replaceChildren(rf.verdict(kept.verdict));
      } catch (error) {
        status.textContent = error.message;
      }
    };
    return el("tr", { "data-id": id },
      el("td", {}, el("a", { href: `/episodes/${encodeURIComponent(id)}` }, id)),
      el("td", { text: item.kind || "episode" }),
      el("td", { text: item.reason || "" }),
      el("td", {}, mayReview ? [reason,
        el("button", { type: "button", class: "accept", onclick: decide("accept") }, "accept"),
        el("button", { type: "button", class: "reject", onclick: decide("reject") }, "reject")] : "viewer: read only"),
      el("td", {}, status));
  });
  main.append(el("p", { class: "info", id: "queue-count", text: `${items.length} waiting` }),
    items.length
      ? el("table", { class: "episodes", id: "queue" },
          el("thead", {}, el("tr", {}, ["episode", "kind", "why", "decision", ""].map((h) => el("th", { text: h })))),
          el("tbody", {}, rows))
      : el("p", { text: "Nothing waits for review." }));
})();
