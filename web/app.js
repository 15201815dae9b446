// Review sentiment page: plain browser JavaScript, no build step, no third-party code.
// All user and API text goes through textContent, never innerHTML.
"use strict";

(function () {
  const config = Object.assign({ apiBaseUrl: "", apiKeyRequired: false }, window.APP_CONFIG || {});
  const apiBase = String(config.apiBaseUrl || "").replace(/\/+$/, "");
  // The API enforces the real limit; this only stops the page from offering more boxes.
  const MAX_REVIEWS = Number(config.maxReviews) > 0 ? Number(config.maxReviews) : 64;
  const REQUEST_TIMEOUT_MS = 30000;
  const KEY_STORAGE = "reviewSentiment.apiKey";

  const EXAMPLES = [
    { title: "Enthusiastic", text: "An absolute delight from start to finish. The cast is superb, the score is gorgeous and I laughed and cried in equal measure. I will watch it again this weekend." },
    { title: "Disappointed", text: "Two hours I will never get back. The plot makes no sense, the dialogue is wooden and the ending was so lazy that half the audience walked out." },
    { title: "Mixed", text: "The first half drags and a few scenes are clumsy, but the final act is powerful and the lead performance is wonderful. Worth seeing." },
    { title: "Short and blunt", text: "Boring, predictable and far too long." },
  ];

  const form = document.getElementById("predict-form");
  const list = document.getElementById("review-list");
  const addButton = document.getElementById("add-review");
  const clearButton = document.getElementById("clear-reviews");
  const submitButton = document.getElementById("submit");
  const busy = document.getElementById("busy");
  const errorBox = document.getElementById("error");
  const results = document.getElementById("results");
  const health = document.getElementById("health");
  const keyInput = document.getElementById("api-key");
  const rememberKey = document.getElementById("remember-key");
  let nextId = 1;

  document.getElementById("max-reviews").textContent = String(MAX_REVIEWS);
  if (config.apiKeyRequired) {
    document.getElementById("api-key-note").textContent = "(required)";
    document.getElementById("api-key-section").open = true;
  }

  // ---- review boxes -------------------------------------------------------------
  function reviewBoxes() {
    return Array.from(list.querySelectorAll("textarea"));
  }

  function renumber() {
    reviewBoxes().forEach(function (box, index) {
      box.closest("li").querySelector("label").textContent = "Review " + (index + 1);
      box.closest("li").querySelector("button").setAttribute("aria-label", "Remove review " + (index + 1));
    });
    const count = reviewBoxes().length;
    addButton.disabled = count >= MAX_REVIEWS;
    list.querySelectorAll("button.remove").forEach(function (button) { button.hidden = count <= 1; });
  }

  function addReview(text, focus) {
    if (reviewBoxes().length >= MAX_REVIEWS) return null;
    const id = "review-" + nextId++;
    const item = document.createElement("li");
    item.className = "review-item";
    const label = document.createElement("label");
    label.htmlFor = id;
    const box = document.createElement("textarea");
    box.id = id;
    box.name = "review";
    box.rows = 3;
    box.placeholder = "Type or paste a review…";
    box.value = text || "";
    box.addEventListener("input", function () { box.removeAttribute("aria-invalid"); });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove link";
    remove.textContent = "Remove";
    remove.addEventListener("click", function () {
      item.remove();
      renumber();
      const boxes = reviewBoxes();
      if (boxes.length) boxes[boxes.length - 1].focus();
    });
    item.append(label, box, remove);
    list.append(item);
    renumber();
    if (focus) box.focus();
    return box;
  }

  function addExample(text) {
    // Fill the first empty box before adding a new one.
    const empty = reviewBoxes().find(function (box) { return box.value.trim() === ""; });
    const box = empty || addReview("", false);
    if (!box) {
      showError({ message: "You already have " + MAX_REVIEWS + " reviews; remove one first." });
      return;
    }
    box.value = text;
    box.removeAttribute("aria-invalid");
    box.focus();
  }

  EXAMPLES.forEach(function (example) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "example";
    const title = document.createElement("strong");
    title.textContent = example.title;
    const text = document.createElement("span");
    text.textContent = example.text;
    button.append(title, text);
    button.addEventListener("click", function () { addExample(example.text); });
    document.getElementById("example-list").append(button);
  });

  addButton.addEventListener("click", function () { addReview("", true); });
  clearButton.addEventListener("click", function () {
    list.textContent = "";
    addReview("", true);
    clearError();
    showNoResults();
  });
  addReview("", false);

  // ---- API key: typed by the user, kept in sessionStorage only on request ------------
  try {
    const saved = window.sessionStorage.getItem(KEY_STORAGE);
    if (saved) {
      keyInput.value = saved;
      rememberKey.checked = true;
    }
  } catch (e) { /* storage disabled: the key just is not remembered */ }

  function persistKey() {
    try {
      if (rememberKey.checked && keyInput.value) window.sessionStorage.setItem(KEY_STORAGE, keyInput.value);
      else window.sessionStorage.removeItem(KEY_STORAGE);
    } catch (e) { /* see above */ }
  }
  rememberKey.addEventListener("change", persistKey);
  keyInput.addEventListener("change", persistKey);

  // ---- talking to the API --------------------------------------------------------------
  function requestHeaders(withBody) {
    const headers = { Accept: "application/json" };
    if (withBody) headers["Content-Type"] = "application/json";
    const key = keyInput.value.trim();
    if (key) headers["x-api-key"] = key;
    return headers;
  }

  async function callApi(method, path, body) {
    const controller = new AbortController();
    const timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(apiBase + path, {
        method: method,
        headers: requestHeaders(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        credentials: "omit",
      });
    } catch (err) {
      const message = err && err.name === "AbortError"
        ? "The API did not answer within " + REQUEST_TIMEOUT_MS / 1000 + " seconds."
        : "Could not reach the API. Check your connection (and, in the cloud, the API URL).";
      return { ok: false, status: 0, error: { code: "network_error", message: message } };
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (response.ok && data) return { ok: true, status: response.status, data: data };
    return { ok: false, status: response.status, error: describeError(response, data) };
  }

  // Our API answers {"error": {...}}; API Gateway itself answers {"message": "..."}
  // (e.g. 403 for a missing or wrong API key).
  function describeError(response, data) {
    if (data && data.error && typeof data.error === "object") {
      return {
        code: String(data.error.code || "error"),
        message: String(data.error.message || response.statusText),
        requestId: data.error.request_id ? String(data.error.request_id) : "",
      };
    }
    if (data && typeof data.message === "string") {
      const hint = response.status === 403 ? " Check the API key." : "";
      return { code: "gateway_error", message: data.message + "." + hint };
    }
    return { code: "http_error", message: "Unexpected answer from the API (" + (response.statusText || "no details") + ")." };
  }

  // ---- rendering ---------------------------------------------------------------------------
  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function showError(error, status) {
    errorBox.textContent = "";
    const title = document.createElement("strong");
    title.textContent = status ? "Request failed (HTTP " + status + ")" : "Cannot send";
    const message = document.createElement("p");
    message.textContent = error.message;
    errorBox.append(title, message);
    if (error.code || error.requestId) {
      const meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = [error.code ? "Code: " + error.code : "", error.requestId ? "Request id: " + error.requestId : ""]
        .filter(Boolean).join(" · ");
      errorBox.append(meta);
    }
    errorBox.hidden = false;
    // Point at the offending box when the API names one: "reviews[2] is empty." from
    // the API itself, "review 2 has no text" when the model refused it.
    const match = /reviews\[(\d+)\]|\breview (\d+)\b/.exec(error.message || "");
    if (match) {
      const box = reviewBoxes()[Number(match[1] || match[2])];
      if (box) box.setAttribute("aria-invalid", "true");
    }
  }

  function showNoResults() {
    results.textContent = "";
    const empty = document.createElement("p");
    empty.className = "hint";
    empty.textContent = "No predictions yet.";
    results.append(empty);
  }

  function excerpt(text) {
    const flat = text.replace(/\s+/g, " ").trim();
    return flat.length > 160 ? flat.slice(0, 157) + "…" : flat;
  }

  function renderPredictions(reviews, data) {
    results.textContent = "";
    const summary = document.createElement("p");
    summary.className = "summary";
    const positives = data.predictions.filter(function (p) { return p.label === "positive"; }).length;
    summary.textContent = data.predictions.length + (data.predictions.length === 1 ? " review: " : " reviews: ") +
      positives + " positive, " + (data.predictions.length - positives) + " negative (model " + data.model + ").";
    results.append(summary);

    const items = document.createElement("ol");
    items.className = "prediction-list";
    data.predictions.forEach(function (prediction, index) {
      const score = Number(prediction.score);
      const percent = Math.round(score * 100);
      // Rounding 0.996 up to "100%" would claim certainty the model does not have.
      const shown = score >= 0.995 && score < 1 ? (Math.floor(score * 1000) / 10).toFixed(1) : String(percent);
      const item = document.createElement("li");
      item.className = "prediction " + (prediction.label === "positive" ? "is-positive" : "is-negative");

      const head = document.createElement("div");
      head.className = "prediction-head";
      const badge = document.createElement("span");
      badge.className = "badge";
      // Words and symbols, not colour alone, carry the label.
      badge.textContent = (prediction.label === "positive" ? "▲ Positive" : "▼ Negative");
      const confidence = document.createElement("span");
      confidence.className = "confidence";
      confidence.textContent = shown + "% confident";
      head.append(badge, confidence);

      const bar = document.createElement("div");
      bar.className = "bar";
      bar.setAttribute("role", "meter");
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-label", "Confidence for review " + (index + 1));
      const fill = document.createElement("div");
      fill.className = "bar-fill";
      fill.style.width = percent + "%";
      bar.append(fill);

      const text = document.createElement("p");
      text.className = "review-text";
      text.textContent = excerpt(reviews[index]);

      item.append(head, bar, text);
      items.append(item);
    });
    results.append(items);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    clearError();
    persistKey();
    const reviews = reviewBoxes().map(function (box) { return box.value; });
    submitButton.disabled = true;
    busy.hidden = false;
    form.setAttribute("aria-busy", "true");
    try {
      // Empty boxes are sent as they are: the API's answer is the one source of truth.
      const answer = await callApi("POST", "/predict", { reviews: reviews });
      if (answer.ok) renderPredictions(reviews, answer.data);
      else showError(answer.error, answer.status);
    } finally {
      submitButton.disabled = false;
      busy.hidden = true;
      form.removeAttribute("aria-busy");
    }
  });

  // ---- endpoint status in the footer ------------------------------------------------------
  (async function checkHealth() {
    const answer = await callApi("GET", "/health");
    if (answer.ok) {
      health.textContent = "Model endpoint: " + answer.data.endpoint_status + " · model " + answer.data.model;
    } else {
      health.textContent = "Model endpoint unavailable: " + answer.error.message;
    }
  })();
})();
