// The live feed: ratings from /console/feed/stream (server-sent events),
// newest first; a bad review (不满意 / 非常不满意) is highlighted, shown in
// the alert bar and rung with a short beep made by Web Audio (no sound
// file). Browsers let a page make sound only after a click: the
// "开启提示音" button is that click. Every text is put in with textContent,
// never as HTML.
(function () {
  "use strict";
  var MAX_ITEMS = 200, ALERT_MS = 60000;
  var list = document.getElementById("feed");
  var alerts = document.getElementById("alerts");
  var state = document.getElementById("feed-state");
  var soundButton = document.getElementById("sound");
  if (!list) { return; }
  var audio = null;

  function beep() {
    if (!audio) { return; }
    var now = audio.currentTime;
    [0, 0.25].forEach(function (start) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now + start);
      gain.gain.exponentialRampToValueAtTime(0.3, now + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + start);
      osc.stop(now + start + 0.22);
    });
  }

  soundButton.addEventListener("click", function () {
    if (audio) {
      audio.close();
      audio = null;
      soundButton.textContent = "开启提示音";
      soundButton.setAttribute("aria-pressed", "false");
      return;
    }
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { soundButton.textContent = "此浏览器不支持提示音"; return; }
    audio = new Ctx();
    soundButton.textContent = "关闭提示音";
    soundButton.setAttribute("aria-pressed", "true");
    beep();
  });

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function row(item) {
    var li = document.createElement("li");
    li.className = item.bad ? "bad" : "good";
    li.dataset.event = item.id;
    li.appendChild(span("at", item.at));
    li.appendChild(span("win", item.window + " 号窗口"));
    li.appendChild(span("lv lv" + item.level, item.level_name));
    li.appendChild(span("staff", item.staff_name));
    li.appendChild(span("matter", item.matter_name));
    if (item.labels.length) { li.appendChild(span("labels", item.labels.join("、"))); }
    return li;
  }

  function alertFor(item) {
    var box = document.createElement("div");
    box.className = "alert-item";
    box.dataset.event = item.id;
    box.dataset.window = item.window;
    box.setAttribute("role", "alert");
    box.appendChild(span("title", "差评提醒"));
    box.appendChild(span("win", item.window + " 号窗口"));
    box.appendChild(span("lv", item.level_name));
    box.appendChild(span("staff", "工作人员：" + (item.staff_name || "—")));
    box.appendChild(span("matter", "事项：" + (item.matter_name || "—")));
    box.appendChild(span("labels", "原因：" + (item.labels.join("、") || "未选择")));
    box.appendChild(span("at", item.at));
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "知道了";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    alerts.prepend(box);
    window.setTimeout(function () { box.classList.add("old"); }, ALERT_MS);
  }

  function add(item) {
    var empty = list.querySelector(".empty");
    if (empty) { empty.remove(); }
    list.prepend(row(item));
    while (list.children.length > MAX_ITEMS) { list.lastElementChild.remove(); }
    if (item.bad) {
      alertFor(item);
      beep();
    }
  }

  var url = list.dataset.stream + "?since=" + encodeURIComponent(list.dataset.since);
  var source = new EventSource(url);
  source.addEventListener("open", function () { state.textContent = "已连接"; });
  source.addEventListener("error", function () { state.textContent = "连接中断，正在重连…"; });
  source.addEventListener("rating", function (e) { add(JSON.parse(e.data)); });
  source.addEventListener("signed_out", function () {
    source.close();
    window.location.reload();
  });
}());
