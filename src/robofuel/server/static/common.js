// What every console page shares: the API with the session cookie (and its CSRF token for writes), building
// elements, formatting. Plain JavaScript, nothing loaded from elsewhere.
"use strict";

const rf = (() => {
  let csrf = null;

  async function api(path, options = {}) {
    const init = { credentials: "same-origin", headers: { Accept: "application/json" }, ...options };
    if (init.body !== undefined) {
      if (csrf === null) csrf = (await api("/api/session")).csrf_token;
      init.headers = { ...init.headers, "Content-Type": "application/json", "X-CSRF-Token": csrf || "" };
      init.body = JSON.stringify(init.body);
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new Error("signed out");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail || data);
      const error = new Error(`${response.status}: ${detail}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const pct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);
  const hours = (h) => (h < 1 ? `${(h * 60).toFixed(1)} min` : `${h.toFixed(2)} h`);
  const secs = (s) => (s === null || s === undefined ? "–" : `${Number(s).toFixed(2)} s`);

  function verdict(v) {
    return el("span", { class: `verdict verdict-${v}`, text: v });
  }

  function page() {
    const main = document.getElementById("app");
    main.querySelector(".loading")?.remove();
    return main;
  }

  function fail(error) {
    const main = document.getElementById("app");
    main.querySelector(".loading")?.remove();
    main.append(el("p", { class: "error", role: "alert", text: String(error.message || error) }));
  }

  function setQuery(params) {
    const url = new URL(location.href);
    for (const [key, value] of Object.entries(params)) {
      if (value === null || value === undefined || value === "") url.searchParams.delete(key);
      else url.searchParams.set(key, value);
    }
    history.replaceState(null, "", url);
  }

  document.getElementById("logout")?.addEventListener("click", async () => {
    await api("/logout", { method: "POST", body: {} }).catch(() => null);
    location.href = "/login";
  });

  return { api, el, pct, hours, secs, verdict, page, fail, setQuery };
})();
