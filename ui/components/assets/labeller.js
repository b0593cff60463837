// The SourceDesk labelling widget: every key is handled here, in the browser, so that a
// label is complete before the server hears of it. The server sends the next statements of
// the annotator's queue; the widget moves on locally and sends each finished label (with the
// statement id and the text version shown) in an outbox that is re-sent until acknowledged.
// Keys typed while no statement is at hand wait in a queue and apply to the next statement.

const S = (globalThis.__sourcedeskLabeller ??= {
  client: Math.random().toString(36).slice(2) + Date.now().toString(36),
  user: null,
  installed: false,
});

function reset(user) {
  Object.assign(S, {
    user,
    seq: 0,
    outbox: [],
    done: new Set(), // "id:version" of statements labelled or skipped on this page
    local: [], // labels made on this page, oldest first
    revBySeq: new Map(),
    resultsSeen: 0,
    messages: [],
    data: null,
    current: null,
    draft: null,
    front: null, // the queue's statement and draft while a reopened label is shown
    view: 0, // 0: the queue; n > 0: the n-th most recent label, reopened
    pendingKeys: [],
    keyMap: null,
    stale: null, // the statement on screen left the queue ("gone") or changed ("changed")
    waitingSince: null, // timestamp of the key that finished the last statement shown
    lastDoc: null,
    banner: "",
    shownAt: performance.now(),
    metrics: { keyToNext: [], sent: 0 },
    lastSend: 0,
  });
}

const statementKey = (s) => `${s.id}:${s.version}`;
const keyName = (k) => (k === " " ? "Space" : k);

function newDraft(statement, previous) {
  const label = previous ? previous.label : null;
  return {
    statement,
    previous, // {label, revision, seq} when a saved label is reopened
    type: label ? label.source_type : null,
    levels: label ? { ...label.levels } : {},
    who: label ? label.who : "",
    cue: label ? label.cue : "",
    note: label ? label.note : "",
    unsure: label ? !!label.unsure : false,
    flagged: label ? !!label.flagged : false,
    accepted: false,
    keys: [],
    steps: [], // undo stack of {type, levels}
  };
}

// --- the queue --------------------------------------------------------------------------

function nextFromQueue() {
  const queue = (S.data && S.data.queue) || [];
  return queue.find((s) => !S.done.has(statementKey(s))) || null;
}

function history() {
  const seen = new Set();
  const out = [];
  for (let i = S.local.length - 1; i >= 0; i--) {
    const item = S.local[i];
    if (seen.has(item.statement.id)) continue;
    seen.add(item.statement.id);
    out.push({ statement: item.statement, label: item.label, seq: item.seq, revision: null });
  }
  for (const item of (S.data && S.data.recent) || []) {
    if (seen.has(item.statement.id)) continue;
    seen.add(item.statement.id);
    out.push({ statement: item.statement, label: item.label, seq: null, revision: item.revision });
  }
  return out;
}

function show(statement, previous, t) {
  S.stale = null;
  S.current = statement;
  S.draft = statement ? newDraft(statement, previous) : null;
  S.shownAt = performance.now();
  if (statement && t != null && S.view === 0) {
    requestAnimationFrame(() => S.metrics.keyToNext.push(performance.now() - t));
  }
}

function advance(t) {
  const done = S.current;
  const next = nextFromQueue();
  show(next, null, next ? t : null);
  S.waitingSince = next ? null : t;
  if (done && (!next || next.document_id !== done.document_id)) {
    const waiting = !next && S.outbox.length > 0;
    if (!waiting || (S.data && S.data.left <= 1)) {
      S.banner = `This document is done: “${done.doc_title}”.`;
    }
  } else if (next) {
    S.banner = "";
  }
}

// --- keys -------------------------------------------------------------------------------

function complete(d) {
  if (!d.type) return false;
  return S.data.scales.every((scale) => d.levels[scale.key] != null);
}

function missing(d) {
  if (!d.type) return "choose a source type first";
  const scale = S.data.scales.find((s) => d.levels[s.key] == null);
  return scale ? `choose a level of ${scale.name.toLowerCase()}` : "";
}

