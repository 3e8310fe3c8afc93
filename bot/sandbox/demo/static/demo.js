// The Logdive sandbox page: draws what the stand-ins hold, sends what the visitor does to /demo/api/act.
// Everything from the bot is put in the page as text nodes; only GitLab's rendered Markdown (rendered on
// the server by markdown-it with raw HTML off) is inserted as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let role = localStorage.getItem("logdive-demo-role") || "csm";
let state = null;
let drawn = { messages: "", direct: "", ephemeral: "", gitlab: "", modal: "" };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// -- Slack's mrkdwn, as text nodes --------------------------------------------------------------
const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

function person(userId) {
  const p = (state?.people || []).find((x) => x.user_id === userId);
  return p ? p.name : userId;
}

function group(groupId) {
  const p = (state?.people || []).find((x) => x.group === groupId);
  return p ? `${p.role}-team` : groupId;
}

// The emoji Logdive's messages use; any other :name: is shown as written.
const EMOJI = {
  white_check_mark: "\u2705", x: "\u274c", warning: "\u26a0\ufe0f", hourglass_flowing_sand: "\u23f3",
  hourglass: "\u231b", alarm_clock: "\u23f0", rotating_light: "\ud83d\udea8", scales: "\u2696\ufe0f",
  memo: "\ud83d\udcdd", lock: "\ud83d\udd12", unlock: "\ud83d\udd13", mag: "\ud83d\udd0d",
  scissors: "\u2702\ufe0f", heavy_plus_sign: "\u2795",
};

function inline(text) {
  // bare links (Slack links them, as the one-time download link), :emoji:, *bold*, _italic_, ~strike~,
  // `code`, and line breaks
  const out = [];
  const pattern = /(https?:\/\/[^\s<>]+|:[a-z0-9_+-]+:|`[^`\n]+`|\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~|\n)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    const token = match[0];
    const inner = token.slice(1, -1);
    if (token === "\n") out.push(el("br"));
    else if (/^https?:/.test(token)) out.push(el("a", { href: token, target: "_blank", rel: "noopener noreferrer" }, token));
    else if (token[0] === ":") out.push(EMOJI[inner] || token);
    else if (token[0] === "`") out.push(el("code", {}, inner));
    else if (token[0] === "*") out.push(el("b", {}, inner));
    else if (token[0] === "_") out.push(el("i", {}, inner));
    else out.push(el("s", {}, inner));
    last = match.index + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function reference(target, label) {
  if (target.startsWith("@")) return el("span", { class: "mention" }, "@" + person(target.slice(1)));
  if (target.startsWith("!subteam^")) return el("span", { class: "mention" }, "@" + group(target.slice(9)));
  if (target.startsWith("!date^")) return label ? unescape(label) : target;
  if (target.startsWith("!")) return el("span", { class: "mention" }, "@" + target.slice(1));
  if (target.startsWith("#")) return el("span", { class: "mention" }, "#" + (label || target.slice(1)));
  const url = unescape(target);
  if (/^https?:\/\//i.test(url)) {
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label ? unescape(label) : url);
  }
  return unescape(label || target);
}

