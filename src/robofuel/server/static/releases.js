// Releases: the ones the user may download (their files, as links), and for managers every release with its grants
// (grant, revoke) and the latest entries of the audit log. Reads /api/releases and /api/audit/releases.
"use strict";

(async () => {
  const { el } = rf;
  const manager = ["manager", "admin"].includes(document.getElementById("app").dataset.role);
  let releases, audit;
  try {
    releases = (await rf.api("/api/releases")).releases;
    audit = manager ? (await rf.api("/api/audit/releases?limit=50")).entries : [];
  } catch (error) {
    return rf.fail(error);
  }
  const main = rf.page();
  if (!releases.length) main.append(el("p", { text: manager ? "No release yet (robofuel release create)." : "No release is granted to you." }));
  for (const r of releases) main.append(release(r));
  if (manager) {
    main.append(el("h2", { text: "Audit log (latest 50)" }),
      table(["at", "who", "action", "release", "path", "range", "bytes", "outcome"], audit.map((e) => [
        e.at.slice(0, 19).replace("T", " "), e.actor, e.action, e.release || "–", e.path || "", e.range || "",
        e.bytes ?? "", `${e.outcome} (${e.status})`]), "audit"));
  }

  function release(r) {
    const box = el("section", { class: "release", "data-release": r.name },
      el("h2", { text: `${r.name}: ${r.episodes} episodes, ${r.format}, ${r.license} (${r.purpose})` }));
    if (r.grant) box.append(el("p", { text: `Granted to ${r.grant.grantee} until ${r.grant.expires_at.slice(0, 10)}` }));
    if (r.grant) {
      const files = el("div", {}, el("button", { type: "button", class: "list-files" }, "List files"));
      files.firstChild.addEventListener("click", async () => {
        try {
          const doc = await rf.api(r.files);
          files.replaceChildren(table(["file", "bytes", "sha256"], doc.files.map((f) => [
            el("a", { href: f.url, download: f.path.split("/").pop(), text: f.path }), f.size, f.sha256.slice(0, 16)])));
        } catch (error) {
          files.replaceChildren(el("p", { class: "error", text: error.message }));
        }
      });
      box.append(files);
    }
    if (manager) box.append(grants(r));
    return box;
  }

  function grants(r) {
    const rows = r.grants.map((g) => {
      const revoke = g.state === "active" ? el("button", { type: "button", class: "revoke" }, "Revoke") : "";
      if (revoke) revoke.addEventListener("click", () => act(`/api/releases/${encodeURIComponent(r.name)}/grants/${g.id}`, { method: "DELETE", body: {} }));  // a body: rf.api sends the CSRF token with it
      return [g.id, g.grantee, g.recipient || "base", g.purpose, g.expires_at.slice(0, 19).replace("T", " "), g.state, revoke];
    });
    const to = el("input", { name: "to", placeholder: "user or org:ORG", required: true });
    const days = el("input", { name: "days", type: "number", min: "1", value: "30", required: true });
    const form = el("form", { class: "grant" }, "Grant to ", to, " for ", days, " days ", el("button", { type: "submit" }, "Grant"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(`/api/releases/${encodeURIComponent(r.name)}/grants`, { method: "POST", body: { to: to.value, days: Number(days.value) } });
    });
    return el("div", {}, table(["id", "to", "copy", "purpose", "until", "state", ""], rows, "grants"), form);
  }

  async function act(path, options) {
    try {
      await rf.api(path, options);
      location.reload();
    } catch (error) {
      main.append(el("p", { class: "error", role: "alert", text: error.message }));
    }
  }

  function table(head, rows, kind = "") {
    return el("table", { class: `episodes ${kind}` }, el("thead", {}, el("tr", {}, head.map((h) => el("th", { text: h })))),
      el("tbody", {}, rows.map((row) => el("tr", {}, row.map((c) => el("td", {}, c instanceof Node ? c : String(c)))))));
  }
})();
