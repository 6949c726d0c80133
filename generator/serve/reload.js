// liangshai 预览：保存即重新生成并刷新。此脚本只由预览服务器注入，不会写入生成结果。
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector("script[data-liangshai-version]");
  var server = me ? me.getAttribute("data-liangshai-server") : "";
  var version = me ? Number(me.getAttribute("data-liangshai-version")) : 0;
  // The editor (/admin/ in serve --cms) keeps its form: a rebuild shows or hides the overlay, never reloads.
  var keep = me ? me.hasAttribute("data-liangshai-keep") : false;
  var BOX = "liangshai-overlay";
  var shown = null;
  var dismissed = null;
  var reloading = false;

  function hide() {
    var el = document.getElementById(BOX);
    if (el) el.parentNode.removeChild(el);
    shown = null;
  }

  function el(tag, css, text) {
    var node = document.createElement(tag);
    if (css) node.style.cssText = css;
    if (text) node.textContent = text;
    return node;
  }

  function show(errors) {
    var key = JSON.stringify(errors);
    if (key === shown || key === dismissed) return;
    hide();
    // in the editor at the bottom, so its header (发布) stays usable
    var box = el("div", "position:fixed;left:0;right:0;" + (keep ? "bottom:0;max-height:40vh" : "top:0;max-height:80vh") + ";overflow:auto;z-index:2147483647;" +
      "background:#3b0a0a;color:#fff;font:15px/1.6 system-ui,'PingFang SC','Microsoft YaHei',sans-serif;" +
      "padding:1em 1.5em;box-shadow:0 4px 16px rgba(0,0,0,.5);text-align:left");
    box.id = BOX;
    box.setAttribute("role", "alert");
    box.appendChild(el("strong", "font-size:1.15em;display:block", "生成失败：" + errors.length + " 个错误"));
    box.appendChild(el("p", "margin:.3em 0 .6em", "页面显示的是上次成功生成的内容。改正下面的错误并保存，页面会自动刷新。"));
    var list = el("ol", "margin:0;padding-left:1.5em");
    errors.forEach(function (e) {
      list.appendChild(el("li", "font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;margin:.3em 0", e.text));
    });
    box.appendChild(list);
    var close = el("button", "margin-top:.6em;font:inherit;padding:.2em 1em;cursor:pointer", "关闭");
    close.type = "button";
    close.addEventListener("click", function () { dismissed = key; hide(); });
    box.appendChild(close);
    (document.body || document.documentElement).appendChild(box);
    shown = key;
  }

  function apply(s) {
    if (reloading || !s) return;
    if (keep) { server = s.server; version = Math.max(version, s.version); }
    if (s.server !== server || s.version > version) {
      reloading = true;
      location.reload();
      return;
    }
    if (s.ok) { hide(); dismissed = null; } else { show(s.errors); }
  }

  // A browser keeps only ~6 HTTP/1.1 connections per host: a hidden tab gives its
  // event stream back, and on becoming visible again asks for the status (the
  // first message of a new stream) and reloads if it missed a build.
  var source = null;
  function connect() {
    if (source || !window.EventSource) return;
    source = new EventSource("/__liangshai/events");
    source.onmessage = function (e) { apply(JSON.parse(e.data)); };
  }
  function disconnect() {
    if (source) { source.close(); source = null; }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") disconnect(); else connect();
  });
  window.addEventListener("pagehide", disconnect);
  window.addEventListener("pageshow", function () { if (document.visibilityState !== "hidden") connect(); });

  if (window.fetch) {
    fetch("/__liangshai/status", { cache: "no-store" }).then(function (r) { return r.json(); }).then(apply, function () {});
  }
  if (document.visibilityState !== "hidden") connect();
})();