function submit(skipped, t) {
  const d = S.draft;
  const s = d.statement;
  const primary = S.data.scales[0].key;
  const extra = {};
  for (const scale of S.data.scales.slice(1)) {
    if (d.levels[scale.key] != null) extra[scale.key] = d.levels[scale.key];
  }
  // the draft's words and marks, sent with the label and kept for reopening it
  const marks = { who: d.who, cue: d.cue, note: d.note, unsure: d.unsure, flagged: d.flagged, skipped };
  const label = {
    seq: ++S.seq,
    statement_id: s.id,
    text_version: s.version,
    source_type: skipped ? null : d.type,
    confidence: skipped ? null : d.levels[primary] ?? null,
    extra_ratings: skipped ? {} : extra,
    also_cites: d.previous ? d.previous.label.also_cites || [] : [],
    ...marks,
    accepted_suggestion: d.accepted,
    lead_time_seconds: Math.max(0, (performance.now() - S.shownAt) / 1000),
    keys: d.keys.slice(),
    expected_revision: d.previous ? d.previous.revision : 0,
    replaces: d.previous ? d.previous.seq : null,
  };
  S.outbox.push(label);
  S.local.push({
    seq: label.seq,
    statement: s,
    label: {
      source_type: label.source_type,
      levels: { ...d.levels },
      ...marks,
      also_cites: label.also_cites,
    },
  });
  flush();
  if (S.view > 0) {
    // an edit of a reopened label: back to where the queue was
    S.view = 0;
    const front = S.front;
    S.front = null;
    if (front && front.statement && !S.done.has(statementKey(front.statement))) {
      S.current = front.statement;
      S.draft = front.draft;
      S.shownAt = performance.now();
    } else {
      advance(t);
    }
    return;
  }
  S.done.add(statementKey(s));
  advance(t);
}

function reopen(view) {
  const items = history();
  if (view > items.length) {
    note("There is no earlier label to reopen.", "info");
    return;
  }
  if (S.view === 0) S.front = { statement: S.current, draft: S.draft };
  S.view = view;
  if (view === 0) {
    const front = S.front;
    S.front = null;
    S.current = front ? front.statement : null;
    S.draft = front ? front.draft : null;
    if (!S.current) advance(null);
    S.shownAt = performance.now();
    return;
  }
  const item = items[view - 1];
  S.current = item.statement;
  const revision = item.revision ?? (item.seq != null ? S.revBySeq.get(item.seq) ?? null : null);
  S.draft = newDraft(item.statement, { label: item.label, revision, seq: item.seq });
  S.shownAt = performance.now();
}

function note(text, kind) {
  S.messages.push({ text, kind: kind || "error", at: Date.now() });
  S.messages = S.messages.slice(-4);
}

function handle(key, t) {
  const k = key.length === 1 ? key.toLowerCase() : key;
  const data = S.data;
  if (k === "ArrowLeft" || (k === "Backspace" && !(S.draft && S.draft.steps.length))) {
    reopen(S.view + 1);
    return true;
  }
  if (k === "ArrowRight") {
    if (S.view > 0) reopen(S.view - 1);
    else if (S.stale && S.stale.kind === "changed") show(S.stale.statement, null, t);
    else if (S.stale && S.current) {
      S.done.add(statementKey(S.current));
      advance(t);
    }
    S.stale = null;
    return true;
  }
  const type = data.typeKeys[k];
  const level = data.levelKeys[k];
  const labelKey = type || level || k === " " || k === "enter" || k === "Enter" || k === "u"
    || k === "?" || k === "!";
  if (!S.draft) {
    if (labelKey && (S.outbox.length > 0 || (S.data && S.data.left > 0))) {
      S.pendingKeys.push({ key, t });
    }
    return labelKey || k === "Backspace";
  }
  const d = S.draft;
  if (k === "Backspace") {
    const step = d.steps.pop();
    d.type = step.type;
    d.levels = step.levels;
    d.keys.push("Backspace");
    return true;
  }
  if (type) {
    d.steps.push({ type: d.type, levels: { ...d.levels } });
    d.type = type;
    d.levels = {};
    d.keys.push(keyName(key));
    return true;
  }
  if (level) {
    if (!d.type) {
      note(`Key ${key.toUpperCase()} is a level of ${level.scaleName}: ${missing(d)}.`, "info");
      return true;
    }
    d.steps.push({ type: d.type, levels: { ...d.levels } });
    d.levels[level.scale] = level.value;
    d.keys.push(keyName(key));
    if (complete(d) && !data.require_enter) submit(false, t);
    return true;
  }
  if (k === "Enter") {
    d.keys.push("Enter");
    if (complete(d)) submit(false, t);
    else note(`Not saved: ${missing(d)}.`, "info");
    return true;
  }
  if (k === " ") {
    d.keys.push("Space");
    submit(true, t);
    return true;
  }
  if (k === "u") {
    const sug = d.statement.suggestion;
    if (sug && (sug.who || sug.cue)) {
      d.who = sug.who;
      d.cue = sug.cue;
      d.accepted = true;
      d.keys.push("u");
    } else {
      note("There is no suggested who or cue to use.", "info");
    }
    return true;
  }
  if (k === "?") {
    d.unsure = !d.unsure;
    d.keys.push("?");
    return true;
  }
  if (k === "!") {
    d.flagged = !d.flagged;
    d.keys.push("!");
    return true;
  }
  return false;
}

