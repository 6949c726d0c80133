// liangshai：在浏览器里写（/admin/）。由 liangshai 生成网站时一同发布；Decap CMS 在它之前加载。
// 编辑器右侧的预览使用网站自己的样式表，并按文章页的结构显示标题、栏目、日期和正文。
(function () {
  "use strict";
  var me = document.currentScript;
  var CMS = window.CMS;
  if (!me || !CMS) return;
  var style = me.getAttribute("data-style");
  if (style) CMS.registerPreviewStyle(style);
  var h = window.h;
  var createClass = window.createClass;
  if (!h || !createClass) return;

  var branches = {};
  try { branches = JSON.parse(me.getAttribute("data-branches") || "{}"); } catch (e) { branches = {}; }

  function text(entry, name) {
    var value = entry.getIn(["data", name]);
    if (value && value.toJS) value = value.toJS();
    if (Array.isArray(value)) return value.join("、");
    return value ? String(value) : "";
  }

  function row(label, value) {
    return value ? h("div", { key: label }, h("dt", {}, label), h("dd", {}, value)) : null;
  }

  var PostPreview = createClass({
    render: function () {
      var entry = this.props.entry;
      var files = entry.getIn(["data", "attachments"]);
      files = files && files.toJS ? files.toJS() : [];
      return h("main", { id: "main", className: "wrap" },
        h("article", { className: "post" },
          h("header", {},
            h("h1", {}, text(entry, "title") || "（标题）"),
            h("dl", { className: "post-meta" },
              row("栏目", text(entry, "section")),
              row("日期", text(entry, "date")),
              row("会议类型", text(entry, "meeting")),
              row("支部", branches[text(entry, "branch")] || text(entry, "branch")),
              row("分类", text(entry, "category")),
              row("标签", text(entry, "tags")))),
          h("div", { className: "body" }, this.props.widgetFor("body")),
          files.length ? h("section", { className: "attachments" },
            h("h2", {}, "附件"),
            h("ul", {}, files.map(function (name) { return h("li", { key: name }, name); }))) : null));
    }
  });

  var names = [];
  try { names = JSON.parse(me.getAttribute("data-collections") || "[]"); } catch (e) { names = []; }
  names.forEach(function (name) { CMS.registerPreviewTemplate(name, PostPreview); });
})();
