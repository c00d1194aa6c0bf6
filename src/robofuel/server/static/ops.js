// Operations (managers and admins): cost per effective hour by driver and capture mode, the yield of every gate
// with what each lost, and on request a plan for the next days with the campaigns' forecast. Reads /api/ops/*.
"use strict";

(async () => {
  const { el } = rf;
  let cost, gates;
  try {
    [cost, gates] = await Promise.all([rf.api("/api/ops/cost"), rf.api("/api/ops/yield")]);
  } catch (error) {
    return rf.fail(error);
  }
  const main = rf.page();
  const money = (v) => (v === null || v === undefined ? "–"
    : `${Number(v).toLocaleString(undefined, { maximumFractionDigits: Math.abs(v) < 100 ? 2 : 0 })} ${cost.currency}`);
  main.append(
    el("div", { class: "headline" },
      el("div", { class: "figure", id: "cost-per-hour" }, "cost per effective hour", el("b", { text: money(cost.cost_per_effective_hour) })),
      el("div", { class: "figure" }, "effective hours", el("b", { text: rf.hours(cost.effective_hours) })),
      el("div", { class: "figure" }, "spent on hours that did not count", el("b", { text: money(cost.loss) }))),
    el("h2", { text: "By capture mode" }),
    table(["mode", "cost per effective hour", "effective per operator hour"],
      Object.entries(cost.modes).map(([mode, m]) => [mode, money(m.cost_per_effective_hour), m.effective_per_operator_hour ?? "–"])),
    el("h2", { text: "By driver" }),
    table(["driver", "total"], Object.entries(cost.by_driver).map(([k, v]) => [k, money(v)])),
    el("h2", { text: "Yield at every gate" }),
    table(["gate", "episodes", "hours", "lost to"], gates.gates.map((g) => [
      g.name, g.episodes, rf.hours(g.hours), g.lost.slice(0, 3).map((c) => `${c.cause} ×${c.episodes}`).join(", ") || "–"])),
  );
  const plan = el("div", { id: "plan" });
  const button = el("button", { type: "button", id: "make-plan" }, "Plan the next 7 days");
  button.addEventListener("click", async () => {
    plan.replaceChildren(el("p", { text: "Solving…" }));
    try {
      const doc = await rf.api("/api/ops/schedule?days=7&time_limit_s=10");
      plan.replaceChildren(
        el("p", { text: `${doc.assignments.length} operator-shifts (${doc.status}), ${doc.planned_hours} effective hours` }),
        table(["campaign", "task", "done / target h", "reached on", "deadline", "on time"], doc.forecast.map((f) => [
          f.campaign, f.task, `${f.effective_hours} / ${f.target_hours}`, f.reached_on || "–", f.deadline || "–",
          f.on_time === null ? "–" : f.on_time ? "yes" : "no"])),
        el("ul", { id: "advice" }, doc.advice.map((a) => el("li", {
          text: `${a.campaign} ${a.task}: ${a.shortfall_hours} h short by the deadline; ` + a.options.map((o) =>
            o.shifts ? `${o.shifts} more device-shifts (${o.hours_per_shift} h each)` : o.cause
              ? `fix ${o.cause} (+${(100 * o.yield_gain).toFixed(0)} % yield)` : o.change).join(" or ") }))),
        table(["day", "shift", "operator", "device", "station", "task"], doc.assignments.slice(0, 100).map((a) => [
          a.day, a.shift, a.operator, a.device, a.station || "–", a.task])));
    } catch (error) {
      plan.replaceChildren(el("p", { class: "error", text: error.message }));
    }
  });
  main.append(el("h2", { text: "Schedule" }), button, plan);

  function table(head, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", { text: h })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", { text: String(c) }))))));
  }
})();
