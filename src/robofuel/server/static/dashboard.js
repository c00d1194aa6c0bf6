// The dashboard: qualification rate against the target over time and by group, the Pareto of rejection causes,
// effective hours by scene and task. A bar opens the episodes of its group (/episodes?where=...).
"use strict";

(async () => {
  const { el, pct, hours } = rf;
  const where = new URL(location.href).searchParams.get("where") || "";
  let summary;
  try {
    summary = await rf.api("/api/dashboard" + (where ? "?where=" + encodeURIComponent(where) : ""));
  } catch (error) {
    return rf.fail(error);
  }
  const main = rf.page();
  const filter = el("form", { class: "filter", method: "get", action: "/" },
    el("label", {}, "Filter ", el("input", { name: "where", value: where, size: 50, placeholder: "task = pick_place.cube" })),
    el("button", { type: "submit" }, "Apply"));
  main.append(filter);

  const target = summary.target;
  const rate = summary.qualification_rate;
  main.append(el("section", { class: "headline" },
    el("div", { class: `figure ${rate >= target ? "ok" : "low"}`, id: "rate" },
      el("b", { text: pct(rate) }), el("span", { text: `qualified (target ${pct(target)})` })),
    el("div", { class: "figure" }, el("b", { text: String(summary.episodes) }), el("span", { text: "episodes" })),
    el("div", { class: "figure" }, el("b", { text: hours(summary.hours) }), el("span", { text: "recorded" })),
    el("div", { class: "figure" }, el("b", { text: hours(summary.effective_hours) }), el("span", { text: "effective (qualified, idle trimmed)" }))));

  const link = (g) => (g.where ? "/episodes?where=" + encodeURIComponent(g.where) : null);
  const rateBars = (groups) => charts.bars(
    Object.entries(groups).map(([key, g]) => ({
      label: key, value: g.qualification_rate, href: link(g), low: g.qualification_rate < target,
      title: `${key}: ${pct(g.qualification_rate)} of ${g.episodes} episodes qualified`,
    })),
    { max: 1, target, format: (v, item) => pct(v) });

  const section = (title, ...body) => el("section", { class: "card" }, el("h2", { text: title }), ...body);
  main.append(section("Qualification over time (by day)", rateBars(summary.by.day)));

  const causes = summary.top_causes;
  main.append(section("Causes of rejection (Pareto)", causes.length
    ? charts.bars(causes.map((c) => ({ label: c.code, value: c.episodes,
        title: `${c.code}: ${c.episodes} rejected episodes, ${pct(c.cumulative)} cumulative` })),
      { format: (v, item) => `${v}  (${pct(causes.find((c) => c.code === item.label).cumulative)})` })
    : el("p", { text: "No rejected episode." })));

  const tabs = el("div", { class: "tabs", role: "tablist" });
  const panel = el("div", { class: "tab-panel" });
  const show = (by) => {
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.by === by));
    panel.replaceChildren(rateBars(summary.by[by]));
  };
  for (const by of ["operator", "device", "station", "scene", "task"]) {
    tabs.append(el("button", { type: "button", role: "tab", "data-by": by, onclick: () => show(by) }, by));
  }
  main.append(section("Qualification by group", tabs, panel));
  show("operator");

  const effective = (by) => charts.bars(
    Object.entries(summary.by[by]).map(([key, g]) => ({
      label: key, value: g.effective_hours, href: link(g),
      title: `${key}: ${hours(g.effective_hours)} effective of ${hours(g.hours)} recorded`,
    })),
    { format: (v) => hours(v) });
  if (summary.campaigns && summary.campaigns.length) {  // campaign targets loaded with `robofuel ops load`
    main.append(section("Campaign targets (effective hours)", charts.bars(
      summary.campaigns.map((c) => ({
        label: `${c.campaign}: ${c.task}${c.scene ? " @ " + c.scene : ""}`, value: c.fraction, low: c.fraction < 1,
        title: `${hours(c.effective_hours)} of ${hours(c.target_hours)}${c.deadline ? " by " + c.deadline : ""}`,
      })),
      { max: 1, format: (v, item) => `${pct(v)}` })));
  }
  main.append(section("Effective hours by scene", effective("scene")));
  main.append(section("Effective hours by task", effective("task")));
})();