function replayPending() {
  while (S.pendingKeys.length && S.draft) {
    const { key, t } = S.pendingKeys.shift();
    handle(key, t);
  }
}

// --- sending ----------------------------------------------------------------------------

function flush() {
  if (!S.send || S.outbox.length === 0) return;
  S.lastSend = performance.now();
  S.metrics.sent += 1;
  S.send("labels", { client: S.client, items: S.outbox.slice() });
}

// --- drawing ----------------------------------------------------------------------------

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text != null) node.textContent = text;
  return node;
}

function kbd(key) {
  return el("kbd", null, key === " " ? "Space" : key.length === 1 ? key.toUpperCase() : key);
}

function draw() {
  const root = S.root;
  if (!root || !S.data) return;
  const q = (role) => root.querySelector(`[data-role="${role}"]`);
  const data = S.data;
  const newInOutbox = S.outbox.filter((l) => !l.replaces && !l.expected_revision).length;
  q("progress").textContent =
    `My labels: ${data.mine + newInOutbox} · left in my queue: ${Math.max(0, data.left - newInOutbox)}`;
  q("mode").textContent = S.outbox.length ? `saving ${S.outbox.length}…` : "all saved";
  const banner = q("banner");
  banner.hidden = !S.banner;
  banner.textContent = S.banner;
  const messages = q("messages");
  messages.replaceChildren(
    ...S.messages.filter((m) => Date.now() - m.at < 15000).map((m) => el("div", m.kind === "info" ? "sd-info" : "", m.text)),
  );
  const d = S.draft;
  const card = q("card");
  const empty = q("empty");
  card.hidden = !d;
  q("choices").hidden = !d;
  q("details").hidden = !d;
  empty.hidden = !!d;
  if (!d) {
    empty.textContent = S.outbox.length || S.pendingKeys.length
      ? "Saving… the next statements are on their way."
      : "Your queue is empty: every statement open to you has your label. Backspace reopens your last label.";
    q("flags").textContent = "";
    return;
  }
  const s = d.statement;
  q("title").textContent = s.doc_title;
  q("meta").textContent = s.doc_meta;
  // Statement text arrives escaped by the server (then highlighted): literal, never markup.
  q("before").innerHTML = s.before.map((h) => `<p>${h}</p>`).join("");
  q("after").innerHTML = s.after.map((h) => `<p>${h}</p>`).join("");
  const statement = q("statement");
  if (statement.dataset.key !== statementKey(s)) {
    statement.innerHTML = s.html;
    statement.dataset.key = statementKey(s);
    statement.dataset.statementId = String(s.id);
  }
  const sug = s.suggestion;
  const suggestion = q("suggestion");
  suggestion.replaceChildren();
  if (sug && sug.type_name) {
    const parts = [`✦ suggested from the highlighted cues: ${sug.type_name}`];
    if (sug.who || sug.cue) parts.push(`who “${sug.who}”, cue “${sug.cue}” (U uses them)`);
    suggestion.textContent = parts.join(" · ");
  }
  const editing = q("editing");
  editing.hidden = S.view === 0 && !S.stale;
  if (S.view > 0) {
    editing.textContent = `Reopened label (${S.view} back): type new keys to change it; → returns to the queue.`;
  } else if (S.stale) {
    editing.textContent = S.stale.kind === "changed"
      ? "An editor changed this statement (merged or split): → shows its new text."
      : "This statement has left your queue (labelled in another tab, or complete): → moves on.";
  }
  const types = q("types");
  types.replaceChildren(
    ...data.types.map((t) => {
      const b = el("button", d.type === t.key ? "sd-on" : "");
      b.type = "button";
      b.dataset.type = t.key;
      b.title = t.definition || "";
      if (t.shortcut) b.append(kbd(t.shortcut));
      const sw = el("span", "sd-swatch");
      sw.style.background = t.color;
      b.append(sw, document.createTextNode(t.name + (sug && sug.type === t.key ? " ✦" : "")));
      b.onclick = () => clickType(t.key);
      return b;
    }),
  );
  const scales = q("scales");
  scales.replaceChildren(
    ...data.scales.map((scale) => {
      const box = el("div");
      box.append(el("div", "sd-label", scale.name));
      const row = el("div", "sd-levels");
      row.append(
        ...scale.levels.map((lv) => {
          const b = el("button", d.levels[scale.key] === lv.value ? "sd-on" : "");
          b.type = "button";
          b.dataset.scale = scale.key;
          b.dataset.value = String(lv.value);
          if (lv.key) b.append(kbd(lv.key));
          b.append(document.createTextNode(lv.label));
          b.onclick = () => clickLevel(scale.key, lv.value);
          return row.appendChild(b);
        }),
      );
      box.append(row);
      return box;
    }),
  );
  for (const input of root.querySelectorAll("[data-field]")) {
    if (input.dataset.for !== statementKey(s) + S.view) {
      input.value = d[input.dataset.field] || "";
      input.dataset.for = statementKey(s) + S.view;
    } else if (root.activeElement !== input) {
      input.value = d[input.dataset.field] || "";
    }
  }
  const flags = [];
  if (d.unsure) flags.push("unsure");
  if (d.flagged) flags.push("flagged for discussion");
  if (d.accepted) flags.push("suggested who and cue used");
  if (data.require_enter && complete(d)) flags.push("press Enter to save");
  q("flags").textContent = flags.length ? "Marked: " + flags.join(", ") : "";
}

