// The episode viewer: every camera and the numeric streams on one timeline (s from the episode start), scrubbing
// and frame stepping, findings shaded and listed (a click jumps), segments as a track, ?t=SECONDS opens at a
// time, and the review form (accept or reject the episode or a span, with a reason); segments and their editing
// are segments.js's.
"use strict";

(async () => {
  const { el } = rf;
  const main = document.getElementById("app");
  const id = main.dataset.episode;
  const mayReview = ["reviewer", "manager", "admin"].includes(main.dataset.role);
  const started = performance.now();
  let meta;
  try {
    meta = await rf.api(`/api/episodes/${encodeURIComponent(id)}`);
  } catch (error) {
    return rf.fail(error);
  }
  rf.page();
  const duration = meta.duration_s;
  const rel = (ns) => (ns === undefined || ns === null ? 0 : (ns - meta.start_ns) / 1e9);
  // a finding with a time is shaded from start_s to end_s (a thin mark without end_s); one without is only listed
  const findings = (meta.findings || []).map((f, k) => ({ ...f, k, start: f.start_s ?? null, end: f.end_s ?? f.start_s ?? null }));
  const timed = findings.filter((f) => f.start !== null);
  const SEVERITY = { blocking: "rgba(214,39,40,0.25)", warning: "rgba(255,127,14,0.22)", info: "rgba(31,119,180,0.15)" };
  const state = { t: 0, playing: false, clock: null };

  // -- header: verdict and facts -----------------------------------------------------------------------------
  const badge = el("span", { id: "verdict" }, rf.verdict(meta.verdict));
  main.append(el("p", { class: "facts" }, badge,
    ` ${meta.recording.format} · ${rf.secs(duration)} · ${meta.operator || "no operator"} · ${meta.task?.id || meta.task?.instruction || "no task"} · `,
    el("a", { href: "/episodes?where=" + encodeURIComponent(`recording = ${meta.recording.sha256}`) }, "its recording")));

  // -- cameras ----------------------------------------------------------------------------------------------
  const cams = meta.streams.filter((s) => s.kind === "video").map((s) => {
    const video = el("video", { muted: true, playsinline: true, preload: "auto", "data-stream": s.name,
      src: `/api/episodes/${encodeURIComponent(id)}/video/${encodeURIComponent(s.name)}` });
    video.muted = true;
    return { stream: s, video, offset: rel(s.start_ns), fps: s.count > 1 && s.end_ns > s.start_ns ? (s.count - 1) / ((s.end_ns - s.start_ns) / 1e9) : s.rate_hz || 30 };
  });
  main.append(el("section", { class: "cameras" }, cams.map((c) => el("figure", {}, c.video, el("figcaption", { text: c.stream.name })))));
  const frameStep = 1 / (cams[0]?.fps || 30);

  // -- transport --------------------------------------------------------------------------------------------
  const slider = el("input", { type: "range", id: "scrub", min: 0, max: duration, step: 0.001, value: 0, "aria-label": "time" });
  const timeText = el("output", { id: "time", text: "0.000 s" });
  const playButton = el("button", { type: "button", id: "play" }, "▶ play");
  main.append(el("div", { class: "transport" },
    el("button", { type: "button", id: "back", title: "one frame back", onclick: () => { pause(); seek(state.t - frameStep, true); } }, "◀ frame"),
    playButton,
    el("button", { type: "button", id: "forward", title: "one frame on", onclick: () => { pause(); seek(state.t + frameStep, true); } }, "frame ▶"),
    slider, timeText, el("span", { text: ` / ${duration.toFixed(3)} s` })));

  // -- timeline tracks: findings and segments ---------------------------------------------------------------
  const W = 1000, x = (t) => (W * t) / Math.max(duration, 1e-9);
  const track = charts.svg("svg", { class: "tracks", viewBox: `0 0 ${W} 44`, preserveAspectRatio: "none", id: "tracks" });
  for (const f of timed) {
    const r = charts.svg("rect", { x: x(f.start), y: 0, width: Math.max(2, x(f.end) - x(f.start)), height: 20, fill: SEVERITY[f.severity] || SEVERITY.info, class: "finding-span" });
    r.append(charts.svg("title", {}, `${f.code}: ${f.message}`));
    track.append(r);
  }
  const cursor = charts.svg("line", { x1: 0, x2: 0, y1: 0, y2: 44, class: "cursor" });
  track.append(cursor);
  const skills = (main.dataset.skills || "").split(",").filter(Boolean);
  const segs = segmentsPanel({ id, duration, track, x, cursor, mayEdit: mayReview, skills, segments: meta.segments || [],
    seek: (t, remember) => { pause(); seek(t, remember); }, time: () => state.t });
  track.addEventListener("click", (event) => {
    const box = track.getBoundingClientRect();
    seek(((event.clientX - box.left) / box.width) * duration, true);
  });
  main.append(el("section", { class: "timeline" }, el("div", { class: "track-names" }, el("span", { text: "findings" }), el("span", { text: "segments" })), track));

  // -- plots ------------------------------------------------------------------------------------------------
  const plotsBox = el("section", { class: "plots", id: "plots" });
  main.append(plotsBox);
  const spans = timed.map((f) => ({ start: f.start, end: f.end, color: SEVERITY[f.severity] || SEVERITY.info }));
  const draws = [];
  const numeric = meta.streams.filter((s) => s.kind === "numeric").slice(0, 8);
  const plotsDone = Promise.all(numeric.map(async (s) => {
    const canvas = el("canvas", { width: 900, height: 110, "data-stream": s.name });
    const box = el("figure", { class: "plot" }, el("figcaption", { text: `${s.name} (${s.columns.slice(0, 8).join(", ")}${s.columns.length > 8 ? ", …" : ""})` }), canvas);
    plotsBox.append(box);
    canvas.addEventListener("click", (event) => {
      const b = canvas.getBoundingClientRect();
      seek(((event.clientX - b.left) / b.width) * duration, true);
    });
    try {
      const data = await rf.api(`/api/episodes/${encodeURIComponent(id)}/plot/${encodeURIComponent(s.name)}?max_points=800`);
      const draw = charts.plot(canvas, data, duration, spans);
      draws.push(draw);
      draw(state.t);
    } catch (error) {
      box.append(el("p", { class: "error", text: error.message }));
    }
  }));

  // -- findings and segments lists ---------------------------------------------------------------------------
  main.append(el("section", { class: "card" }, el("h2", { text: `Findings (${findings.length})` }),
    el("ul", { class: "findings", id: "findings" }, findings.map((f) => el("li", { class: `sev-${f.severity}` },
      f.start === null ? el("span", { class: "whole", text: "whole" })
        : el("button", { type: "button", class: "jump", "data-start": f.start, onclick: () => { pause(); seek(f.start, true); } }, `${f.start.toFixed(2)} s`),
      ` ${f.severity} `, el("code", { text: f.code }), ` ${f.stream ? `[${f.stream}] ` : ""}${f.message}`)))));
  main.append(segs.card);

  // -- the clock ----------------------------------------------------------------------------------------------
  function show(t) {
    slider.value = t;
    timeText.textContent = `${t.toFixed(3)} s`;
    cursor.setAttribute("x1", x(t)); cursor.setAttribute("x2", x(t));
    for (const draw of draws) draw(t);
  }

  function seek(t, remember) {
    state.t = Math.min(Math.max(0, t), duration);
    for (const c of cams) {
      const local = state.t - c.offset;
      if (c.video.readyState >= 1) c.video.currentTime = Math.max(0, local);
    }
    show(state.t);
    if (remember) rf.setQuery({ t: state.t.toFixed(3) });
  }

  function tick() {
    if (!state.playing) return;
    const master = cams.find((c) => !c.video.paused && !c.video.ended);
    if (master) {
      state.t = master.video.currentTime + master.offset;
      for (const c of cams) {
        if (c !== master && Math.abs(c.video.currentTime + c.offset - state.t) > 0.15) c.video.currentTime = Math.max(0, state.t - c.offset);
      }
    } else {
      const now = performance.now();
      state.t += (now - (state.clock || now)) / 1000;
      state.clock = now;
    }
    if (state.t >= duration) { state.t = duration; pause(); }
    show(state.t);
    requestAnimationFrame(tick);
  }

  function play() {
    if (state.t >= duration - 1e-3) seek(0);
    state.playing = true; state.clock = performance.now();
    playButton.textContent = "❚❚ pause";
    for (const c of cams) c.video.play().catch(() => null);
    requestAnimationFrame(tick);
  }

  function pause() {
    if (!state.playing) return;
    state.playing = false;
    playButton.textContent = "▶ play";
    for (const c of cams) c.video.pause();
    rf.setQuery({ t: state.t.toFixed(3) });
  }

  playButton.addEventListener("click", () => (state.playing ? pause() : play()));
  slider.addEventListener("input", () => { pause(); seek(parseFloat(slider.value), false); });
  slider.addEventListener("change", () => rf.setQuery({ t: state.t.toFixed(3) }));
  for (const c of cams) c.video.addEventListener("loadedmetadata", () => { c.video.currentTime = Math.max(0, state.t - c.offset); });

  const t0 = parseFloat(new URL(location.href).searchParams.get("t"));
  seek(Number.isFinite(t0) ? t0 : 0, false);
  window.viewer = { seek, play, pause, time: () => state.t, duration };

  const firstFrames = cams.map((c) => new Promise((resolve) => {
    if (c.video.readyState >= 2) resolve();
    c.video.addEventListener("loadeddata", resolve, { once: true });
    c.video.addEventListener("error", resolve, { once: true });
  }));
  Promise.all([plotsDone, ...firstFrames]).then(() => {
    window.viewerReadyMs = performance.now();  // ms since the navigation started
    main.dataset.ready = "1";
  });

  reviewPanel();

  // -- reviews ------------------------------------------------------------------------------------------------
  async function reviewPanel() {
    const history = el("ol", { class: "reviews", id: "reviews" });
    const refresh = async () => {
      const rows = await rf.api(`/api/episodes/${encodeURIComponent(id)}/reviews`).catch(() => []);
      history.replaceChildren(...rows.map((r) => el("li", {}, `${r.at.slice(0, 19).replace("T", " ")} ${r.reviewer}: ${r.decision}`,
        r.start_s !== null ? ` ${r.start_s.toFixed(2)}–${(r.end_s ?? duration).toFixed(2)} s` : "", r.reason ? ` — ${r.reason}` : "")));
    };
    const card = el("section", { class: "card review-form" }, el("h2", { text: "Review" }));
    main.append(card);
    if (mayReview) card.append(reviewForm(refresh));
    card.append(el("h3", { text: "Decisions" }), history);
    refresh();
  }

  function reviewForm(refresh) {
    const decision = el("select", { id: "decision" }, el("option", { value: "reject" }, "reject"), el("option", { value: "accept" }, "accept"));
    const start = el("input", { id: "start", type: "number", step: "0.001", min: 0, max: duration, placeholder: "whole episode" });
    const end = el("input", { id: "end", type: "number", step: "0.001", min: 0, max: duration, placeholder: "whole episode" });
    const codes = [...new Set(findings.map((f) => f.code))];
    const rule = el("select", { id: "rule" }, el("option", { value: "" }, "(free text)"), codes.map((c) => el("option", { value: c }, c)));
    const reason = el("input", { id: "reason", size: 40, maxlength: 4000, placeholder: "why" });
    const status = el("span", { class: "status", id: "review-status", role: "status" });
    const form = el("form", { id: "review" },
      el("label", {}, "decision ", decision),
      el("label", {}, "from ", start, el("button", { type: "button", id: "start-here", onclick: () => { start.value = state.t.toFixed(3); } }, "here")),
      el("label", {}, "to ", end, el("button", { type: "button", id: "end-here", onclick: () => { end.value = state.t.toFixed(3); } }, "here")),
      el("label", {}, "rule ", rule), el("label", {}, "reason ", reason),
      el("button", { type: "submit", id: "submit-review" }, "Record decision"), status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        decision: decision.value,
        start_s: start.value === "" ? null : parseFloat(start.value),
        end_s: end.value === "" ? null : parseFloat(end.value),
        reason: [rule.value, reason.value.trim()].filter(Boolean).join(": "),
      };
      try {
        const kept = await rf.api(`/api/episodes/${encodeURIComponent(id)}/reviews`, { method: "POST", body });
        badge.replaceChildren(rf.verdict(kept.verdict));
        status.textContent = `kept: ${kept.decision} by ${kept.reviewer}`;
        refresh();
      } catch (error) {
        status.textContent = error.message;
      }
    });
    return form;
  }
})();