function mrkdwn(text) {
  const out = [];
  const parts = String(text || "").split(/```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) { out.push(el("pre", {}, unescape(part))); return; }
    let last = 0;
    for (const match of part.matchAll(/<([^<>|]+)(?:\|([^<>]*))?>/g)) {
      if (match.index > last) out.push(...inline(unescape(part.slice(last, match.index))));
      out.push(reference(match[1], match[2]));
      last = match.index + match[0].length;
    }
    if (last < part.length) out.push(...inline(unescape(part.slice(last))));
  });
  return out;
}

const textOf = (t) => (!t ? [] : t.type === "mrkdwn" ? mrkdwn(t.text) : [t.text]);

// -- Block Kit ----------------------------------------------------------------------------------
function button(element, where) {
  const style = element.style ? ` ${element.style}` : "";
  return el("button", {
    type: "button",
    class: "sk" + style,
    "data-action-id": element.action_id,
    onclick: () => {
      if (element.confirm && !window.confirm(plain(element.confirm.text))) return;
      click(element, where);
    },
  }, element.text?.text || "");
}

const plain = (t) => (t ? t.text : "");

function block(b, where) {
  const w = { ...where, block_id: b.block_id || "" };
  switch (b.type) {
    case "header": return el("div", { class: "block" }, el("h3", {}, plain(b.text)));
    case "divider": return el("hr");
    case "context":
      return el("div", { class: "block context" }, b.elements.map((e) => el("span", {}, textOf(e), " ")));
    case "actions":
      return el("div", { class: "block actions" },
        b.elements.filter((e) => e.type === "button").map((e) => button(e, w)));
    case "section":
      return el("div", { class: "block section" },
        b.text ? el("div", {}, textOf(b.text)) : null,
        b.fields ? el("div", { class: "fields" }, b.fields.map((f) => el("div", {}, textOf(f)))) : null,
        b.accessory && b.accessory.type === "button" ? button(b.accessory, w) : null);
    case "input": return input(b, where.errors || {});
    default: return el("div", { class: "block" }, `[${b.type}]`);
  }
}

function blocks(list, where) {
  return (list || []).map((b) => block(b, where));
}

// -- messages -------------------------------------------------------------------------------------
function message(m, where, extra) {
  return el("div", { class: "message", "data-ts": m.ts || "" },
    // No time shown: the stand-in's message ts are sequence numbers, not clock times.
    el("div", {}, el("span", { class: "who" }, "Logdive", el("span", { class: "app" }, "APP")), extra || null),
    m.blocks && m.blocks.length ? blocks(m.blocks, where) : el("div", {}, mrkdwn(m.text)));
}

function drawMessages() {
  const key = JSON.stringify([state.channel.messages, state.people]);
  if (key === drawn.messages) return;
  drawn.messages = key;
  $("channel-name").textContent = state.channel.name;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren(...state.channel.messages.map((root) => {
    const node = message(root, { message_ts: root.ts });
    if (root.replies.length) {
      node.append(el("div", { class: "thread" },
        el("div", { class: "thread-count" }, `${root.replies.length} repl${root.replies.length === 1 ? "y" : "ies"}`),
        root.replies.map((r) => message(r, { message_ts: r.ts }))));
    }
    return node;
  }));
  if (!state.channel.messages.length) box.append(el("p", { class: "empty" }, "No cases yet. As the CSM, send /security."));
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function drawPrivate() {
  const direct = JSON.stringify(state.direct);
  if (direct !== drawn.direct) {
    drawn.direct = direct;
    $("direct").replaceChildren(...state.direct.map((m) =>
      message(m, {}, el("span", { class: "only-you" }, " · direct message to you"))));
  }
  const eph = JSON.stringify(state.ephemeral);
  if (eph !== drawn.ephemeral) {
    drawn.ephemeral = eph;
    $("ephemeral").replaceChildren(...state.ephemeral.slice(-3).map((m) =>
      message(m, {}, el("span", { class: "only-you" }, " · only visible to you"))));
  }
}

// -- modals ---------------------------------------------------------------------------------------
function toLocalInput(epoch) {
  const d = new Date(epoch * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function choices(e, kind) {
  const initial = new Set((e.initial_options || (e.initial_option ? [e.initial_option] : [])).map((o) => o.value));
  return el("div", {}, e.options.map((o) => el("label", { class: "choice" },
    el("input", { type: kind, name: e.action_id, value: o.value, checked: initial.has(o.value) }), " ", textOf(o.text))));
}

function externalMulti(e, b) {
  const chosen = new Map((e.initial_options || []).map((o) => [o.value, o]));
  const chips = el("div", { class: "chips" });
  const list = el("div", { class: "suggestions", hidden: true });
  const search = el("input", { type: "text", placeholder: plain(e.placeholder) || "Type to search", "data-search": e.action_id });
  const drawChips = () => chips.replaceChildren(...[...chosen.values()].map((o) =>
    el("span", { class: "chip" }, plain(o.text), el("button", { type: "button", title: "remove", onclick: () => { chosen.delete(o.value); drawChips(); } }, "×"))));
  let timer = null;
  const lookup = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const view = state.modal?.view;
      const answer = await act({ kind: "suggest", view_id: view.id, block_id: b.block_id, action_id: e.action_id, query: search.value });
      const options = (answer.result || []).concat(...(answer.result || []).filter((x) => x.options).map((x) => x.options));
      list.replaceChildren(...options.filter((o) => o.value).map((o) => el("div", {
        "data-value": o.value,
        onclick: () => { chosen.set(o.value, { text: o.text, value: o.value }); drawChips(); },
      }, plain(o.text))));
      list.hidden = false;
    }, 200);
  };
  search.addEventListener("input", lookup);
  search.addEventListener("focus", lookup);
  drawChips();
  const node = el("div", {}, chips, search, list);
  node.selected = () => [...chosen.values()];
  node.choose = (options) => { chosen.clear(); options.forEach((o) => chosen.set(o.value, o)); drawChips(); };
  return node;
}

function element(e, b) {
  switch (e.type) {
    case "plain_text_input":
      return e.multiline
        ? el("textarea", { rows: 3, placeholder: plain(e.placeholder) }, e.initial_value || "")
        : el("input", { type: "text", value: e.initial_value || "", placeholder: plain(e.placeholder) });
    case "checkboxes": return choices(e, "checkbox");
    case "radio_buttons": return choices(e, "radio");
    case "datetimepicker":
      return el("input", { type: "datetime-local", value: e.initial_date_time ? toLocalInput(e.initial_date_time) : "" });
    case "multi_external_select": return externalMulti(e, b);
    default: return el("div", {}, `[${e.type}]`);
  }
}

function input(b, errors) {
  const e = b.element;
  const control = element(e, b);
  control.classList.add("control");
  const node = el("div", { class: "input", "data-block-id": b.block_id, "data-action-id": e.action_id, "data-type": e.type },
    el("label", {}, plain(b.label), b.optional ? el("span", { class: "optional" }, " (optional)") : null),
    control,
    b.hint ? el("div", { class: "hint" }, plain(b.hint)) : null,
    errors[b.block_id] ? el("div", { class: "error", role: "alert" }, errors[b.block_id]) : null);
  node.control = control;
  node.element = e;
  return node;
}

function valueOf(node) {
  const e = node.element;
  const c = node.control;
  const picked = () => [...c.querySelectorAll("input:checked")].map((i) => e.options.find((o) => o.value === i.value));
  switch (e.type) {
    case "plain_text_input": return { type: e.type, value: c.value === "" ? null : c.value };
    case "checkboxes": return { type: e.type, selected_options: picked() };
    case "radio_buttons": return { type: e.type, selected_option: picked()[0] || null };
    case "datetimepicker":
      return { type: e.type, selected_date_time: c.value ? Math.floor(new Date(c.value).getTime() / 1000) : null };
    case "multi_external_select": return { type: e.type, selected_options: c.selected() };
    default: return { type: e.type };
  }
}

function collect() {
  const values = {};
  for (const node of document.querySelectorAll("#modal-layer .input")) {
    values[node.dataset.blockId] = { [node.dataset.actionId]: valueOf(node) };
  }
  return values;
}

function restore(values) {
  // Slack keeps what a person typed when a view is updated with the same block and action ids.
  for (const node of document.querySelectorAll("#modal-layer .input")) {
    const v = values[node.dataset.blockId]?.[node.dataset.actionId];
    if (!v || v.type !== node.element.type) continue;
    const c = node.control;
    if (v.type === "plain_text_input") c.value = v.value || "";
    else if (v.type === "datetimepicker") c.value = v.selected_date_time ? toLocalInput(v.selected_date_time) : "";
    else if (v.type === "multi_external_select") c.choose(v.selected_options);
    else {
      const on = new Set((v.selected_options || (v.selected_option ? [v.selected_option] : [])).map((o) => o.value));
      c.querySelectorAll("input").forEach((i) => { i.checked = on.has(i.value); });
    }
  }
}

function drawModal() {
  const modal = state.modal;
  const key = modal ? JSON.stringify([modal.view.id, modal.view.hash, modal.errors]) : "";
  if (key === drawn.modal) return;
  const sameView = modal && drawn.modal && JSON.parse(drawn.modal)[0] === modal.view.id;
  const kept = sameView ? collect() : null;
  drawn.modal = key;
  const layer = $("modal-layer");
  if (!modal) { layer.hidden = true; layer.replaceChildren(); return; }
  const v = modal.view;
  const where = { view_id: v.id, errors: modal.errors };
  const footer = el("footer", {},
    el("button", { type: "button", class: "sk", id: "modal-close", onclick: () => act({ kind: "close", view_id: v.id }) },
      plain(v.close) || "Cancel"),
    v.submit ? el("button", { type: "button", class: "sk primary", id: "modal-submit",
      onclick: () => act({ kind: "submit", view_id: v.id, values: collect() }) }, plain(v.submit)) : null);
  layer.replaceChildren(el("div", { class: "modal", role: "dialog", "data-callback-id": v.callback_id || "" },
    el("header", {}, plain(v.title)), el("div", { class: "body" }, blocks(v.blocks, where)), footer));
  layer.hidden = false;
  if (kept) restore(kept);
}

// -- GitLab ---------------------------------------------------------------------------------------
function label(name) {
  const i = name.lastIndexOf("::");
  return i < 0 ? el("span", { class: "label" }, el("span", {}, name))
    : el("span", { class: "label" }, el("span", { class: "scope" }, name.slice(0, i)), el("span", {}, name.slice(i + 2)));
}

function html(markup) {
  // GitLab's Markdown, rendered on the server with raw HTML disabled.
  const div = el("div", { class: "md" });
  div.innerHTML = markup;
  return div;
}

function drawGitLab() {
  const key = JSON.stringify(state.gitlab);
  if (key === drawn.gitlab) return;
  drawn.gitlab = key;
  if (!state.gitlab.length) return;
  $("issues").replaceChildren(...state.gitlab.map((issue) => el("article", { class: "issue", "data-iid": issue.iid, "data-project": issue.project },
    el("div", { class: "context" }, `${issue.project} #${issue.iid} · opened by ${issue.author}`),
    el("h3", {}, issue.title),
    el("div", {}, el("span", { class: `badge ${issue.state}` }, issue.state === "opened" ? "Open" : "Closed"),
      issue.confidential ? el("span", { class: "badge confidential" }, "Confidential") : null,
      issue.labels.map(label)),
    html(issue.description_html),
    role === "sirt" && issue.project === state.sirt_project ? noteForm(issue) : null,
    el("div", { class: "notes" }, issue.notes.map((n) => el("div", { class: `note${n.internal ? " internal" : ""}${n.system ? " system" : ""}` },
      el("div", { class: "meta" }, `${n.author} · ${n.created_at}${n.internal ? " · internal note" : ""}`),
      html(n.body_html)))))));
}

