// The request bin's page. It polls once a second for requests newer than
// the newest it shows; see docs/bins.md for why polling and how it
// authenticates. Captured requests come from anyone who knows the bin's
// address, so everything they carry is written with textContent, never as HTML.
"use strict";

const binID = location.pathname.split("/")[2];
const params = new URLSearchParams(location.search);
const keyStore = "hookflow.apiKey"; // sessionStorage: gone when the tab closes
const pollEvery = 1000;
const shownMax = 200;

const state = {
  hook: params.get("hook") || "",
  tenant: params.get("tenant") || "", // for an all-tenant key and a bin outside "default"
  newest: 0, // id of the newest request shown
  needKey: false,
  gone: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

// api calls the keyed JSON API with the key the user gave, if any.
function api(path) {
  const headers = {};
  const key = sessionStorage.getItem(keyStore);
  if (key) headers.Authorization = "Bearer " + key;
  if (state.tenant) headers["X-Hookflow-Tenant"] = state.tenant;
  return fetch(path, { headers, cache: "no-store" });
}

function notice(text) {
  $("notice").textContent = text;
}

async function start() {
  const first = await fetch(`/bins/${binID}/requests.json?limit=1`, { cache: "no-store" });
  if (!first.ok) return stop("This bin does not exist any more: it expired or was deleted.");
  const { bin } = await first.json();
  const url = location.origin + "/bins/" + binID; // the address this page was reached at
  $("bin-url").textContent = url;
  $("expires").textContent = "expires " + new Date(bin.expires_at).toLocaleString();
  $("example").textContent = `curl -X POST '${url}/hello?source=curl' -H 'Content-Type: application/json' -d '{"hello": "world"}'`;
  $("copy-url").addEventListener("click", () => copy(url, $("copy-url")));
  $("hook").addEventListener("change", (e) => chooseHook(e.target.value));
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(keyStore, $("key").value.trim());
    $("key").value = "";
    state.needKey = false;
    $("key-form").hidden = true;
    notice("");
    loadHooks();
    reset();
  });
  if (state.hook) addHookOption(state.hook, "hook " + state.hook);
  $("hook").value = state.hook;
  loadHooks();
  poll();
}

function stop(why) {
  state.gone = true;
  $("live").classList.add("off");
  $("live").textContent = "stopped";
  notice(why);
}

// loadHooks fills the picker with the tenant's hooks, those sending to this
// bin first, when the API answers (open, or with a key).
async function loadHooks() {
  const r = await api("/v1/hooks?limit=500");
  if (r.status === 401) return askKey();
  if (!r.ok) return;
  const hooks = (await r.json()).data;
  const here = (h) => h.target_url.includes("/bins/" + binID);
  hooks.sort((a, b) => here(b) - here(a) || a.id - b.id);
  for (const h of hooks) {
    addHookOption(String(h.id), `#${h.id} ${h.name || "(no name)"} · ${h.format}${here(h) ? " · sends here" : ""}`);
  }
  $("hook").value = state.hook;
}

function addHookOption(id, label) {
  const existing = [...$("hook").options].find((o) => o.value === id);
  if (existing) existing.textContent = label;
  else $("hook").append(el("option", { value: id }, label));
}

function askKey() {
  state.needKey = true;
  $("key-form").hidden = false;
  notice("This API needs a key (of the bin's tenant) to check signatures; requests are listed without verdicts.");
}

function chooseHook(id) {
  state.hook = id;
  const q = new URLSearchParams(location.search);
  if (id) q.set("hook", id);
  else q.delete("hook");
  history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
  reset();
}

// reset reloads the list, so verdicts follow a new hook or key.
function reset() {
  state.newest = 0;
  $("requests").replaceChildren();
  $("empty").hidden = false;
}

async function poll() {
  if (state.gone) return;
  if (!document.hidden) {
    try {
      await fetchNewer();
    } catch (e) {
      notice("Cannot reach hookflow: " + e.message + ". Retrying…");
    }
  }
  setTimeout(poll, pollEvery);
}

// fetchNewer gets the requests newer than the newest shown: with verdicts
// from the keyed API when a hook is chosen, else from the bin's own URL.
async function fetchNewer() {
  const q = `after=${state.newest}&limit=100`;
  let page = null;
  let problem = "";
  if (state.hook && !state.needKey) {
    const r = await api(`/v1/bins/${binID}/requests?hook=${encodeURIComponent(state.hook)}&${q}`);
    if (r.status === 401) askKey();
    else if (r.ok) page = await r.json();
    else problem = `Cannot check signatures with hook ${state.hook}: ${await errorText(r)}`;
  }
  if (!page) {
    const r = await fetch(`/bins/${binID}/requests.json?${q}`, { cache: "no-store" });
    if (r.status === 404) return stop("This bin does not exist any more: it expired or was deleted.");
    if (!r.ok) throw new Error(await errorText(r));
    page = await r.json();
  }
  const fresh = page.data.filter((x) => x.id > state.newest).reverse(); // oldest first
  for (const req of fresh) {
    $("requests").prepend(render(req));
    state.newest = req.id;
  }
  while ($("requests").children.length > shownMax) $("requests").lastElementChild.remove();
  const shown = $("requests").children.length;
  $("count").textContent = shown === 1 ? "showing 1 request" : `showing ${shown} requests`;
  $("empty").hidden = shown > 0;
  if (!state.needKey) notice(problem);
}

async function errorText(r) {
  try {
    return (await r.json()).error.message;
  } catch {
    return r.status + " " + r.statusText;
  }
}

function header(req, name) {
  const k = Object.keys(req.headers).find((h) => h.toLowerCase() === name);
  return k ? req.headers[k][0] : "";
}

