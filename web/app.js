// Review sentiment page: plain browser JavaScript modules, no build step, no third-party
// code. All user and API text goes through textContent, never innerHTML.
import { createReviewList, renderExamples } from "./reviews.js";
import { clearError, renderModelCard, renderModelCardError, renderPredictions, showError, showNoResults } from "./results.js";

const config = Object.assign({ apiBaseUrl: "", apiKeyRequired: false }, window.APP_CONFIG || {});
const apiBase = String(config.apiBaseUrl || "").replace(/\/+$/, "");
// The API enforces the real limit; this only stops the page from offering more boxes.
const MAX_REVIEWS = Number(config.maxReviews) > 0 ? Number(config.maxReviews) : 64;
const REQUEST_TIMEOUT_MS = 30000;
const KEY_STORAGE = "reviewSentiment.apiKey";

const form = document.getElementById("predict-form");
const addButton = document.getElementById("add-review");
const submitButton = document.getElementById("submit");
const busy = document.getElementById("busy");
const errorBox = document.getElementById("error");
const results = document.getElementById("results");
const health = document.getElementById("health");
const modelCard = document.getElementById("model-card");
const keyInput = document.getElementById("api-key");
const rememberKey = document.getElementById("remember-key");

document.getElementById("max-reviews").textContent = String(MAX_REVIEWS);
if (config.apiKeyRequired) {
  document.getElementById("api-key-note").textContent = "(required)";
  document.getElementById("api-key-section").open = true;
}

const reviews = createReviewList(
  document.getElementById("review-list"), MAX_REVIEWS, addButton,
  function (message) { showError(errorBox, { message: message }, 0, reviews.boxes()); },
);
renderExamples(document.getElementById("example-list"), reviews);
addButton.addEventListener("click", function () { reviews.add("", true); });
document.getElementById("clear-reviews").addEventListener("click", function () {
  reviews.clear();
  clearError(errorBox);
  showNoResults(results);
});
reviews.add("", false);

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

form.addEventListener("submit", async function (event) {
  event.preventDefault();
  clearError(errorBox);
  persistKey();
  const texts = reviews.boxes().map(function (box) { return box.value; });
  submitButton.disabled = true;
  busy.hidden = false;
  form.setAttribute("aria-busy", "true");
  try {
    // Empty boxes are sent as they are: the API's answer is the one source of truth.
    const answer = await callApi("POST", "/predict", { reviews: texts });
    if (answer.ok) renderPredictions(results, texts, answer.data);
    else showError(errorBox, answer.error, answer.status, reviews.boxes());
  } finally {
    submitButton.disabled = false;
    busy.hidden = true;
    form.removeAttribute("aria-busy");
  }
});

// ---- endpoint status in the footer ------------------------------------------------------
(async function checkHealth() {
  const answer = await callApi("GET", "/health");
  if (answer.ok && answer.data.backend === "comprehend") {
    health.textContent = "Backend: Amazon Comprehend (" + answer.data.region + ") · model " + answer.data.model;
  } else if (answer.ok) {
    health.textContent = "Model endpoint: " + answer.data.endpoint_status + " · model " + answer.data.model;
  } else {
    health.textContent = "Model endpoint unavailable: " + answer.error.message;
  }
})();

// ---- the served model's card under the form ----------------------------------------------
// Independent of predictions: a card that fails to load or to render only says so.
(async function loadModelCard() {
  const answer = await callApi("GET", "/model");
  try {
    if (answer.ok) renderModelCard(modelCard, answer.data);
    else renderModelCardError(modelCard, answer.error);
  } catch (err) {
    renderModelCardError(modelCard, { message: "the API answered a card this page cannot read." });
  }
})();
