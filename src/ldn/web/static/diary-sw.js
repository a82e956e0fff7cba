// The diary's service worker (served at /me/sw.js, scope /me): keeps the diary page and the
// package's static files so that the diary opens offline. Entries made offline are kept by the
// page (diary.js, IndexedDB) and sent when the phone is online again; this worker never sends
// anything itself and never caches an API answer.
"use strict";
var VERSION = "ldn-diary-v1";
var SHELL = [
  "/static/ldn.css", "/static/ldn.js", "/static/diary.js", "/static/vendor/htmx.min.js",
  "/static/manifest.webmanifest", "/static/icons/icon-192.png", "/static/icons/icon-512.png"
];
// the patient pages kept for offline reading (the diary first: it is what opens offline)
var PAGES = ["/me", "/me/plan", "/me/progress", "/me/trial"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("ldn-diary-") === 0 && k !== VERSION;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage() {
  var body = "<!doctype html><html lang=en><meta charset=utf-8><title>Offline · ldn</title>" +
    "<meta name=viewport content='width=device-width, initial-scale=1'>" +
    "<link rel=stylesheet href=/static/ldn.css><main id=main><h1>You are offline</h1>" +
    "<p>This page was not saved on this phone. <a href=/me>Open the diary</a>: it works offline.</p></main>";
  return new Response(body, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

function page(request) {
  var url = new URL(request.url);
  return fetch(request).then(function (response) {
    // keep a copy of a patient page (not a redirect to the login, not an error)
    if (response.ok && !response.redirected && PAGES.indexOf(url.pathname) >= 0) {
      var copy = response.clone();
      caches.open(VERSION).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) {
      return hit || caches.match("/me").then(function (diary) { return diary || offlinePage(); });
    });
  });
}

function asset(request) {
  var url = new URL(request.url);
  // network first (a new release shows at once), the kept copy when offline
  return fetch(request).then(function (response) {
    if (response.ok && SHELL.indexOf(url.pathname) >= 0) {
      var copy = response.clone();
      caches.open(VERSION).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && (url.pathname === "/me" || url.pathname.indexOf("/me/") === 0)) {
    event.respondWith(page(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(asset(request));
  }
});

// the page asks to forget the kept pages (on logout: they hold the patient's diary)
self.addEventListener("message", function (event) {
  if (event.data === "forget-pages") {
    event.waitUntil(caches.open(VERSION).then(function (cache) {
      return Promise.all(PAGES.map(function (p) { return cache.delete(p); }));
    }));
  }
});
