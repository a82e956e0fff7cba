// The patient's diary on a phone, offline too (no inline script: the Content Security Policy
// allows scripts from the package only). Registers the service worker (/me/sw.js, scope /me).
// A diary entry made while offline is kept on this phone (IndexedDB, never localStorage, never a
// token) and sent when the phone is online again (on "online" and on every page load), through
// the same web session as the form (cookie + the form's CSRF token, fetched fresh before
// sending). Each entry carries its own Idempotency-Key and the time it was made: the server keeps
// the latest edit of a day and says what it did; the page shows the outcome of every entry
// (stored, replaced an older entry, refused with the reason). A refused entry stays on the phone
// until the patient sends it again or discards it: nothing is dropped silently.
(function () {
  "use strict";
  var DB = "ldn-diary";
  var STORE = "outbox";
  var SKIP = {csrf: true, key: true, update: true};
  var sent = [];
  var syncing = false;
  var retryMs = 0;  // after a failed send: try again later (5 s, doubling up to a minute)

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/me/sw.js", {scope: "/me"}).catch(function () {});
  }

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "key"}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode);
        var out = work(t.objectStore(STORE));
        t.oncomplete = function () { d.close(); resolve(out && "result" in out ? out.result : out); };
        t.onerror = function () { d.close(); reject(t.error); };
      });
    });
  }

  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return tx("readwrite", function (s) { s.put(item); }); }
  function drop(key) { return tx("readwrite", function (s) { s.delete(key); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return "offline-" + crypto.randomUUID(); }
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return "offline-" + Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function diaryForm() { return document.querySelector("form[data-offline-diary]"); }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString([], {dateStyle: "medium", timeStyle: "short"});
  }

  function summary(item) {
    var pain = item.fields.filter(function (f) { return f[0] === "pain_avg"; })[0];
    return item.date + (pain ? " (pain " + pain[1] + ")" : "");
  }

  // keep the form's entry on this phone; a newer entry for the same day replaces a kept one
  function keep(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (!SKIP[name] && typeof value === "string") { fields.push([name, value]); }
    });
    var date = (fields.filter(function (f) { return f[0] === "date"; })[0] || ["", ""])[1];
    var item = {key: newKey(), patient: form.dataset.patient || "", date: date,
                edited_at: new Date().toISOString(), fields: fields, state: "pending", reason: ""};
    return all().then(function (items) {
      var older = items.filter(function (i) { return i.patient === item.patient && i.date === item.date; });
      return Promise.all(older.map(function (i) { return drop(i.key); }));
    }).then(function () { return put(item); }).then(function () { return item; });
  }

  function say(text, kind) {
    var box = document.getElementById("offline-notice");
    if (!box) { return; }
    box.textContent = text;
    box.className = "notice " + (kind || "ok");
    box.hidden = false;
  }

  function li(text, cls) {
    var el = document.createElement("li");
    el.textContent = text;
    if (cls) { el.className = cls; }
    return el;
  }

  function button(label, action, key) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = label;
    b.dataset.offlineAction = action;
    b.dataset.key = key;
    return b;
  }

  function render() {
    var box = document.getElementById("offline-diary");
    if (!box) { return Promise.resolve(); }
    var patient = (diaryForm() || {dataset: {}}).dataset.patient || "";
    return all().then(function (items) {
      items = items.filter(function (i) { return i.patient === patient; });
      items.sort(function (a, b) { return a.date < b.date ? -1 : a.date > b.date ? 1 : 0; });
      var list = document.getElementById("offline-list");
      list.textContent = "";
      items.forEach(function (i) {
        if (i.state === "refused") {
          var el = li(summary(i) + ", made " + when(i.edited_at) + " — not stored: " + i.reason + " ", "refused");
          el.appendChild(button("Send mine again", "resend", i.key));
          el.appendChild(document.createTextNode(" "));
          el.appendChild(button("Discard mine", "discard", i.key));
          list.appendChild(el);
        } else {
          list.appendChild(li(summary(i) + " — saved on this phone; will send when online", "pending"));
        }
      });
      sent.forEach(function (s) { list.appendChild(li(s, "sent")); });
      box.hidden = items.length === 0 && sent.length === 0;
    });
  }

  var WORDS = {
    created: "stored",
    replayed: "stored",
    unchanged: "already stored",
    replaced: "stored; it replaced an older entry for that day"
  };

  function send(item, csrf) {
    var body = new URLSearchParams();
    body.append("csrf", csrf);
    body.append("key", item.key);
    body.append("edited_at", item.edited_at);
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    return fetch("/me/diary/sync", {method: "POST", body: body, credentials: "same-origin",
                                    headers: {"Accept": "application/json"}})
      .then(function (r) {
        var json = (r.headers.get("content-type") || "").indexOf("json") >= 0;
        if (!json) { throw new Error("session"); }
        return r.json().then(function (answer) {
          if (r.ok) {
            sent.push(item.date + " — " + (WORDS[answer.outcome] || "stored"));
            return drop(item.key).then(function () { return "sent"; });
          }
          if (r.status === 409 || r.status === 422) {
            item.state = "refused";
            item.reason = answer.reason || "refused";
            return put(item).then(function () { return "refused"; });
          }
          throw new Error("server");
        });
      });
  }

  function sync() {
    if (syncing || !navigator.onLine) { return Promise.resolve(); }
    syncing = true;
    var finish = function () { syncing = false; return render(); };
    return all().then(function (items) {
      var pending = items.filter(function (i) { return i.state === "pending"; });
      if (!pending.length) { return null; }
      return fetch("/me/diary/session", {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) {
          if (!r.ok || r.redirected) { throw new Error("session"); }
          return r.json();
        })
        .then(function (session) {
          var mine = pending.filter(function (i) { return i.patient === String(session.patient_id); });
          mine.sort(function (a, b) { return a.edited_at < b.edited_at ? -1 : 1; });
          var refused = 0;
          return mine.reduce(function (chain, item) {
            return chain.then(function () { return send(item, session.csrf); })
              .then(function (how) { refused += how === "refused" ? 1 : 0; });
          }, Promise.resolve()).then(function () {
            if (refused) {
              say("Back online: " + refused + " of your entries could not be stored; see below.", "bad");
            } else if (mine.length) {
              say("Back online: your diary entries were sent (see below).", "ok");
            }
          });
        });
    }).then(function () {
      retryMs = 0;
    }, function (err) {
      if (err && err.message === "session") {
        say("Log in again to send the entries saved on this phone.", "warn");
        return;
      }
      // the network is not really back yet (or the server is busy): try again soon
      retryMs = Math.min(retryMs ? retryMs * 2 : 5000, 60000);
      setTimeout(sync, retryMs);
    }).then(finish, finish);
  }

  // offline: keep the entry instead of posting it (before htmx sees the submit)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[action='/logout']") && navigator.serviceWorker &&
        navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("forget-pages");
      return;
    }
    if (!form.matches || !form.matches("form[data-offline-diary]") || navigator.onLine) { return; }
    event.preventDefault();
    event.stopPropagation();
    keep(form).then(function () {
      form.reset();
      say("Saved on this phone; will send when online.", "ok");
      return render();
    }, function () {
      say("This phone could not keep the entry; please try again when online.", "bad");
    });
  }, true);

  // online but the request failed on the way: keep the entry and send it later
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail && event.detail.elt;
    if (form && form.matches && form.matches("form[data-offline-diary]")) {
      keep(form).then(function () {
        say("Saved on this phone; will send when online.", "ok");
        return render();
      });
    }
  });

  document.addEventListener("click", function (event) {
    var b = event.target.closest ? event.target.closest("[data-offline-action]") : null;
    if (!b) { return; }
    all().then(function (items) {
      var item = items.filter(function (i) { return i.key === b.dataset.key; })[0];
      if (!item) { return null; }
      if (b.dataset.offlineAction === "discard") { return drop(item.key); }
      item.key = newKey();  // a new edit, made now
      item.edited_at = new Date().toISOString();
      item.state = "pending";
      item.reason = "";
      return drop(b.dataset.key).then(function () { return put(item); });
    }).then(render).then(sync);
  });

  document.addEventListener("htmx:afterSwap", function () { render(); });
  window.addEventListener("online", sync);
  render().then(sync);
})();