function noteForm(issue) {
  // SIRT writes on the issue in GitLab (as riley-sirt); GitLab's webhook tells the bot.
  const box = el("textarea", { rows: 2, class: "gitlab-note", placeholder: "Finding: … / Customer update: … (a note in GitLab, as Riley)" });
  const send = el("button", { type: "button", class: "sk", onclick: async () => {
    if (!box.value.trim()) return;
    await act({ kind: "gitlab_note", iid: issue.iid, body: box.value });
    drawn.gitlab = "";
  } }, "Comment in GitLab");
  return el("div", { class: "note-form" }, box, send);
}

// -- the loop -------------------------------------------------------------------------------------
async function refresh() {
  const asked = role;
  const answer = await fetch(`/demo/api/state?as=${encodeURIComponent(asked)}`);
  if (!answer.ok) return;
  const fresh = await answer.json();
  if (asked !== role) return; // the visitor switched roles meanwhile: this answer is someone else's view
  state = fresh;
  const me = state.people.find((p) => p.role === role);
  $("who").textContent = me ? me.name : "";
  $("now").textContent = state.now.replace("T", " ");
  $("swept").textContent = state.swept_hours ? `(${state.swept_hours} h swept ahead)` : "";
  $("sweep").textContent = `Sweep +${state.sweep_hours} h`;
  $("customers").textContent = "Sample customers: " + state.customers.map((c) =>
    `${c.namespace} (${c.kind}; owner ${c.owner}; projects ${c.projects.join(", ")})`).join(" · ");
  drawMessages();
  drawPrivate();
  drawModal();
  drawGitLab();
}