function bodyBytes(req) {
  return req.body_base64 ? atob(req.body_base64).length : new TextEncoder().encode(req.body).length;
}

function size(n) {
  if (n < 1024) return n + " B";
  return (n / 1024).toFixed(n < 10240 ? 1 : 0) + " KiB";
}

function verdict(sig) {
  if (!sig) return null;
  const [cls, text] = !sig.checked ? ["unchecked", "not checked"] : sig.valid ? ["valid", "valid"] : ["invalid", "invalid"];
  return el("span", { class: "verdict " + cls, title: sig.detail }, text);
}

function render(req) {
  const target = req.path + (req.query ? "?" + req.query : "");
  const when = new Date(req.received_at);
  const summary = el("button", { type: "button", class: "summary", "aria-expanded": "false" },
    el("span", { class: "method m-" + req.method.toLowerCase() }, req.method),
    el("span", { class: "path" }, target),
    el("span", { class: "ctype" }, header(req, "content-type")),
    el("span", { class: "size" }, size(bodyBytes(req)) + (req.truncated ? "+" : "")),
    verdict(req.signature),
    el("time", { datetime: req.received_at, title: when.toString() }, when.toLocaleTimeString()));
  const item = el("li", { class: "request", "data-id": String(req.id) }, summary);
  let details = null;
  summary.addEventListener("click", () => {
    details = details || item.appendChild(renderDetails(req)); // built on first open
    details.hidden = !details.hidden;
    summary.setAttribute("aria-expanded", String(!details.hidden));
  });
  return item;
}

function renderDetails(req) {
  const d = el("div", { class: "details", hidden: "" }); // shown by the first click
  if (req.signature) {
    const s = req.signature;
    d.append(section("Signature", el("p", { class: "signature" }, verdict(s), " ",
      el("span", { class: "scheme" }, s.scheme || ""), " ", el("span", { class: "detail" }, s.detail))));
  }
  d.append(section("Request", table([
    ["received", `${new Date(req.received_at).toLocaleString()} (${req.received_at})`],
    ["from", req.remote_addr],
    ["method", req.method],
    ["path", req.path],
  ])));
  if (req.query) d.append(section("Query", table([...new URLSearchParams(req.query)])));
  const headers = Object.keys(req.headers).sort().flatMap((k) => req.headers[k].map((v) => [k, v]));
  d.append(section("Headers", table(headers)));
  d.append(section("Body" + (req.truncated ? " (only its first 256 KiB were kept)" : ""), renderBody(req)));
  const curl = el("pre", { class: "curl", hidden: "" });
  const button = el("button", { type: "button", class: "copy-curl" }, "Copy as curl");
  button.addEventListener("click", () => {
    curl.textContent = curlFor(req);
    curl.hidden = false;
    copy(curl.textContent, button);
  });
  d.append(el("div", { class: "actions" }, button), curl);
  return d;
}

function section(title, ...content) {
  return el("section", {}, el("h3", {}, title), ...content);
}

function table(rows) {
  if (rows.length === 0) return el("p", { class: "none" }, "none");
  return el("table", {}, ...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

function renderBody(req) {
  if (req.body_base64) {
    return el("div", {}, el("p", { class: "none" }, "binary, shown as base64"), el("pre", { class: "body" }, req.body_base64));
  }
  if (req.body === "") return el("p", { class: "none" }, "empty");
  const type = header(req, "content-type").toLowerCase();
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return table([...new URLSearchParams(req.body)]);
  }
  const pretty = prettyJSON(req.body);
  return el("pre", { class: "body" + (pretty === null ? "" : " json") }, pretty === null ? req.body : pretty);
}

// prettyJSON indents a JSON text without parsing its values, so numbers
// beyond 2^53 and key order stay exactly as sent; null when not JSON.
function prettyJSON(text) {
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  let out = "";
  let depth = 0;
  let inString = false;
  let opened = false; // the last token opened an object or list
  const newline = () => "\n" + "  ".repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i];
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    const closing = c === "}" || c === "]";
    if (closing) depth--;
    if (opened !== closing) out += newline(); // an empty {} or [] stays on one line
    opened = c === "{" || c === "[";
    if (opened) depth++;
    if (c === ",") out += "," + newline();
    else if (c === ":") out += ": ";
    else out += c;
    if (c === '"') inString = true;
  }
  return out;
}

const skipInCurl = new Set(["host", "content-length", "connection", "accept-encoding", "transfer-encoding"]);

// curlFor rebuilds the request as a curl command line for a POSIX shell.
function curlFor(req) {
  const quote = (s) => "'" + s.replaceAll("'", "'\\''") + "'";
  const url = location.origin + req.path + (req.query ? "?" + req.query : "");
  const parts = ["curl", "-X", req.method, quote(url)];
  for (const k of Object.keys(req.headers).sort()) {
    if (skipInCurl.has(k.toLowerCase())) continue;
    for (const v of req.headers[k]) parts.push("-H", quote(`${k}: ${v}`));
  }
  if (req.body_base64) {
    return `printf %s ${quote(req.body_base64)} | base64 -d | ` + parts.join(" ") + " --data-binary @-";
  }
  if (req.body !== "") parts.push("--data-binary", quote(req.body));
  return parts.join(" ");
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    flash(button, "Copied");
  } catch {
    flash(button, "Select it and copy"); // no clipboard API outside a secure context
  }
}

function flash(button, text) {
  const was = button.dataset.label || button.textContent;
  button.dataset.label = was;
  button.textContent = text;
  setTimeout(() => (button.textContent = was), 1500);
}

start();