function drawHelp() {
  const help = S.root.querySelector('[data-role="help"]');
  const data = S.data;
  const keys = [
    ["type key", "then level key" + (data.scales.length > 1 ? "s" : "") + (data.require_enter ? ", then Enter" : ": saved, next")],
    ["Space", "skip"],
    ["Backspace", "undo a key / reopen my previous label"],
    ["←/→", "back and forward through my labels"],
    ["U", "use the suggested who and cue"],
    ["/", "who, cue, note"],
    ["Esc", "leave a text field"],
    ["?", "unsure"],
    ["!", "flag"],
  ];
  help.replaceChildren(
    ...keys.flatMap(([k, what]) => [el("kbd", null, k), document.createTextNode(what + "   ")]),
  );
}

function clickType(key) {
  const t = S.data.types.find((x) => x.key === key);
  if (!S.draft) return;
  if (t && t.shortcut) handle(t.shortcut, performance.now());
  else {
    S.draft.steps.push({ type: S.draft.type, levels: { ...S.draft.levels } });
    S.draft.type = key;
    S.draft.levels = {};
  }
  draw();
}

function clickLevel(scaleKey, value) {
  const scale = S.data.scales.find((s) => s.key === scaleKey);
  const level = scale && scale.levels.find((l) => l.value === value);
  if (!S.draft) return;
  if (level && level.key) handle(level.key, performance.now());
  else if (S.draft.type) {
    S.draft.levels[scaleKey] = value;
    if (complete(S.draft) && !S.data.require_enter) submit(false, performance.now());
  }
  draw();
}

function editable(node) {
  return !!node && (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName));
}

