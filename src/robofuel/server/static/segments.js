// The viewer's annotated segments: a track on the timeline and a list (a click jumps to the segment). A reviewer
// selects a segment (on the track or in the list), moves its start and end (to the cursor, typed, or by dragging
// its handles on the track) and renames it (a skill of the annotate step, a label of this episode, or any other),
// saved through PATCH /api/episodes/{id}/segments/{index}; "undo" saves the last change back as it was (the audit
// trail keeps both). Times are s from the episode start.
"use strict";

function segmentsPanel(ctx) {
  const { el } = rf;
  const { id, duration, track, x, cursor, mayEdit } = ctx;
  const url = (k) => `/api/episodes/${encodeURIComponent(id)}/segments/${k}`;
  let segments = ctx.segments.slice();
  let selected = null;
  let last = null; // the last change: { index: where the segment is now, before: {start_s, end_s, label} }
  const list = el("ol", { class: "segments", id: "segments", start: 0 });
  const card = el("section", { class: "card", id: "segments-card" }, el("h2", { text: "Segments" }), list);
  const editor = mayEdit ? makeEditor() : null;
  if (editor) card.append(editor.form);

  function draw() {
    track.querySelectorAll(".segment, .segment-label, .handle").forEach((n) => n.remove());
    segments.forEach((s, k) => {
      const r = charts.svg("rect", { x: x(s.start_s), y: 24, width: Math.max(1, x(s.end_s) - x(s.start_s)), height: 20,
        fill: charts.COLORS[k % charts.COLORS.length], opacity: k === selected ? 0.9 : 0.55,
        class: k === selected ? "segment selected" : "segment", "data-index": k });
      r.append(charts.svg("title", {}, `${s.label} ${s.start_s.toFixed(2)}–${s.end_s.toFixed(2)} s${s.confidence !== undefined ? `, confidence ${s.confidence}` : ""}`));
      if (mayEdit) r.addEventListener("click", () => select(k));
      track.insertBefore(r, cursor);
      track.insertBefore(charts.svg("text", { x: x(s.start_s) + 2, y: 38, class: "segment-label" }, s.label), cursor);
    });
    if (editor && selected !== null) for (const edge of ["start", "end"]) track.insertBefore(handle(edge), cursor);
    list.replaceChildren(...segments.map((s, k) => el("li", { class: k === selected ? "selected" : null, "data-index": k },
      el("button", { type: "button", class: "jump", onclick: () => { ctx.seek(s.start_s, true); if (mayEdit) select(k); } },
        `${s.start_s.toFixed(2)}–${s.end_s.toFixed(2)} s`),
      " ", el("b", { class: "label", text: s.label }),
      s.confidence !== undefined ? ` confidence ${s.confidence}` : "",
      s.source === "human" ? ` · corrected by ${s.annotator}` : "")));
  }

  function select(k) {
    selected = k;
    if (editor) editor.show(segments[k]);
    draw();
  }

  // A handle on the selected segment's start or end: dragging it moves the editor's time (saved with "save").
  function handle(edge) {
    const input = edge === "start" ? editor.start : editor.end;
    const at = () => parseFloat(input.value);
    const h = charts.svg("rect", { x: x(at()) - 3, y: 22, width: 6, height: 22, class: `handle handle-${edge}` });
    h.addEventListener("click", (event) => event.stopPropagation());
    h.addEventListener("pointerdown", (event) => {
      event.preventDefault(); event.stopPropagation();
      const move = (e) => {
        const box = track.getBoundingClientRect();
        const t = Math.min(Math.max(0, ((e.clientX - box.left) / box.width) * duration), duration);
        input.value = t.toFixed(3);
        h.setAttribute("x", x(t) - 3);
        ctx.seek(t, false);
      };
      const up = () => { window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
    return h;
  }

  function makeEditor() {
    const which = el("output", { id: "seg-index", text: "select a segment" });
    const start = el("input", { id: "seg-start", type: "number", step: "0.001", min: 0, max: duration });
    const end = el("input", { id: "seg-end", type: "number", step: "0.001", min: 0, max: duration });
    const labels = [...new Set([...(ctx.skills || []), ...segments.map((s) => s.label)])].sort();
    const label = el("select", { id: "seg-label" }, labels.map((l) => el("option", { value: l }, l)), el("option", { value: "" }, "other…"));
    const other = el("input", { id: "seg-label-other", size: 16, maxlength: 200, placeholder: "label", hidden: true });
    label.addEventListener("change", () => { other.hidden = label.value !== ""; });
    const undo = el("button", { type: "button", id: "seg-undo", disabled: true, onclick: () => undoLast() }, "Undo last change");
    const status = el("span", { class: "status", id: "seg-status", role: "status" });
    const form = el("form", { id: "segment-edit" }, el("h3", { text: "Edit the selected segment" }),
      el("label", {}, "segment ", which), " ",
      el("label", {}, "from ", start, el("button", { type: "button", id: "seg-start-here", onclick: () => { start.value = ctx.time().toFixed(3); draw(); } }, "start here")),
      el("label", {}, "to ", end, el("button", { type: "button", id: "seg-end-here", onclick: () => { end.value = ctx.time().toFixed(3); draw(); } }, "end here")),
      el("label", {}, "label ", label, other), " ",
      el("button", { type: "submit", id: "seg-save" }, "Save"), " ", undo, status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (selected === null) { status.textContent = "select a segment first"; return; }
      const old = segments[selected];
      const body = { start_s: parseFloat(start.value), end_s: parseFloat(end.value), label: label.value || other.value.trim(), reason: "edited in the viewer" };
      await save(selected, body, { start_s: old.start_s, end_s: old.end_s, label: old.label });
    });
    const show = (s) => {
      which.textContent = `${selected}: ${s.label}`;
      start.value = s.start_s.toFixed(3); end.value = s.end_s.toFixed(3);
      if (![...label.options].some((o) => o.value === s.label)) label.prepend(el("option", { value: s.label }, s.label));
      label.value = s.label; other.hidden = true;
    };
    return { form, start, end, undo, status, show };
  }

  // PATCH one segment; remember how to undo it (``before``: its values before, null for an undo itself).
  async function save(index, body, before) {
    try {
      const done = await rf.api(url(index), { method: "PATCH", body });
      segments = done.segments;
      const r = done.review;
      const now = segments.findIndex((s) => s.start_s === r.start_s && s.end_s === r.end_s && s.label === r.label && s.annotator === r.reviewer);
      last = before ? { index: now, before } : null;
      editor.undo.disabled = !last;
      editor.status.textContent = before ? `saved: ${r.reason}` : `undone: ${r.reason}`;
      select(now >= 0 ? now : index);
      if (ctx.onChange) ctx.onChange();
    } catch (error) {
      editor.status.textContent = error.message;
    }
  }

  async function undoLast() {
    if (!last) return;
    await save(last.index, { ...last.before, reason: "undo of the last change in the viewer" }, null);
  }

  draw();
  return { card, segments: () => segments };
}