async function act(body) {
  const answer = await fetch("/demo/api/act", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ as: role, ...body }),
  });
  const result = await answer.json();
  if (!answer.ok) window.alert(result.error || "That did not work.");
  await refresh();
  return result;
}

function click(element, where) {
  const body = { kind: "click", action_id: element.action_id, block_id: where.block_id, value: element.value || "" };
  if (where.view_id) Object.assign(body, { view_id: where.view_id, values: collect() });
  else body.message_ts = where.message_ts;
  return act(body);
}

$("role").value = role;
$("role").addEventListener("change", () => {
  role = $("role").value;
  localStorage.setItem("logdive-demo-role", role);
  drawn = { messages: "", direct: "", ephemeral: "", gitlab: "", modal: "" };
  refresh();
});
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("command").value.trim();
  if (!text.startsWith("/security")) { window.alert("The sandbox knows one command: /security (try /security help)."); return; }
  act({ kind: "command", text: text.slice("/security".length).trim() });
});
$("sweep").addEventListener("click", () => act({ kind: "sweep" }));
// Links between the two sides stay in the page: a SIRT issue link shows the issue, a thread link the thread.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || !state) return;
  const issue = link.href.startsWith(state.gitlab_url) && link.href.match(/\/-\/issues\/(\d+)/);
  const thread = link.href.match(/\/demo\/archives\/[^/]+\/p(\d+)(\d{6})/);
  const target = issue ? document.querySelector(`.issue[data-iid="${issue[1]}"]`)
    : thread ? document.querySelector(`.message[data-ts="${thread[1]}.${thread[2]}"]`) : null;
  if (issue || thread) event.preventDefault();
  if (target) target.scrollIntoView({ behavior: "smooth" });
});
refresh();
setInterval(refresh, 1000);