function onKey(e) {
  if (!S.data || e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.composedPath ? e.composedPath()[0] : e.target;
  if (editable(target)) {
    if (e.key === "Escape") {
      target.blur();
      S.root.querySelector(".sd-labeller").focus({ preventScroll: true });
      e.preventDefault();
      e.stopImmediatePropagation();
    }
    return; // typing in a field: the letters belong to the field
  }
  if (e.key === "/") {
    if (!S.draft) return;
    const details = S.root.querySelector('[data-role="details"]');
    details.open = true;
    S.root.querySelector('[data-field="who"]').focus({ preventScroll: true });
    e.preventDefault();
    e.stopImmediatePropagation();
    return;
  }
  if (e.repeat && e.key !== "Backspace" && !e.key.startsWith("Arrow")) {
    e.preventDefault();
    e.stopImmediatePropagation();
    return; // a held key labels one statement, not a run of them
  }
  if (handle(e.key, e.timeStamp)) {
    e.preventDefault();
    e.stopImmediatePropagation();
    draw();
  } else if (e.key.length === 1) {
    e.stopImmediatePropagation(); // no page-wide single-key shortcut fires while labelling
  }
}

function onInput(e) {
  const target = e.composedPath ? e.composedPath()[0] : e.target;
  if (!S.draft || !target.dataset || !target.dataset.field) return;
  S.draft[target.dataset.field] = target.value;
}

function update(data) {
  if (S.user !== data.user) reset(data.user);
  const prevLeft = S.data ? S.data.left : null;
  const typeKeys = {};
  for (const t of data.types) if (t.shortcut) typeKeys[t.shortcut.toLowerCase()] = t.key;
  const levelKeys = {};
  for (const scale of data.scales) {
    for (const lv of scale.levels) {
      if (lv.key) levelKeys[lv.key.toLowerCase()] = { scale: scale.key, scaleName: scale.name, value: lv.value };
    }
  }
  // What each key does, without display names: a change of interface language is not a
  // change of keys.
  const keyMap = JSON.stringify([
    typeKeys,
    Object.entries(levelKeys).map(([k, v]) => [k, v.scale, v.value]),
  ]);
  if (S.keyMap && S.keyMap !== keyMap) {
    note("The project's keys changed: the buttons show the keys that work now.", "info");
  }
  S.keyMap = keyMap;
  S.data = { ...data, typeKeys, levelKeys };
  S.outbox = S.outbox.filter((l) => l.seq > data.ack);
  for (const r of data.results || []) {
    if (r.seq <= S.resultsSeen) continue;
    S.resultsSeen = r.seq;
    if (r.revision != null) S.revBySeq.set(r.seq, r.revision);
    if (r.message) note(r.message, r.ok ? "info" : "error");
  }
  // What is on screen never changes under the annotator's keys: a statement labelled in
  // another tab, or changed by an editor, stays until they move on with → (a label typed on
  // it is refused by the server, with a message).
  S.stale = null;
  if (S.current && S.view === 0) {
    const same = data.queue.find((s) => s.id === S.current.id);
    if (!same) S.stale = { kind: "gone" };
    else if (same.version !== S.current.version) S.stale = { kind: "changed", statement: same };
  }
  if (!S.current && S.view === 0) {
    const next = nextFromQueue();
    if (next) {
      show(next, null, S.waitingSince);
      S.waitingSince = null;
      if (S.lastDoc != null && next.document_id === S.lastDoc && S.banner) S.banner = "";
    }
  }
  if (S.current) S.lastDoc = S.current.document_id;
  replayPending();
  void prevLeft;
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  S.send = setTriggerValue;
  S.root = parentElement;
  update(data);
  if (!S.installed) {
    S.installed = true;
    S.keyHandler = onKey;
    window.addEventListener("keydown", S.keyHandler, { capture: true });
    S.unloadHandler = (e) => {
      if (S.outbox.length) e.preventDefault(); // labels not yet saved: the browser asks first
    };
    window.addEventListener("beforeunload", S.unloadHandler);
    parentElement.addEventListener("input", onInput);
    S.timer = setInterval(() => {
      if (S.outbox.length && performance.now() - S.lastSend > 700) flush();
      if (S.messages.length) draw();
    }, 250);
  }
  drawHelp();
  draw();
  return () => {
    window.removeEventListener("keydown", S.keyHandler, { capture: true });
    window.removeEventListener("beforeunload", S.unloadHandler);
    clearInterval(S.timer);
    S.installed = false;
  };
}
